import Testing
@testable import LoomGeneration

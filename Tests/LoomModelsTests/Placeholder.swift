import Testing
@testable import LoomModels

import Testing
@testable import LoomTokenizers

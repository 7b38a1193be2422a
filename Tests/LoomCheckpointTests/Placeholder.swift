import Testing
@testable import LoomCheckpoint

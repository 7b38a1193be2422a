import Testing
@testable import LoomMedia

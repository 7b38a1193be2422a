import Testing
@testable import LoomCore
@Test func placeholder() { #expect(Tensor(zeros: [2, 3]).count == 6) }

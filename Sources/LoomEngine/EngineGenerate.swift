import Foundation
import LoomGeneration

extension Engine {
    /// Runs `request` to its end, calling `onToken` on this thread as tokens are made (never call it from a handler,
    /// which runs on the engine's thread). Throws what the request failed with.
    public func generate(_ request: EngineRequest, onToken: (GeneratedToken) -> Void = { _ in }) throws -> GenerationResult {
        let events = EventQueue()
        try submit(request) { events.push($0) }
        while true {
            switch events.pop() {
            case .token(let token): onToken(token)
            case .finished(let result): return result
            case .failed(let error): throw error
            }
        }
    }
}

/// Engine events handed from the engine's thread to a waiting thread, in order.
final class EventQueue: @unchecked Sendable {
    private var events: [EngineEvent] = []
    private let condition = NSCondition()

    func push(_ event: EngineEvent) {
        condition.withLock {
            events.append(event)
            condition.signal()
        }
    }

    /// The oldest event, waiting for one.
    func pop() -> EngineEvent {
        condition.withLock {
            while events.isEmpty { condition.wait() }
            return events.removeFirst()
        }
    }
}

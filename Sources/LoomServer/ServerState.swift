import Foundation
import Hummingbird
import LoomKit
import Logging
import ServiceLifecycle

/// Whether the model is loading, ready, failed or draining, and how many requests are in flight.
final class ServerState: @unchecked Sendable {
    private enum Phase {
        case loading
        case ready(LoomModel)
        case failed(String)
        case draining(LoomModel?)
    }

    private let lock = NSLock()
    private var phase = Phase.loading
    private var inFlight = 0
    /// When the server started (seconds since 1970), the `created` of its model.
    let startedAt = Int(Date().timeIntervalSince1970)

    func ready(_ loom: LoomModel) { lock.withLock { if case .loading = phase { phase = .ready(loom) } } }
    func failed(_ reason: String) { lock.withLock { phase = .failed(reason) } }

    /// Stops taking requests.
    func drain() {
        lock.withLock {
            switch phase {
            case .ready(let loom): phase = .draining(loom)
            case .draining: break
            default: phase = .draining(nil)
            }
        }
    }

    /// The model, when loaded (also while draining).
    var loaded: LoomModel? {
        lock.withLock {
            switch phase {
            case .ready(let loom): loom
            case .draining(let loom): loom
            default: nil
            }
        }
    }

    /// The model, or the 503 that says why there is none to use.
    func requireReady(retryAfter: Int) throws -> LoomModel {
        try lock.withLock {
            switch phase {
            case .ready(let loom): return loom
            case .loading: throw APIError.unavailable("The model is loading.", code: "model_loading", retryAfter: retryAfter)
            case .failed(let reason): throw APIError.unavailable("The model failed to load: \(reason)", code: "model_failed", retryAfter: 60)
            case .draining: throw APIError.unavailable("The server is shutting down.", code: "shutting_down", retryAfter: retryAfter)
            }
        }
    }

    /// `GET /health`: 200 when ready, else the 503.
    func health() throws -> Response {
        _ = try requireReady(retryAfter: 1)
        return jsonResponse(["status": "ok"])
    }

    func begin() { lock.withLock { inFlight += 1 } }
    func end() { lock.withLock { inFlight -= 1 } }
    var requestsInFlight: Int { lock.withLock { inFlight } }
}

/// On SIGINT or SIGTERM: `/health` turns 503, new requests are refused, and those in flight get up to a minute to end.
struct DrainService: Service {
    let state: ServerState
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        state.drain()
        logger.info("draining: \(state.requestsInFlight) request(s) in flight")
        let deadline = Date().addingTimeInterval(60)
        while state.requestsInFlight > 0 && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        state.loaded?.engine.shutdown()
    }
}

import Foundation
import LoomEngine

/// The server's Prometheus metrics, written in the text exposition format at `GET /metrics`.
final class ServerMetrics: @unchecked Sendable {
    /// A histogram with fixed upper bounds.
    struct Histogram {
        let bounds: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            for (i, bound) in bounds.enumerated() where value <= bound { counts[i] += 1 }
            sum += value
            count += 1
        }

        func lines(_ name: String, help: String) -> String {
            var out = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for (bound, count) in zip(bounds, counts) { out += "\(name)_bucket{le=\"\(bound)\"} \(count)\n" }
            out += "\(name)_bucket{le=\"+Inf\"} \(count)\n\(name)_sum \(sum)\n\(name)_count \(count)\n"
            return out
        }
    }

    private let lock = NSLock()
    private var requests: [String: Int] = [:]
    private var promptTokens = 0, generatedTokens = 0
    private var firstToken = Histogram(bounds: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80])
    private var interToken = Histogram(bounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5])
    private var batch = Histogram(bounds: [1, 2, 4, 8, 16, 32, 64])

    func request(status: Int) { lock.withLock { requests[String(status), default: 0] += 1 } }
    func tokens(prompt: Int, generated: Int) { lock.withLock { promptTokens += prompt; generatedTokens += generated } }
    func firstToken(seconds: Double) { lock.withLock { firstToken.observe(seconds) } }
    func interToken(seconds: Double) { lock.withLock { interToken.observe(seconds) } }
    func step(_ report: EngineStepReport) { if report.decodeRows > 0 { lock.withLock { batch.observe(Double(report.decodeRows)) } } }

    /// The exposition text, with the engine's gauges when it runs.
    func text(engine: Engine?) -> String {
        lock.withLock {
            var out = "# HELP loom_requests_total Requests answered, by HTTP status.\n# TYPE loom_requests_total counter\n"
            for (status, count) in requests.sorted(by: { $0.key < $1.key }) { out += "loom_requests_total{status=\"\(status)\"} \(count)\n" }
            out += "# HELP loom_prompt_tokens_total Prompt positions processed.\n# TYPE loom_prompt_tokens_total counter\n"
            out += "loom_prompt_tokens_total \(promptTokens)\n"
            out += "# HELP loom_generation_tokens_total Tokens generated.\n# TYPE loom_generation_tokens_total counter\n"
            out += "loom_generation_tokens_total \(generatedTokens)\n"
            out += firstToken.lines("loom_time_to_first_token_seconds", help: "Time from request to first token.")
            out += interToken.lines("loom_inter_token_latency_seconds", help: "Time between tokens of a stream.")
            out += batch.lines("loom_decode_batch_size", help: "Sequences advanced by each decode step.")
            if let engine {
                out += "# HELP loom_requests_running Requests generating.\n# TYPE loom_requests_running gauge\n"
                out += "loom_requests_running \(engine.runningRequests)\n"
                out += "# HELP loom_requests_waiting Requests waiting for admission.\n# TYPE loom_requests_waiting gauge\n"
                out += "loom_requests_waiting \(engine.waitingRequests)\n"
                out += "# HELP loom_kv_reserved_bytes KV cache bytes reserved by running requests.\n# TYPE loom_kv_reserved_bytes gauge\n"
                out += "loom_kv_reserved_bytes \(engine.reservedBytes)\n"
                out += "# HELP loom_image_cache_hits_total Images found in the feature cache.\n# TYPE loom_image_cache_hits_total counter\n"
                out += "loom_image_cache_hits_total \(engine.featureCache.hits)\n"
                out += "# HELP loom_image_cache_misses_total Images encoded.\n# TYPE loom_image_cache_misses_total counter\n"
                out += "loom_image_cache_misses_total \(engine.featureCache.misses)\n"
            }
            return out
        }
    }
}

import ArgumentParser
import Foundation
import LoomCore
import LoomModels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `loom bench`: speed and memory of a model, on random weights of a named architecture or on a checkpoint.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prefill and decode speed, load time and peak memory; prints JSON.")

    @Option(help: "Architecture for --random-weights: \(Architectures.textModels.keys.sorted().joined(separator: ", ")).")
    var config: String?
    @Flag(name: .customLong("random-weights"), help: "Build the architecture with random weights in memory.")
    var randomWeights = false
    @Option(help: "Model directory to benchmark instead of a random architecture.") var model: String?
    @Option(help: "Stored weight type for random weights (f32, bf16).") var dtype: String = "f32"
    @Option(name: .customLong("prefill"), help: "Prompt lengths to time (comma-separated).") var prefillLengths: String = "512,2048"
    @Option(name: .customLong("decode-tokens"), help: "Tokens to decode after the first prompt.") var decodeTokens: Int = 32

    func validate() throws {
        if model == nil && !(randomWeights && config != nil) {
            throw ValidationError("give --model DIR, or --config NAME --random-weights")
        }
        if let config, Architectures.textModels[config] == nil {
            throw ValidationError("unknown --config '\(config)' (known: \(Architectures.textModels.keys.sorted().joined(separator: ", ")))")
        }
        guard DType(rawValue: dtype.uppercased()) != nil else { throw ValidationError("--dtype must be f32, f16 or bf16") }
    }

    func run() throws {
        let lengths = try prefillLengths.split(separator: ",").map { part -> Int in
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw ValidationError("--prefill takes positive lengths, got '\(part)'")
            }
            return n
        }
        let loadStart = DispatchTime.now()
        let decoder: any LanguageModel
        if let model {
            decoder = try ModelRegistry.load(directory: URL(fileURLWithPath: model, isDirectory: true)).languageModel
        } else {
            let architecture = Architectures.textModels[config!]!
            let source = RandomWeights(dtype: DType(rawValue: dtype.uppercased())!,
                                       absent: architecture.tieWordEmbeddings ? ["lm_head.weight"] : [])
            decoder = try Qwen2Model(configuration: architecture, checkpoint: source)
        }
        let loadMs = elapsedMs(loadStart)
        var report = BenchReport(model: model ?? config!, weights: model == nil ? dtype : "checkpoint",
                                 threads: Parallel.threadCount, loadMs: loadMs)
        for length in lengths {
            guard length <= decoder.contextLength else {
                throw ValidationError("prefill length \(length) exceeds the model's context \(decoder.contextLength)")
            }
            let ids = (0..<length).map { ($0 * 7919 + 13) % decoder.vocabularySize }
            let cache = decoder.makeCache()
            let start = DispatchTime.now()
            let hidden = decoder.forward(decoder.embed(ids), cache: cache)
            _ = decoder.logits(hidden.rows((length - 1)..<length))
            let ms = elapsedMs(start)
            report.prefill.append(.init(tokens: length, ms: ms, tokensPerS: Double(length) / (ms / 1000)))
            if length == lengths[0] && decodeTokens > 0 {
                var next = ids[length - 1]
                let decodeStart = DispatchTime.now()
                for _ in 0..<decodeTokens {
                    let logits = decoder.logits(decoder.forward(decoder.embed([next]), cache: cache))
                    next = logits.data.indices.max { logits.data[$0] < logits.data[$1] }!
                }
                let decodeMs = elapsedMs(decodeStart)
                report.decodeTokensPerS = Double(decodeTokens) / (decodeMs / 1000)
                report.decodeContext = length
            }
        }
        report.peakRSSMiB = peakResidentMiB()
        try printJSON(report)
    }
}

/// What `loom bench` prints.
struct BenchReport: Encodable {
    struct Prefill: Encodable {
        let tokens: Int
        let ms: Double
        let tokensPerS: Double
        enum CodingKeys: String, CodingKey { case tokens, ms, tokensPerS = "tokens_per_s" }
    }
    let model: String
    let weights: String
    let threads: Int
    let loadMs: Double
    var prefill: [Prefill] = []
    var decodeTokensPerS: Double = 0
    var decodeContext = 0
    var peakRSSMiB: Double = 0

    enum CodingKeys: String, CodingKey {
        case model, weights, threads, loadMs = "load_ms", prefill, decodeTokensPerS = "decode_tokens_per_s"
        case decodeContext = "decode_context", peakRSSMiB = "peak_rss_mib"
    }
}

/// Milliseconds since `start`.
func elapsedMs(_ start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
}

/// The process's peak resident set size in MiB.
func peakResidentMiB() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1024 / 1024
    #endif
}

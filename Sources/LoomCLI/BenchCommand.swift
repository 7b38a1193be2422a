import ArgumentParser
import Foundation
import LoomCheckpoint
import LoomCore
import LoomEngine
import LoomGeneration
import LoomKit
import LoomMedia
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
        abstract: "Measure load time, prefill / vision / decode speed and peak memory; prints JSON.")

    static var architectures: [String] { (Array(Architectures.textModels.keys) + Array(Architectures.multimodalModels.keys)).sorted() }

    @Option(help: "Architecture for --random-weights: \(BenchCommand.architectures.joined(separator: ", ")).")
    var config: String?
    @Flag(name: .customLong("random-weights"), help: "Build the architecture with random weights in memory.")
    var randomWeights = false
    @Option(help: "Model directory or hub repo id (ORG/NAME[@REV], from the Hugging Face cache) to benchmark instead of a random architecture.") var model: String?
    @OptionGroup var compute: ComputeFlags
    @Option(help: "Workloads for image models (comma-separated): \(BenchScenario.allCases.map(\.rawValue).joined(separator: ", ")).")
    var scenario: String?
    @Option(name: .customLong("prefill"), help: "Text-only prompt lengths to time (comma-separated).") var prefillLengths: String = "512,2048"
    @Option(name: .customLong("text-tokens"), help: "Text tokens beside the images in image prompts.") var textTokens: Int = 46
    @Option(name: .customLong("image-counts"), help: "Image counts of the image prompts to time (comma-separated; --scenario overrides).")
    var imageCounts: String = "1,4"
    @Option(name: .customLong("decode-tokens"), help: "Tokens to decode after the first prompt.") var decodeTokens: Int = 32
    @Option(name: .customLong("write-random"), help: "Write the --config architecture's random weights as a checkpoint directory, then stop.")
    var writeRandom: String?
    @Option(help: "A video file: time a prompt of its uniformly sampled frames (decode, preprocess, vision, prefill) and the memory decoding takes.")
    var video: String?
    @Option(help: "Frames sampled from --video.") var frames: Int = 16
    @Option(name: .customLong("batch"), help: "Conversations decoding together in the batch-decode scenario (comma-separated).")
    var batchSizes: String = "1,2,4,8,16"

    func validate() throws {
        if model == nil && !((randomWeights || writeRandom != nil) && config != nil) {
            throw ValidationError("give --model DIR, or --config NAME --random-weights (or --write-random DIR)")
        }
        if let config, !BenchCommand.architectures.contains(config) {
            throw ValidationError("unknown --config '\(config)' (known: \(BenchCommand.architectures.joined(separator: ", ")))")
        }
        if writeRandom != nil && config == nil { throw ValidationError("--write-random needs --config NAME") }
        if let scenario { _ = try scenarios(scenario) }
        if video != nil && frames < 1 { throw ValidationError("--frames must be at least 1") }
        if video != nil, let config, Architectures.multimodalModels[config] == nil {
            throw ValidationError("--video needs an image model (--config llava-interleave-…)")
        }
    }

    func scenarios(_ text: String) throws -> [BenchScenario] {
        try text.split(separator: ",").map { part in
            guard let value = BenchScenario(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown --scenario '\(part)' (known: \(BenchScenario.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return value
        }
    }

    func run() throws {
        if let writeRandom {
            try RandomCheckpoint.write(architecture: config!, dtype: try compute.options().dtype ?? .bf16,
                                       to: URL(fileURLWithPath: writeRandom, isDirectory: true))
            return
        }
        let options = try compute.options()
        let chosen = try scenario.map(scenarios) ?? []
        let batches = chosen.contains(.batchDecode) ? try positiveList(batchSizes, option: "--batch") : []
        var videoBench = try video.map { try VideoBench(path: $0, frames: frames) }
        let loadStart = DispatchTime.now()
        let loaded = try loadModel(options)
        var report = BenchReport(model: model ?? config!, dtype: options.dtype?.rawValue.lowercased() ?? "checkpoint",
                                 weights: options.weights?.rawValue ?? "dense", threads: Parallel.threadCount,
                                 loadMs: elapsedMs(loadStart))
        // The engine users run, with no feature cache: every timed image goes through the vision tower.
        var engineConfiguration = EngineConfiguration()
        engineConfiguration.featureCacheBytes = 0
        engineConfiguration.maxSequences = max(engineConfiguration.maxSequences, (batches.max() ?? 0) + 1)
        let run = BenchRun(engine: try Engine(model: loaded.languageModel, tokenizer: nil, configuration: engineConfiguration),
                           textTokens: textTokens, decodeTokens: decodeTokens)
        if let vision = loaded as? any VisionLanguageModel {
            let encoder = try vision.imageEncoder(directory: try model.map(ModelLocation.resolve),
                                                  anyResPinpoints: nil)
            try benchImages(vision, encoder: encoder, run: run, scenarios: chosen, into: &report)
            if var workload = videoBench {
                try workload.run(run, encoder: encoder)
                videoBench = workload
            }
            report.video = videoBench?.report
            if !batches.isEmpty { report.batchDecode = try run.batchDecode(batches, images: 1, encoder: encoder,
                                                                    towerLayers: vision.visionWorkload.layers, weights: report.weights) }
        } else {
            for length in try positiveList(prefillLengths, option: "--prefill") {
                guard length <= loaded.languageModel.contextLength else {
                    throw ValidationError("prefill length \(length) exceeds the model's context \(loaded.languageModel.contextLength)")
                }
                let result = try run.generate(run.textPrompt(length), decode: report.decodeContext == 0).result
                report.prefill.append(.init(tokens: length, ms: result.timings.prefillMs,
                                            tokensPerS: result.timings.prefillTokensPerSecond))
                if report.decodeContext == 0 { report.recordDecode(result, context: length) }
            }
        }
        report.peakRSSMiB = peakResidentMiB()
        try printJSON(report)
    }

    func loadModel(_ options: ComputeOptions) throws -> any LoadedModel {
        if let model { return try ModelRegistry.load(directory: try ModelLocation.resolve(model), compute: options) }
        let stored: DType = options.dtype == .bf16 ? .bf16 : .f32
        var compute = options
        compute.dtype = stored
        if let text = Architectures.textModels[config!] {
            let random = RandomWeights(dtype: stored, absent: text.tieWordEmbeddings ? ["lm_head.weight"] : [])
            return try Qwen2Model(configuration: text, checkpoint: PreparedSource(random, compute: compute))
        }
        let llava = Architectures.multimodalModels[config!]!
        let random = RandomWeights(dtype: stored, absent: llava.tieWordEmbeddings ? ["lm_head.weight", "language_model.lm_head.weight"] : [])
        return try LlavaModel(configuration: llava, source: PreparedSource(random, compute: compute))
    }

    /// Preprocessing, the vision tower, and time to first token for prompts of `imageCounts` images plus text.
    func benchImages(_ vision: any VisionLanguageModel, encoder: any ImageEncoding, run: BenchRun, scenarios: [BenchScenario],
                     into report: inout BenchReport) throws {
        let photo = BenchRun.syntheticPhoto(width: 640, height: 480, variant: 0)
        var start = DispatchTime.now()
        _ = encoder.pixels(of: photo)
        report.preprocessMs = elapsedMs(start)
        // A warm-up pass first (oneDNN generates its kernels for these shapes), as the transformers timing has one.
        report.visionMsPerImage = try run.engine.run {
            _ = try encoder.features(of: photo)
            start = DispatchTime.now()
            _ = try encoder.features(of: photo)
            return elapsedMs(start)
        }
        if vision.visionWorkload.computeDType == .bf16 {
            report.visionEfficiency = VisionEfficiency(vision.visionWorkload, msPerImage: report.visionMsPerImage!)
        }
        let counts = scenarios.isEmpty ? try positiveList(imageCounts, option: "--image-counts") : scenarios.compactMap(\.imageCount)
        var timed = Set<Int>()
        for count in counts where timed.insert(count).inserted {
            let started = DispatchTime.now()
            let prompt = run.imagePrompt(images: count, encoder: encoder)
            let positions = prompt.reduce(0) { $0 + $1.positions }
            guard positions <= vision.languageModel.contextLength else {
                throw ValidationError("\(count) images need \(positions) positions, more than the context \(vision.languageModel.contextLength)")
            }
            let (result, firstTokenMs) = try run.generate(prompt, decode: report.decodeContext == 0, since: started)
            report.timeToFirstToken.append(.init(images: count, tokens: positions, ms: firstTokenMs))
            report.prefill.append(.init(tokens: positions, ms: result.timings.prefillMs, tokensPerS: result.timings.prefillTokensPerSecond))
            if report.decodeContext == 0 { report.recordDecode(result, context: positions) }
        }
    }

    func positiveList(_ text: String, option: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw ValidationError("\(option) takes positive numbers, got '\(part)'")
            }
            return n
        }
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
    struct FirstToken: Encodable {
        let images: Int
        let tokens: Int
        let ms: Double
    }
    let model: String
    let dtype: String
    let weights: String
    let threads: Int
    let loadMs: Double
    var prefill: [Prefill] = []
    var preprocessMs: Double?
    var visionMsPerImage: Double?
    var timeToFirstToken: [FirstToken] = []
    var decodeTokensPerS: Double = 0
    var decodeContext = 0
    var peakRSSMiB: Double = 0
    var video: VideoBench.Report?
    var visionEfficiency: VisionEfficiency?
    var batchDecode: [BenchRun.BatchDecode]?

    enum CodingKeys: String, CodingKey {
        case video, visionEfficiency = "vision_efficiency", batchDecode = "batch_decode"
        case model, dtype, weights, threads, loadMs = "load_ms", prefill, preprocessMs = "preprocess_ms"
        case visionMsPerImage = "vision_ms_per_image", timeToFirstToken = "time_to_first_token"
        case decodeTokensPerS = "decode_tokens_per_s", decodeContext = "decode_context", peakRSSMiB = "peak_rss_mib"
    }
}

extension BenchReport {
    /// The decode rate of a request that decoded after a prompt of `context` positions.
    mutating func recordDecode(_ result: GenerationResult, context: Int) {
        decodeContext = context
        decodeTokensPerS = result.timings.decodeTokensPerSecond
    }
}

/// Milliseconds since `start`.
func elapsedMs(_ start: DispatchTime) -> Double { millisecondsSince(start) }

/// The process's peak resident set size in MiB. On Linux this is `VmHWM` of `/proc/self/status`, the high-water
/// mark of this program's own memory: `getrusage`'s `ru_maxrss` also counts what the parent held when it forked
/// (it survives `fork` and `exec`), which inflates it when a large process starts Loom.
func peakResidentMiB() -> Double {
    var usage = rusage()
    #if os(Linux)
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") {
        return kilobytes / 1024
    }
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1024 / 1024
    #endif
}

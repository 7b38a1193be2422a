import ArgumentParser
import Foundation
import LoomCheckpoint
import LoomCore
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
    @Option(help: "Model directory to benchmark instead of a random architecture.") var model: String?
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

    func validate() throws {
        if model == nil && !(randomWeights && config != nil) {
            throw ValidationError("give --model DIR, or --config NAME --random-weights")
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
        var videoBench = try video.map { try VideoBench(path: $0, frames: frames) }
        let loadStart = DispatchTime.now()
        let loaded = try loadModel(options)
        var report = BenchReport(model: model ?? config!, dtype: options.dtype?.rawValue.lowercased() ?? "checkpoint",
                                 weights: options.weights?.rawValue ?? "dense", threads: Parallel.threadCount,
                                 loadMs: elapsedMs(loadStart))
        let decoder = loaded.languageModel
        if let llava = loaded as? LlavaModel {
            try benchImages(llava, into: &report)
            if var workload = videoBench {
                var configuration = ImageProcessorConfiguration()
                configuration.size = .init(height: llava.configuration.visionConfig.imageSize, width: llava.configuration.visionConfig.imageSize)
                try workload.run(llava, processor: SiglipImageProcessor(configuration: configuration), textTokens: textTokens)
                videoBench = workload
            }
            report.video = videoBench?.report
        } else {
            for length in try positiveList(prefillLengths, option: "--prefill") {
                guard length <= decoder.contextLength else {
                    throw ValidationError("prefill length \(length) exceeds the model's context \(decoder.contextLength)")
                }
                let ids = (0..<length).map { ($0 * 7919 + 13) % decoder.vocabularySize }
                let cache = decoder.makeCache()
                let start = DispatchTime.now()
                cache.reserve(length + decodeTokens)
                var logits = decoder.logits(decoder.prefill(decoder.embed(ids), cache: cache))
                let ms = elapsedMs(start)
                report.prefill.append(.init(tokens: length, ms: ms, tokensPerS: Double(length) / (ms / 1000)))
                if report.decodeContext == 0 { timeDecode(decoder, cache: cache, logits: &logits, into: &report) }
            }
        }
        report.peakRSSMiB = peakResidentMiB()
        try printJSON(report)
    }

    func loadModel(_ options: ComputeOptions) throws -> any LoadedModel {
        if let model { return try ModelRegistry.load(directory: URL(fileURLWithPath: model, isDirectory: true), compute: options) }
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
    func benchImages(_ llava: LlavaModel, into report: inout BenchReport) throws {
        let vision = llava.configuration.visionConfig
        let photo = BenchCommand.syntheticPhoto(width: 640, height: 480)
        var processorConfiguration = ImageProcessorConfiguration()
        processorConfiguration.size = .init(height: vision.imageSize, width: vision.imageSize)
        let processor = SiglipImageProcessor(configuration: processorConfiguration)
        var start = DispatchTime.now()
        let pixels = processor.preprocess(photo)
        report.preprocessMs = elapsedMs(start)
        let image = pixels.reshaped([1] + pixels.shape)
        // A warm-up pass first (oneDNN generates its kernels for these shapes), as the transformers timing has one.
        _ = try llava.imageFeatures(image)
        start = DispatchTime.now()
        _ = try llava.imageFeatures(image)
        report.visionMsPerImage = elapsedMs(start)
        if llava.visionTower.computeDType == .bf16 {
            report.visionEfficiency = VisionEfficiency(llava, msPerImage: report.visionMsPerImage!)
        }
        let decoder = llava.decoder
        let perImage = llava.configuration.imageTokenCount
        let counts = try scenario.map { try scenarios($0).map(\.imageCount) } ?? positiveList(imageCounts, option: "--image-counts")
        var timed = Set<Int>()
        for count in counts where timed.insert(count).inserted {
            let text = (0..<textTokens).map { ($0 * 7919 + 13) % decoder.vocabularySize }
            let ids = Array(repeating: llava.configuration.imageTokenIndex, count: perImage * count) + text
            guard ids.count <= decoder.contextLength else {
                throw ValidationError("\(count) images need \(ids.count) positions, more than the context \(decoder.contextLength)")
            }
            start = DispatchTime.now()
            let batch = Tensor(shape: [count] + pixels.shape, data: (0..<count).flatMap { _ in processor.preprocess(photo).data })
            let features = try llava.imageFeatures(batch)
            let cache = decoder.makeCache()
            let prefillStart = DispatchTime.now()
            cache.reserve(ids.count + decodeTokens)
            var logits = decoder.logits(decoder.prefill(try llava.embed(ids: ids, imageFeatures: features), cache: cache))
            let prefillMs = elapsedMs(prefillStart)
            report.timeToFirstToken.append(.init(images: count, tokens: ids.count, ms: elapsedMs(start)))
            report.prefill.append(.init(tokens: ids.count, ms: prefillMs, tokensPerS: Double(ids.count) / (prefillMs / 1000)))
            if report.decodeContext == 0 { timeDecode(decoder, cache: cache, logits: &logits, into: &report) }
        }
    }

    /// Greedy decoding of `decodeTokens` tokens after a prefilled cache.
    func timeDecode(_ decoder: any LanguageModel, cache: DecoderCache, logits: inout Tensor, into report: inout BenchReport) {
        guard decodeTokens > 0 else { return }
        report.decodeContext = cache.length
        let start = DispatchTime.now()
        for _ in 0..<decodeTokens {
            let next = logits.data.indices.max { logits.data[$0] < logits.data[$1] }!
            logits = decoder.logits(decoder.forward(decoder.embed([next]), cache: cache))
        }
        report.decodeTokensPerS = Double(decodeTokens) / (elapsedMs(start) / 1000)
    }

    func positiveList(_ text: String, option: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw ValidationError("\(option) takes positive numbers, got '\(part)'")
            }
            return n
        }
    }

    /// A smooth, photo-like RGB image (gradients and texture) of the given size.
    static func syntheticPhoto(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8((x * 255) / width)
                pixels[i + 1] = UInt8((y * 255) / height)
                pixels[i + 2] = UInt8(((x ^ y) & 0x3F) * 3)
            }
        }
        return try! RGBImage(width: width, height: height, pixels: pixels)
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

    enum CodingKeys: String, CodingKey {
        case video, visionEfficiency = "vision_efficiency"
        case model, dtype, weights, threads, loadMs = "load_ms", prefill, preprocessMs = "preprocess_ms"
        case visionMsPerImage = "vision_ms_per_image", timeToFirstToken = "time_to_first_token"
        case decodeTokensPerS = "decode_tokens_per_s", decodeContext = "decode_context", peakRSSMiB = "peak_rss_mib"
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

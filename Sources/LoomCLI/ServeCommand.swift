import ArgumentParser
import Foundation
import LoomEngine
import LoomKit
import LoomPrompt
import LoomServer
import Logging

/// `loom serve`: the OpenAI-compatible HTTP server.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over an OpenAI-compatible HTTP API (chat completions with images and video, streaming).",
        discussion: """
        Examples:
          loom serve --model llava-interleave-qwen-0.5b-hf --dtype bf16
          loom serve --model DIR --port 8000 --api-key sk-local --allowed-local-media-path /srv/media
          curl http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \\
            -d '{"model": "llava-interleave-qwen-0.5b-hf", "messages": [{"role": "user", "content": "Hi"}]}'
        """)

    @Option(help: "Model directory (config.json, *.safetensors, tokenizer.json) or hub repo id ORG/NAME[@REV] in the Hugging Face cache (see loom pull).") var model: String
    @OptionGroup var compute: ComputeFlags
    @Option(help: "A PEFT LoRA adapter directory (adapter_config.json, adapter_model.safetensors), applied without merging.")
    var adapter: String?
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer KEY' on every route but /health.") var apiKey: String?
    @Option(name: .customLong("served-model-name"), help: "The model's name in requests and /v1/models (default: the directory's name).")
    var servedModelName: String?
    @Option(name: .customLong("max-num-seqs"), help: "Requests generating at once.") var maxNumSeqs = 16
    @Option(name: .customLong("max-waiting"), help: "Requests waiting beyond those; more are answered 429.") var maxWaiting = 256
    @Option(name: .customLong("kv-budget"), help: "KV cache memory all requests may reserve together (e.g. 4GiB, 512MiB).")
    var kvBudget = "4GiB"
    @Option(name: .customLong("prefill-chunk"), help: "Prompt positions prefilled per step (smaller: steadier streams).") var prefillChunk = 1024
    @Option(name: .customLong("vision-layers-per-step"), help: "Vision-tower layers run per step while an image is encoded.")
    var visionLayersPerStep = 4
    @Option(name: .customLong("limit-mm-per-prompt"), help: "Most media per request, as JSON (video frames count as images).")
    var limitMMPerPrompt = #"{"image":16,"video":1}"#
    @Option(name: .customLong("max-image-pixels"), help: "Refuse images whose header declares more pixels (before decoding).")
    var maxImagePixels = 89_478_485
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body (413 beyond).") var maxBodyBytes = 64 << 20
    @Option(name: .customLong("allowed-local-media-path"), help: "Serve file:// media from below this directory only.")
    var allowedLocalMediaPath: String?
    @Flag(name: .customLong("allow-remote-media"), help: "Fetch http(s) media (never from private, loopback or link-local addresses).")
    var allowRemoteMedia = false
    @Option(name: .customLong("cors-origins"), help: "Origins allowed by CORS, comma-separated (none by default).") var corsOrigins: String?
    @Option(help: "Frames sampled from a video (requests may override with loom_frames or media_io_kwargs).") var frames = 16
    @Option(help: "Default prompt template: checkpoint (the checkpoint's own Jinja chat template), hf, interleaved or llava (requests may override with loom_template). Default: the checkpoint's template when it ships one, llava for original LLaVA-NeXT checkpoints, else hf.")
    var template: PromptTemplate?
    @Flag(name: .customLong("bind-image-markers"), help: "Bind literal <image> markers in a message's text to its images (counts must match).")
    var bindImageMarkers = false

    func run() throws {
        let directory = try ModelLocation.resolve(model)
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.apiKey = apiKey
        configuration.servedModelName = servedModelName ?? directory.standardizedFileURL.lastPathComponent
        try configuration.setMediaLimits(json: limitMMPerPrompt)
        configuration.maxImagePixels = maxImagePixels
        configuration.maxBodyBytes = maxBodyBytes
        configuration.allowedLocalMediaPath = allowedLocalMediaPath
        configuration.allowRemoteMedia = allowRemoteMedia
        configuration.corsOrigins = corsOrigins?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        configuration.videoFrames = frames
        configuration.template = template
        configuration.bindImageMarkers = bindImageMarkers
        var engine = EngineConfiguration()
        engine.maxSequences = maxNumSeqs
        engine.maxWaiting = maxWaiting
        engine.kvBudgetBytes = try ServeCommand.bytes(kvBudget)
        engine.prefillChunk = prefillChunk
        engine.visionLayersPerStep = visionLayersPerStep
        try engine.validate()
        let scheduling = engine
        let compute = try self.compute.options()
        let adapter = self.adapter.map { URL(fileURLWithPath: $0, isDirectory: true) }
        var logger = Logger(label: "loom.serve")
        logger.logLevel = .info
        let server = try OpenAIServer(configuration: configuration, logger: logger) {
            try LoomModel(directory: directory, compute: compute, engine: scheduling, adapter: adapter)
        }
        let host = host
        let outcome = ServeOutcome()
        Task.detached {
            do {
                try await server.run { port in writeError("listening on http://\(host):\(port)") }
            } catch {
                outcome.error = error
            }
            outcome.done.signal()
        }
        outcome.done.wait()
        if let error = outcome.error { throw error }
    }

    /// Bytes of a size such as `4GiB`, `512MiB`, `65536`.
    static func bytes(_ text: String) throws -> Int {
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1_000_000_000), ("MB", 1_000_000), ("B", 1)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            if let value = Double(trimmed.dropLast(suffix.count)), value > 0 { return Int(value * Double(scale)) }
        }
        if let value = Int(trimmed), value > 0 { return value }
        throw ValidationError("--kv-budget takes a size such as 4GiB or 512MiB, got '\(text)'")
    }
}

/// How the server ended, handed from its task to the waiting main thread.
private final class ServeOutcome: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var error: Error?
}

import Foundation
import LoomCheckpoint
import LoomCore
import LoomEngine
import LoomGeneration
import LoomMedia
import LoomModels
import LoomPrompt
import LoomTokenizers

/// A model directory ready to answer conversations of text and images: the model (chosen by `model_type`) inside
/// an ``Engine`` that answers many conversations at once, its tokenizer, image encoding, prompt templates and
/// generation defaults. Safe to share between tasks and threads.
///
/// ```swift
/// let loom = try LoomModel(directory: URL(fileURLWithPath: "llava-interleave-qwen-0.5b-hf"))
/// let chat = Conversation.user([.text("What differs between "), .image(.path("a.jpg")),
///                               .text(" and "), .image(.path("b.jpg")), .text("?")])
/// for try await event in loom.generate(chat) {
///     if case .token(let token) = event { print(token.text, terminator: "") }
/// }
/// ```
public final class LoomModel: @unchecked Sendable {
    public let directory: URL
    public let model: any LoadedModel
    public let tokenizer: Tokenizer
    public let generationConfiguration: GenerationConfiguration
    /// Renders prompts (with the checkpoint's chat template, or one given by ``useChatTemplate(_:)``).
    public var renderer: PromptRenderer { lock.withLock { promptRenderer } }
    /// Why the checkpoint's chat template could not be compiled (auto then falls back to the built-in templates).
    public let chatTemplateProblem: String?
    /// Runs every request against the model.
    public let engine: Engine
    /// Milliseconds spent loading.
    public let loadMs: Double
    private let lock = NSLock()
    private var limits = ImageLimits.default
    private var encoder: (any ImageEncoding)?
    private var promptRenderer: PromptRenderer

    /// Loads the model in `directory`, computing as `compute` says (default: in the checkpoint's dtype;
    /// `.f32` is the parity reference, `.bf16` and int8/int4 weights the fast paths), scheduling as `engine` says.
    /// With `adapter` (a PEFT LoRA adapter directory) its pairs are applied unmerged and its saved projector replaces
    /// the model's (``LoRAAdapter/applied(to:)``); an adapter that does not fit the model is an error naming the tensor.
    public init(directory: URL, compute: ComputeOptions = ComputeOptions(), engine: EngineConfiguration = EngineConfiguration(),
                adapter: URL? = nil) throws {
        let start = DispatchTime.now()
        self.directory = directory
        let loaded = try ModelRegistry.load(directory: directory, compute: compute)
        model = try adapter.map { try LoRAAdapter.load(from: $0).applied(to: loaded) } ?? loaded
        tokenizer = try Tokenizer(directory: directory)
        generationConfiguration = try GenerationConfiguration.load(from: directory)
        let vision = model as? any VisionLanguageModel
        encoder = try vision?.imageEncoder(directory: directory, anyResPinpoints: nil)
        var chatTemplate: CheckpointTemplate?
        do {
            chatTemplate = try CheckpointTemplate.load(directory: directory, vision: encoder != nil)
            chatTemplateProblem = nil
        } catch {
            chatTemplateProblem = "\(error)"
        }
        promptRenderer = PromptRenderer(tokenizer: tokenizer, vision: encoder.map { .init(imageTokenID: $0.imageTokenID) },
                                        chatTemplate: chatTemplate)
        self.engine = try Engine(model: model.languageModel, tokenizer: tokenizer, configuration: engine)
        loadMs = millisecondsSince(start)
    }

    deinit { engine.shutdown() }

    /// The decoder that generates.
    public var languageModel: any LanguageModel { model.languageModel }

    /// Limits applied when decoding images.
    public var imageLimits: ImageLimits {
        get { lock.withLock { limits } }
        set { lock.withLock { limits = newValue } }
    }

    /// How images become decoder rows; nil for a text-only model.
    public var imageEncoder: (any ImageEncoding)? { lock.withLock { encoder } }

    /// Multi-patch (AnyRes) images: set for LLaVA-NeXT checkpoints, and by ``useAnyRes(pinpoints:)``; nil when each
    /// image is one view.
    public var multiPatch: MultiPatchImages? { imageEncoder as? MultiPatchImages }

    /// Projected features of images already encoded (the engine's cache).
    public var featureCache: ImageFeatureCache { engine.featureCache }

    /// Tiles this checkpoint's images at `pinpoints` (`[height, width]` pairs, multiples of the vision tower's
    /// image size, e.g. `[[384, 768], [768, 384], [768, 768]]`), merging the views' features `flat` — LLaVA-NeXT's
    /// AnyRes as the original code runs it with `mm_patch_merge_type: flat`. Later prompts count and encode images
    /// this way. LLaVA-NeXT checkpoints tile by their own configuration already.
    public func useAnyRes(pinpoints: [[Int]]) throws {
        guard let vision = model as? any VisionLanguageModel else {
            throw ModelError.invalidConfiguration("AnyRes images need a LLaVA checkpoint; this is '\(model.modelType)'")
        }
        let tiled = try vision.imageEncoder(directory: directory, anyResPinpoints: pinpoints)
        lock.withLock { encoder = tiled }
    }

    /// The image encoding, or an error naming the images a text-only model cannot take.
    func requireEncoder(images: Int) throws -> any ImageEncoding {
        guard let encoder = imageEncoder else { throw PromptError.imagesWithoutVision(images) }
        return encoder
    }

    /// Side of the vision tower's square input (the AnyRes tile size); nil for a text-only model.
    public var towerImageSize: Int? { (model as? any VisionLanguageModel)?.towerImageSize }

    /// The rendered prompt for `conversation` (template nil: chosen automatically; `text` as
    /// ``PromptRenderer/render(_:template:addGenerationPrompt:imageTokenCounts:text:)`` takes it).
    public func prompt(_ conversation: Conversation, template: PromptTemplate? = nil, text: TextTokens = .parsed) throws -> RenderedPrompt {
        try renderer.render(conversation, template: template ?? defaultTemplate(for: conversation),
                            imageTokenCounts: try imagePositions(conversation.images), text: text)
    }

    /// `text` rendered verbatim (``PromptRenderer/renderRaw(_:images:imageTokenCounts:)``).
    public func promptRaw(_ text: String, images: [ImageSource]) throws -> RenderedPrompt {
        try renderer.renderRaw(text, images: images, imageTokenCounts: try imagePositions(images))
    }

    /// Positions each image takes (sizes read from file headers, not decoded); nil without image encoding.
    func imagePositions(_ images: [ImageSource]) throws -> [Int]? {
        guard let encoder = imageEncoder else { return nil }
        return try images.map { image in
            let size = try image.size()
            return encoder.positions(width: size.width, height: size.height)
        }
    }

    /// The preprocessed pixels of one image: `[3, H, W]` for one view, `[1 + tiles, 3, H, W]` when images are tiled.
    public func pixels(_ image: ImageSource) throws -> Tensor {
        try requireEncoder(images: 1).pixels(of: try image.load(limits: imageLimits))
    }

    /// The template used when none is named: `llava` for the original LLaVA-NeXT checkpoints (their tokenizer has
    /// no chat template), otherwise ``PromptTemplate/automatic(for:)``.
    public func defaultTemplate(for conversation: Conversation) -> PromptTemplate {
        if usesOriginalTemplate { return .llava }
        let automatic = PromptTemplate.automatic(for: conversation)
        return automatic == .hf ? automaticTemplate : automatic
    }

    /// The template for conversations whose images lead their messages: the checkpoint's own chat template when it
    /// ships one that compiles, else the built-in `hf`.
    public var automaticTemplate: PromptTemplate { renderer.chatTemplate == nil ? .hf : .checkpoint }

    /// Renders `.checkpoint` prompts with `template` instead of the checkpoint's own.
    public func useChatTemplate(_ template: CheckpointTemplate) {
        lock.withLock { promptRenderer.chatTemplate = template }
    }

    /// Whether this is an original LLaVA-NeXT checkpoint, whose prompts use the `llava` template by default.
    public var usesOriginalTemplate: Bool { (model as? any VisionLanguageModel)?.usesOriginalTemplate ?? false }

    /// Decoding settings from `generation_config.json` (greedy unless it asks for sampling).
    public var defaultParameters: GenerationParameters {
        generationConfiguration.parameters(fallbackEOS: languageModel.eosTokenIDs)
    }

    /// The engine's input for a rendered prompt: its text ids, and each image decoded with its content key.
    public func engineInput(_ prompt: RenderedPrompt) throws -> [EngineInput] {
        let limits = imageLimits
        let encoder = prompt.images.isEmpty ? nil : try requireEncoder(images: prompt.images.count)
        return try prompt.chunks.map { chunk in
            switch chunk {
            case .text(let ids): return .tokens(ids)
            case .image(let source, let positions):
                let image = EngineImage(try source.load(limits: limits), encoder: encoder!)
                guard image.positions == positions else {
                    throw ModelError.invalidInput("\(source.label) takes \(image.positions) positions but the prompt holds \(positions)")
                }
                return .image(image)
            }
        }
    }

    /// The prompt as decoder input rows: token embeddings with image features in place (images found in
    /// ``featureCache`` are not encoded again). Runs on the engine's thread; returns the time it took.
    public func embed(_ prompt: RenderedPrompt) throws -> (embeddings: Tensor, encodeMs: Double) {
        let input = try engineInput(prompt)
        let decoder = languageModel, cache = featureCache
        return try engine.run {
            let start = DispatchTime.now()
            let pieces = try input.map { piece -> DecoderInput in
                switch piece {
                case .tokens(let ids): return .tokens(ids)
                case .image(let image):
                    if let cached = cache.features(for: image.key) { return .features(cached) }
                    let features = try image.encoder.features(of: image.image)
                    cache.store(features, for: image.key)
                    return .features(features)
                }
            }
            let total = pieces.reduce(0) { $0 + $1.positions }
            return (decoder.embed(pieces, positions: 0..<total), millisecondsSince(start))
        }
    }

    /// Generates a reply to `conversation` (videos decoded into frames first), calling `onToken` on this thread as
    /// tokens are made.
    public func reply(to conversation: Conversation, template: PromptTemplate? = nil, parameters: GenerationParameters? = nil,
                      onToken: (GeneratedToken) -> Void = { _ in }) throws -> (prompt: RenderedPrompt, result: GenerationResult) {
        let rendered = try preparePrompt(conversation, template: template).prompt
        return (rendered, try generate(rendered, parameters: parameters, onToken: onToken))
    }

    /// Generates after an already rendered prompt, calling `onToken` on this thread as tokens are made.
    public func generate(_ rendered: RenderedPrompt, parameters: GenerationParameters? = nil,
                         onToken: (GeneratedToken) -> Void = { _ in }) throws -> GenerationResult {
        var result = try engine.generate(EngineRequest(prompt: try engineInput(rendered), parameters: parameters ?? defaultParameters),
                                         onToken: onToken)
        result.timings.loadMs = loadMs
        return result
    }

    /// Generates a reply to `conversation` as a stream of events: the rendered prompt, each token, then the result.
    /// Ending the stream early cancels the request and frees its cache.
    public func generate(_ conversation: Conversation, template: PromptTemplate? = nil,
                         parameters: GenerationParameters? = nil) -> AsyncThrowingStream<GenerationEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        let submission = Submission()
        continuation.onTermination = { [engine] _ in submission.cancel(engine) }
        let preparation = Thread { [self] in
            do {
                let rendered = try preparePrompt(conversation, template: template).prompt
                let request = EngineRequest(prompt: try engineInput(rendered), parameters: parameters ?? defaultParameters)
                try submission.submit(request, to: engine) { event in
                    switch event {
                    case .token(let token): continuation.yield(.token(token))
                    case .finished(var result):
                        result.timings.loadMs = self.loadMs
                        continuation.yield(.finished(prompt: rendered, result: result))
                        continuation.finish()
                    case .failed(let error): continuation.finish(throwing: error)
                    }
                }
            } catch {
                continuation.finish(throwing: error)
            }
        }
        preparation.name = "loom-prepare"
        preparation.start()
        return stream
    }
}

/// What ``LoomModel/generate(_:template:parameters:)`` streams.
public enum GenerationEvent: Sendable {
    /// A generated token and the text it completed.
    case token(GeneratedToken)
    /// Generation ended.
    case finished(prompt: RenderedPrompt, result: GenerationResult)
}

/// A request submitted once it is prepared, unless its stream ended first.
private final class Submission: @unchecked Sendable {
    private let lock = NSLock()
    private var id: RequestID?
    private var cancelled = false

    func submit(_ request: EngineRequest, to engine: Engine, handler: @escaping @Sendable (EngineEvent) -> Void) throws {
        try lock.withLock {
            guard !cancelled else { return }
            id = try engine.submit(request, handler: handler)
        }
    }

    func cancel(_ engine: Engine) {
        lock.withLock {
            cancelled = true
            if let id { engine.cancel(id) }
        }
    }
}

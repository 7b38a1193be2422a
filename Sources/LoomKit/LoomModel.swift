import Foundation
import LoomCheckpoint
import LoomCore
import LoomGeneration
import LoomMedia
import LoomModels
import LoomPrompt
import LoomTokenizers

/// A model directory ready to answer conversations of text and images: the model (chosen by `model_type`),
/// its tokenizer, image processor, prompt templates and generation defaults.
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
    /// Nil for a text-only model.
    public let imageProcessor: SiglipImageProcessor?
    public let generationConfiguration: GenerationConfiguration
    public let renderer: PromptRenderer
    /// Milliseconds spent loading.
    public let loadMs: Double
    /// Limits applied when decoding images.
    public var imageLimits = ImageLimits.default
    /// Projected features of images already encoded (256 MiB by default).
    public let featureCache = ImageFeatureCache(capacityBytes: 256 << 20)
    /// Multi-patch (AnyRes) images: set for LLaVA-NeXT checkpoints, and by ``useAnyRes(pinpoints:)``; nil when each
    /// image is one view.
    public internal(set) var multiPatch: MultiPatchImages?

    /// Loads the model in `directory`, computing as `compute` says (default: in the checkpoint's dtype;
    /// `.f32` is the parity reference, `.bf16` and int8/int4 weights the fast paths).
    public init(directory: URL, compute: ComputeOptions = ComputeOptions()) throws {
        let start = DispatchTime.now()
        self.directory = directory
        model = try ModelRegistry.load(directory: directory, compute: compute)
        tokenizer = try Tokenizer(directory: directory)
        generationConfiguration = try GenerationConfiguration.load(from: directory)
        if let next = model as? LlavaNextModel {
            let multiPatch = try MultiPatchImages(directory: directory, model: next)
            self.multiPatch = multiPatch
            imageProcessor = multiPatch.processor.viewProcessor
            renderer = PromptRenderer(tokenizer: tokenizer, vision: multiPatch.promptVision)
        } else if let llava = model as? LlavaModel {
            imageProcessor = try LoomModel.loadImageProcessor(directory: directory, vision: llava.configuration.visionConfig)
            renderer = PromptRenderer(tokenizer: tokenizer, vision: .init(imageTokenID: llava.configuration.imageTokenIndex,
                                                                          tokensPerImage: llava.configuration.imageTokenCount))
        } else {
            imageProcessor = nil
            renderer = PromptRenderer(tokenizer: tokenizer, vision: nil)
        }
        loadMs = millisecondsSince(start)
    }

    /// `preprocessor_config.json`, or SigLIP's defaults at the tower's image size when the file is absent.
    static func loadImageProcessor(directory: URL, vision: SiglipVisionConfiguration) throws -> SiglipImageProcessor {
        let name = "preprocessor_config.json"
        var configuration: ImageProcessorConfiguration
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            configuration = try ConfigFile.read(ImageProcessorConfiguration.self, named: name, in: directory)
        } else {
            configuration = ImageProcessorConfiguration()
            configuration.size = .init(height: vision.imageSize, width: vision.imageSize)
        }
        try configuration.validate()
        guard configuration.size.height == vision.imageSize, configuration.size.width == vision.imageSize else {
            throw ModelError.invalidConfiguration("\(name) resizes to \(configuration.size.width)×\(configuration.size.height) "
                + "but the vision tower takes \(vision.imageSize)×\(vision.imageSize)")
        }
        return SiglipImageProcessor(configuration: configuration)
    }

    /// The decoder that generates.
    public var languageModel: any LanguageModel { model.languageModel }

    /// The rendered prompt for `conversation` (template nil: chosen automatically).
    public func prompt(_ conversation: Conversation, template: PromptTemplate? = nil) throws -> RenderedPrompt {
        try renderer.render(conversation, template: template ?? defaultTemplate(for: conversation),
                            imageTokenCounts: try multiPatch?.imageTokenCounts(conversation.images))
    }

    /// The preprocessed pixels of one image (`[3, H, W]`).
    public func pixels(_ image: ImageSource) throws -> Tensor {
        guard let imageProcessor else { throw PromptError.imagesWithoutVision(1) }
        return imageProcessor.preprocess(fitted(try image.load(limits: imageLimits)))
    }

    /// The image as the model's preprocessing wants it before resizing (padded to a square for `image_aspect_ratio: pad`).
    func fitted(_ image: RGBImage) -> RGBImage {
        guard let llava = model as? LlavaModel, llava.preprocessing == .padToSquare, let imageProcessor else { return image }
        let mean = imageProcessor.configuration.imageMean.map { UInt8(max(0, min(255, Int($0 * 255)))) }
        return image.paddedToSquare(fill: (mean[0], mean[1], mean[2]))
    }

    /// The template used when none is named: `llava` for the original LLaVA-NeXT checkpoints (their tokenizer has
    /// no chat template), otherwise ``PromptTemplate/automatic(for:)``.
    public func defaultTemplate(for conversation: Conversation) -> PromptTemplate {
        usesOriginalTemplate ? .llava : PromptTemplate.automatic(for: conversation)
    }

    /// Whether this is an original LLaVA-NeXT checkpoint, whose prompts use the `llava` template by default.
    public var usesOriginalTemplate: Bool { model.modelType == "llava_qwen" }

    /// Decoding settings from `generation_config.json` (greedy unless it asks for sampling).
    public var defaultParameters: GenerationParameters {
        generationConfiguration.parameters(fallbackEOS: languageModel.eosTokenIDs)
    }

    /// The prompt as decoder input rows: token embeddings with image features in place. Returns the time spent
    /// decoding, preprocessing and encoding images (images found in ``featureCache`` are not encoded again).
    public func embed(_ prompt: RenderedPrompt) throws -> (embeddings: Tensor, encodeMs: Double) {
        guard !prompt.images.isEmpty else { return (languageModel.embed(prompt.ids), 0) }
        if let multiPatch { return try embedMultiPatch(prompt, multiPatch) }
        guard let llava = model as? LlavaModel, let imageProcessor else { throw PromptError.imagesWithoutVision(prompt.images.count) }
        let start = DispatchTime.now()
        let settings = try imageSettings(imageProcessor)
        var keys: [String] = []
        var found: [String: Tensor] = [:]
        var pending: [(key: String, pixels: Tensor)] = []
        for source in prompt.images {
            let image = try source.load(limits: imageLimits)
            let key = ImageFeatureCache.key(width: image.width, height: image.height, pixels: image.pixels, settings: settings)
            keys.append(key)
            if found[key] != nil || pending.contains(where: { $0.key == key }) { continue }
            if let cached = featureCache.features(for: key) {
                found[key] = cached
            } else {
                pending.append((key, imageProcessor.preprocess(fitted(image))))
            }
        }
        if !pending.isEmpty {
            let shape = pending[0].pixels.shape
            let batch = Tensor(shape: [pending.count] + shape, data: pending.flatMap(\.pixels.data))
            let features = try llava.imageFeatures(batch)
            let rows = features.rows / pending.count
            for (n, item) in pending.enumerated() {
                let own = features.rows((n * rows)..<((n + 1) * rows))
                found[item.key] = own
                featureCache.store(own, for: item.key)
            }
        }
        let all = keys.map { found[$0]! }
        let joined = Tensor(shape: [all.reduce(0) { $0 + $1.rows }, all[0].columns], data: all.flatMap(\.data))
        let embeddings = try llava.embed(ids: prompt.ids, imageFeatures: joined)
        return (embeddings, millisecondsSince(start))
    }

    /// What, besides the pixels, decides an image's features: the preprocessing settings.
    func imageSettings(_ processor: SiglipImageProcessor) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let preprocessing = (model as? LlavaModel)?.preprocessing.rawValue ?? ""
        return preprocessing + String(decoding: try encoder.encode(processor.configuration), as: UTF8.self)
    }

    /// Generates a reply to `conversation` (videos decoded into frames first), calling `onToken` as tokens are made.
    public func reply(to conversation: Conversation, template: PromptTemplate? = nil, parameters: GenerationParameters? = nil,
                      onToken: (GeneratedToken) -> Void = { _ in }) throws -> (prompt: RenderedPrompt, result: GenerationResult) {
        let rendered = try preparePrompt(conversation, template: template).prompt
        return (rendered, try generate(rendered, parameters: parameters, onToken: onToken))
    }

    /// Generates after an already rendered prompt.
    public func generate(_ rendered: RenderedPrompt, parameters: GenerationParameters? = nil,
                         onToken: (GeneratedToken) -> Void = { _ in }) throws -> GenerationResult {
        let (embeddings, encodeMs) = try embed(rendered)
        let generator = Generator(model: languageModel, tokenizer: tokenizer)
        var result = try generator.generate(prompt: embeddings, parameters: parameters ?? defaultParameters, onToken: onToken)
        result.timings.encodeMs = encodeMs
        result.timings.loadMs = loadMs
        return result
    }

    /// Generates a reply to `conversation` as a stream of events: the rendered prompt, each token, then the result.
    public func generate(_ conversation: Conversation, template: PromptTemplate? = nil,
                         parameters: GenerationParameters? = nil) -> AsyncThrowingStream<GenerationEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Thread { [self] in
                do {
                    let (rendered, result) = try reply(to: conversation, template: template, parameters: parameters) { token in
                        continuation.yield(.token(token))
                    }
                    continuation.yield(.finished(prompt: rendered, result: result))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            task.stackSize = 8 << 20
            task.start()
        }
    }
}

/// What ``LoomModel/generate(_:template:parameters:)`` streams.
public enum GenerationEvent: Sendable {
    /// A generated token and the text it completed.
    case token(GeneratedToken)
    /// Generation ended.
    case finished(prompt: RenderedPrompt, result: GenerationResult)
}

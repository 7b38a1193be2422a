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

    /// Loads the model in `directory`.
    public init(directory: URL) throws {
        let start = DispatchTime.now()
        self.directory = directory
        model = try ModelRegistry.load(directory: directory)
        tokenizer = try Tokenizer(directory: directory)
        generationConfiguration = try GenerationConfiguration.load(from: directory)
        if let llava = model as? LlavaModel {
            imageProcessor = try LoomModel.loadImageProcessor(directory: directory, vision: llava.configuration.visionConfig)
            renderer = PromptRenderer(tokenizer: tokenizer, vision: .init(imageTokenID: llava.configuration.imageTokenIndex,
                                                                          tokensPerImage: llava.configuration.imageTokenCount))
        } else {
            imageProcessor = nil
            renderer = PromptRenderer(tokenizer: tokenizer, vision: nil)
        }
        loadMs = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
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
        try renderer.render(conversation, template: template)
    }

    /// The preprocessed pixels of one image (`[3, H, W]`).
    public func pixels(_ image: ImageSource) throws -> Tensor {
        guard let imageProcessor else { throw PromptError.imagesWithoutVision(1) }
        return imageProcessor.preprocess(try image.load(limits: imageLimits))
    }

    /// Decoding settings from `generation_config.json` (greedy unless it asks for sampling).
    public var defaultParameters: GenerationParameters {
        generationConfiguration.parameters(fallbackEOS: languageModel.eosTokenIDs)
    }

    /// The prompt as decoder input rows: token embeddings with image features in place. Returns the time spent
    /// decoding, preprocessing and encoding images.
    public func embed(_ prompt: RenderedPrompt) throws -> (embeddings: Tensor, encodeMs: Double) {
        guard !prompt.images.isEmpty else { return (languageModel.embed(prompt.ids), 0) }
        guard let llava = model as? LlavaModel else { throw PromptError.imagesWithoutVision(prompt.images.count) }
        let start = DispatchTime.now()
        let tensors = try prompt.images.map { try pixels($0) }
        let shape = tensors[0].shape
        let batch = Tensor(shape: [tensors.count] + shape, data: tensors.flatMap(\.data))
        let features = try llava.imageFeatures(batch)
        let embeddings = try llava.embed(ids: prompt.ids, imageFeatures: features)
        return (embeddings, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
    }

    /// Generates a reply to `conversation`, calling `onToken` as tokens are made.
    public func generate(_ conversation: Conversation, template: PromptTemplate? = nil, parameters: GenerationParameters? = nil,
                         onToken: (GeneratedToken) -> Void = { _ in }) throws -> (prompt: RenderedPrompt, result: GenerationResult) {
        let rendered = try prompt(conversation, template: template)
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
                    let (rendered, result) = try generate(conversation, template: template, parameters: parameters) { token in
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

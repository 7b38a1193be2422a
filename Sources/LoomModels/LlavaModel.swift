import Foundation
import LoomCheckpoint
import LoomCore

/// LLaVA (`LlavaForConditionalGeneration`): SigLIP features of each image, projected to the decoder's width,
/// replace the image's run of `<image>` tokens in the embedded prompt; positions stay plain `0..<L`.
public final class LlavaModel: LoadedModel, @unchecked Sendable {
    public let configuration: LlavaConfiguration
    public let decoder: Qwen2Model
    public let visionTower: SiglipVisionTower
    public let projector: MultimodalProjector
    /// Where the tensors were found.
    public let layout: LlavaTensorLayout
    /// How images are fitted to the tower's square input.
    public let preprocessing: ImagePreprocessing

    /// Builds the model from `source`, finding the tensor layout (HF legacy, transformers ≥ 4.52, v5, the original
    /// LLaVA-NeXT names) itself.
    public init(configuration: LlavaConfiguration, source: any TensorSource, preprocessing: ImagePreprocessing = .squash) throws {
        try configuration.validate()
        self.configuration = configuration
        self.preprocessing = preprocessing
        let layout = try LlavaTensorLayout.detect(in: source)
        self.layout = layout
        var text = configuration.textConfig
        text.tieWordEmbeddings = text.tieWordEmbeddings || configuration.tieWordEmbeddings
        decoder = try Qwen2Model(configuration: text, checkpoint: source,
                                 names: .init(decoderPrefix: layout.decoderPrefix, lmHead: layout.lmHead))
        visionTower = try SiglipVisionTower(configuration: configuration.visionConfig, source: source,
                                            prefix: layout.visionPrefix, featureLayers: configuration.visionFeatureLayers)
        projector = try MultimodalProjector(source: source, first: layout.projectorFirst, second: layout.projectorSecond,
                                            inputWidth: visionTower.featureWidth, outputWidth: text.hiddenSize,
                                            activation: configuration.projectorHiddenAct,
                                            bias: configuration.multimodalProjectorBias)
    }

    private init(copying model: LlavaModel, decoder: Qwen2Model, projector: MultimodalProjector) {
        configuration = model.configuration
        self.decoder = decoder
        visionTower = model.visionTower
        self.projector = projector
        layout = model.layout
        preprocessing = model.preprocessing
    }

    /// This model (its weights shared) with `adapter` applied unmerged: the LoRA pairs on the decoder
    /// (``Qwen2Model/adapted(by:)``) and the saved `multi_modal_projector` in place of the projector. Throws, naming the
    /// tensor, when shapes do not fit, and for saved modules other than the projector (those only merge).
    public func adapted(by adapter: LoRAAdapter) throws -> LlavaModel {
        let adaptedDecoder = try decoder.adapted(by: adapter)
        guard !adapter.savedModules.isEmpty else { return LlavaModel(copying: self, decoder: adaptedDecoder, projector: projector) }
        if let other = adapter.savedModules.keys.sorted().first(where: { !$0.hasPrefix("multi_modal_projector.") }) {
            throw ModelError.invalidInput("adapter saves '\(other)', which only merging applies (loom merge); "
                + "unmerged, an adapter replaces only multi_modal_projector")
        }
        do {
            let replaced = try MultimodalProjector(source: TensorDictionary(adapter.savedModules), first: "multi_modal_projector.linear_1",
                                                   second: "multi_modal_projector.linear_2", inputWidth: visionTower.featureWidth,
                                                   outputWidth: configuration.textConfig.hiddenSize,
                                                   activation: configuration.projectorHiddenAct, bias: configuration.multimodalProjectorBias)
            return LlavaModel(copying: self, decoder: adaptedDecoder, projector: replaced)
        } catch let error as CheckpointError {
            throw ModelError.invalidInput("adapter's multi_modal_projector: \(error)")
        }
    }

    public var modelType: String { configuration.modelType }
    public var languageModel: any LanguageModel { decoder }

    /// Decoder-ready features of a batch of preprocessed images (`[images, 3, size, size]`):
    /// `[images * imageTokenCount, hiddenSize]`, image after image, patches row-major.
    /// Runs at most ``imagesPerPass`` images through the tower and projector at a time, so that activations stay
    /// small (a few tens of MiB) however many images a prompt holds.
    public func imageFeatures(_ pixels: Tensor) throws -> Tensor {
        try Encoding(model: self, pixels: pixels).finish()
    }

    /// Images the vision tower encodes together.
    public static let imagesPerPass = 2

    /// A batch of preprocessed images being encoded a few tower layers at a time: ``imagesPerPass`` images per tower
    /// pass, each pass's features selected and projected when its last layer has run.
    public final class Encoding: ImageEncodingJob {
        let model: LlavaModel
        private let pixels: Tensor
        private var first = 0
        private var pass: SiglipVisionTower.Pass?
        private var done: [Float] = []
        private var columns = 0

        init(model: LlavaModel, pixels: Tensor) throws {
            guard pixels.shape.count == 4, pixels.shape[0] > 0 else {
                throw ModelError.invalidInput("image features need pixels [images, 3, size, size], got \(pixels.shape)")
            }
            self.model = model
            self.pixels = pixels
        }

        /// Runs up to `layers` more tower layers (at least one while any is left); returns the features
        /// (`[images * imageTokenCount, hiddenSize]`) once every image is encoded and projected.
        public func advance(layers: Int) throws -> Tensor? {
            let images = pixels.shape[0]
            var budget = max(layers, 1)
            while first < images && budget > 0 {
                if pass == nil {
                    let count = min(LlavaModel.imagesPerPass, images - first), perImage = pixels.count / images
                    let group = count == images ? pixels : Tensor(shape: [count] + pixels.shape.dropFirst(),
                                                                  data: Array(pixels.data[(first * perImage)..<((first + count) * perImage)]))
                    pass = try SiglipVisionTower.Pass(tower: model.visionTower, pixels: group)
                }
                let current = pass!
                let ran = min(budget, current.remainingLayers)
                current.run(layers: ran)
                budget -= ran
                guard current.isDone else { continue }
                let features = model.project(current.features, images: current.images)
                columns = features.columns
                done += features.data
                first += current.images
                pass = nil
            }
            return first == images ? Tensor(shape: [done.count / columns, columns], data: done) : nil
        }
    }

    /// The decoder-ready features of one tower pass's hidden states: the class token dropped under the `default`
    /// selection strategy, then the projector.
    func project(_ hidden: Tensor, images: Int) -> Tensor {
        var features = hidden
        if configuration.visionFeatureSelectStrategy == "default" {
            let patches = configuration.visionConfig.patchCount
            var kept: [Float] = []
            kept.reserveCapacity(images * (patches - 1) * features.columns)
            for image in 0..<images {
                kept.append(contentsOf: features.rows((image * patches + 1)..<((image + 1) * patches)).data)
            }
            features = Tensor(shape: [images * (patches - 1), features.columns], data: kept)
        }
        return projector(features)
    }
}

/// The tensor-name prefixes of a LLaVA checkpoint, which differ between transformers versions and the
/// original LLaVA-NeXT code.
public struct LlavaTensorLayout: Sendable, Equatable {
    public let decoderPrefix: String
    public let lmHead: String
    public let visionPrefix: String
    public let projectorFirst: String
    public let projectorSecond: String

    static let decoderPrefixes = ["language_model.model.", "model.language_model.", "model."]
    static let lmHeads = ["language_model.lm_head.weight", "lm_head.weight"]
    static let visionPrefixes = ["vision_tower.vision_model.", "model.vision_tower.vision_model.", "vision_tower.",
                                 "model.vision_tower.", "model.vision_tower.vision_tower.vision_model."]
    static let projectors = [("multi_modal_projector.linear_1", "multi_modal_projector.linear_2"),
                             ("model.multi_modal_projector.linear_1", "model.multi_modal_projector.linear_2"),
                             ("model.mm_projector.0", "model.mm_projector.2")]

    /// Finds which naming `source` uses; a missing part is an error naming what was looked for.
    public static func detect(in source: any TensorSource) throws -> LlavaTensorLayout {
        guard let decoder = decoderPrefixes.first(where: { source.contains($0 + "embed_tokens.weight") }) else {
            throw ModelError.invalidConfiguration("checkpoint has no decoder weights (looked for embed_tokens.weight under "
                + decoderPrefixes.joined(separator: ", ") + ")")
        }
        guard let vision = visionPrefixes.first(where: { source.contains($0 + "embeddings.patch_embedding.weight") }) else {
            throw ModelError.invalidConfiguration("checkpoint has no vision tower weights (looked for embeddings.patch_embedding.weight under "
                + visionPrefixes.joined(separator: ", ") + ")")
        }
        guard let projector = projectors.first(where: { source.contains($0.0 + ".weight") }) else {
            throw ModelError.invalidConfiguration("checkpoint has no projector weights (looked for "
                + projectors.map { $0.0 + ".weight" }.joined(separator: ", ") + ")")
        }
        let head = lmHeads.first(where: { source.contains($0) }) ?? lmHeads[0]
        return LlavaTensorLayout(decoderPrefix: decoder, lmHead: head, visionPrefix: vision,
                                 projectorFirst: projector.0, projectorSecond: projector.1)
    }
}

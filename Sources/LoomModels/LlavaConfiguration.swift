import Foundation
import LoomCheckpoint

/// `LlavaConfig` of transformers (`model_type: llava`): a vision tower, a projector and a text decoder.
/// Absent fields take the class defaults (note: the class defaults are LLaVA-1.5's, e.g. strategy `default`
/// and layer −2; the interleave checkpoints set `full` and −1 explicitly).
public struct LlavaConfiguration: Codable, Sendable, Equatable {
    public var modelType = "llava"
    public var textConfig = Qwen2Configuration()
    public var visionConfig = SiglipVisionConfiguration()
    /// The id of `<image>`; each image's features replace a run of it. A negative value is a sentinel outside the
    /// vocabulary (the original LLaVA code's −200).
    public var imageTokenIndex = 32_000
    public var projectorHiddenAct = "gelu"
    /// `full` keeps every patch; `default` drops the first (LLaVA-1.5's CLS token).
    public var visionFeatureSelectStrategy = "default"
    /// Hidden state(s) of the vision tower to read; a list is concatenated along features.
    public var visionFeatureLayers: [Int] = [-2]
    public var multimodalProjectorBias = true
    public var tieWordEmbeddings = false

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", textConfig = "text_config", visionConfig = "vision_config"
        case imageTokenIndex = "image_token_index", imageTokenID = "image_token_id"
        case projectorHiddenAct = "projector_hidden_act", visionFeatureSelectStrategy = "vision_feature_select_strategy"
        case visionFeatureLayer = "vision_feature_layer", multimodalProjectorBias = "multimodal_projector_bias"
        case tieWordEmbeddings = "tie_word_embeddings"
    }

    /// The class defaults.
    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? modelType
        textConfig = try c.decodeIfPresent(Qwen2Configuration.self, forKey: .textConfig) ?? textConfig
        visionConfig = try c.decodeIfPresent(SiglipVisionConfiguration.self, forKey: .visionConfig) ?? visionConfig
        imageTokenIndex = try c.decodeIfPresent(Int.self, forKey: .imageTokenIndex)
            ?? c.decodeIfPresent(Int.self, forKey: .imageTokenID) ?? imageTokenIndex
        projectorHiddenAct = try c.decodeIfPresent(String.self, forKey: .projectorHiddenAct) ?? projectorHiddenAct
        visionFeatureSelectStrategy = try c.decodeIfPresent(String.self, forKey: .visionFeatureSelectStrategy) ?? visionFeatureSelectStrategy
        visionFeatureLayers = try c.decodeOneOrMany(.visionFeatureLayer) ?? visionFeatureLayers
        multimodalProjectorBias = try c.decodeIfPresent(Bool.self, forKey: .multimodalProjectorBias) ?? multimodalProjectorBias
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? tieWordEmbeddings
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(textConfig, forKey: .textConfig)
        try c.encode(visionConfig, forKey: .visionConfig)
        try c.encode(imageTokenIndex, forKey: .imageTokenIndex)
        try c.encode(projectorHiddenAct, forKey: .projectorHiddenAct)
        try c.encode(visionFeatureSelectStrategy, forKey: .visionFeatureSelectStrategy)
        if visionFeatureLayers.count == 1 {
            try c.encode(visionFeatureLayers[0], forKey: .visionFeatureLayer)
        } else {
            try c.encode(visionFeatureLayers, forKey: .visionFeatureLayer)
        }
        try c.encode(multimodalProjectorBias, forKey: .multimodalProjectorBias)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
    }

    /// Tokens one image occupies in the decoder's sequence. This is the one place the count is decided:
    /// patches per image (`(image_size / patch_size)²`, SigLIP has no class token), minus one under the
    /// `default` strategy — exactly what `LlavaProcessor` expands `<image>` to (729 for 384 / 14, `full`).
    public var imageTokenCount: Int {
        visionConfig.patchCount - (visionFeatureSelectStrategy == "default" ? 1 : 0)
    }

    /// Tokens `images` images occupy together.
    public func imageTokenCount(images: Int) -> Int { images * imageTokenCount }

    /// Checks that the values describe a model Loom can run.
    public func validate() throws {
        guard ["default", "full"].contains(visionFeatureSelectStrategy) else {
            throw ModelError.invalidConfiguration("vision_feature_select_strategy '\(visionFeatureSelectStrategy)' is not supported (default, full)")
        }
        guard !visionFeatureLayers.isEmpty else { throw ModelError.invalidConfiguration("vision_feature_layer is empty") }
        guard imageTokenIndex < textConfig.vocabSize else {
            throw ModelError.invalidConfiguration("image_token_index \(imageTokenIndex) is outside the vocabulary of \(textConfig.vocabSize)")
        }
        guard textConfig.modelType == "qwen2" else {
            throw ModelError.invalidConfiguration("text_config model_type '\(textConfig.modelType)' is not supported (only qwen2)")
        }
        try textConfig.validate()
        try visionConfig.validate()
    }
}

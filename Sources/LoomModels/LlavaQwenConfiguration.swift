import Foundation

/// The original LLaVA-NeXT `LlavaQwenConfig` (`model_type: llava_qwen`, lmms-lab checkpoints): Qwen2 fields at the
/// top level plus `mm_*` keys. The vision tower is named, not described (`mm_vision_tower`); Loom knows
/// SigLIP-so400m-patch14-384 and otherwise reads an optional `vision_config` block.
public struct LlavaQwenConfiguration: Decodable, Sendable, Equatable {
    /// The `model_type` of the original LLaVA-NeXT checkpoints.
    public static let modelType = "llava_qwen"
    public var text: Qwen2Configuration
    public var visionTower: String?
    public var projectorType = "mlp2x_gelu"
    public var visionSelectFeature = "patch"
    public var patchMergeType = "flat"
    /// `pad` pads each image to a square with the mean colour before resizing; `square`/absent squashes.
    public var imageAspectRatio: String?
    public var visionConfig: SiglipVisionConfiguration?

    enum CodingKeys: String, CodingKey {
        case visionTower = "mm_vision_tower", projectorType = "mm_projector_type"
        case visionSelectFeature = "mm_vision_select_feature", patchMergeType = "mm_patch_merge_type"
        case imageAspectRatio = "image_aspect_ratio", visionConfig = "vision_config"
    }

    public init(from decoder: Decoder) throws {
        text = try Qwen2Configuration(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        visionTower = try c.decodeIfPresent(String.self, forKey: .visionTower)
        projectorType = try c.decodeIfPresent(String.self, forKey: .projectorType) ?? projectorType
        visionSelectFeature = try c.decodeIfPresent(String.self, forKey: .visionSelectFeature) ?? visionSelectFeature
        patchMergeType = try c.decodeIfPresent(String.self, forKey: .patchMergeType) ?? patchMergeType
        imageAspectRatio = try c.decodeIfPresent(String.self, forKey: .imageAspectRatio)
        visionConfig = try c.decodeIfPresent(SiglipVisionConfiguration.self, forKey: .visionConfig)
    }

    /// The equivalent `llava` configuration: the original SigLIP tower drops its last layer and reads the output of
    /// the one before, un-normalised, which is the last of the `storedVisionLayers` layers a checkpoint holds;
    /// image positions are the original code's −200 sentinel.
    public func llavaConfiguration(storedVisionLayers: Int) throws -> LlavaConfiguration {
        func fail(_ reason: String) -> ModelError { .invalidConfiguration("llava_qwen config: \(reason)") }
        guard projectorType == "mlp2x_gelu" else { throw fail("mm_projector_type '\(projectorType)' is not supported (mlp2x_gelu)") }
        guard visionSelectFeature == "patch" else { throw fail("mm_vision_select_feature '\(visionSelectFeature)' is not supported (patch)") }
        guard patchMergeType == "flat" else { throw fail("mm_patch_merge_type '\(patchMergeType)' is not supported (flat)") }
        guard [nil, "pad", "square"].contains(imageAspectRatio) else {
            throw fail("image_aspect_ratio '\(imageAspectRatio!)' is not supported (pad, square)")
        }
        var vision: SiglipVisionConfiguration
        if let visionConfig {
            vision = visionConfig
        } else if let tower = visionTower, tower.contains("siglip-so400m-patch14-384") {
            vision = Architectures.siglipSo400mInterleave
        } else {
            throw fail("unknown vision tower '\(visionTower ?? "none")' (give a vision_config, or use siglip-so400m-patch14-384)")
        }
        guard storedVisionLayers > 0 else { throw fail("the checkpoint has no vision tower layers") }
        vision.numHiddenLayers = storedVisionLayers
        var llava = LlavaConfiguration()
        llava.modelType = LlavaQwenConfiguration.modelType
        llava.textConfig = text
        llava.textConfig.modelType = "qwen2"
        llava.visionConfig = vision
        llava.imageTokenIndex = -200
        llava.visionFeatureSelectStrategy = "full"
        llava.visionFeatureLayers = [-1]
        llava.projectorHiddenAct = "gelu"
        llava.tieWordEmbeddings = text.tieWordEmbeddings
        return llava
    }

    /// How images are fitted to the tower's square input.
    public var imagePreprocessing: ImagePreprocessing { imageAspectRatio == "pad" ? .padToSquare : .squash }
}

/// How an image is fitted to the vision tower's square input before the processor's resize.
public enum ImagePreprocessing: String, Sendable, Equatable {
    /// Resized to the square as is, aspect ratio lost (transformers' `LlavaProcessor`).
    case squash
    /// Padded to a square with the processor's mean colour first (LLaVA-NeXT `image_aspect_ratio: pad`).
    case padToSquare
}

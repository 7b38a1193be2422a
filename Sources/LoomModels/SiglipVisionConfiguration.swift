import LoomCore

/// `SiglipVisionConfig` of transformers (`model_type: siglip_vision_model`). Absent fields take the class defaults.
public struct SiglipVisionConfiguration: Codable, Sendable, Equatable {
    public var modelType = "siglip_vision_model"
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var numChannels = 3
    public var imageSize = 224
    public var patchSize = 16
    public var hiddenAct = "gelu_pytorch_tanh"
    public var layerNormEps = 1e-6
    /// Whether the attention-pooling head exists; LLaVA never uses it.
    public var visionUseHead = true

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numChannels = "num_channels", imageSize = "image_size", patchSize = "patch_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps", visionUseHead = "vision_use_head"
    }

    /// The class defaults.
    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? modelType
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? numChannels
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? imageSize
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? patchSize
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? hiddenAct
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? layerNormEps
        visionUseHead = try c.decodeIfPresent(Bool.self, forKey: .visionUseHead) ?? visionUseHead
    }

    /// Patches along one side of the image (`image_size / patch_size`, the convolution's output width).
    public var patchesPerSide: Int { (imageSize - patchSize) / patchSize + 1 }
    /// Patch tokens per image (SigLIP has no class token).
    public var patchCount: Int { patchesPerSide * patchesPerSide }
    /// Width of one attention head.
    public var headDim: Int { hiddenSize / max(numAttentionHeads, 1) }

    /// Checks that the values describe a tower Loom can run.
    public func validate() throws {
        func fail(_ reason: String) -> ModelError { .invalidConfiguration("vision config: \(reason)") }
        guard modelType == "siglip_vision_model" else {
            throw fail("model_type '\(modelType)' is not supported (only siglip_vision_model)")
        }
        for (name, value) in [("hidden_size", hiddenSize), ("intermediate_size", intermediateSize), ("num_hidden_layers", numHiddenLayers),
                              ("num_attention_heads", numAttentionHeads), ("num_channels", numChannels),
                              ("image_size", imageSize), ("patch_size", patchSize)] where value <= 0 {
            throw fail("\(name) must be positive, is \(value)")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw fail("hidden_size \(hiddenSize) is not divisible by num_attention_heads \(numAttentionHeads)")
        }
        guard patchSize <= imageSize else { throw fail("patch_size \(patchSize) exceeds image_size \(imageSize)") }
        guard Activation(geluName: hiddenAct) != nil else {
            throw fail("hidden_act '\(hiddenAct)' is not supported (gelu_pytorch_tanh, gelu)")
        }
    }
}

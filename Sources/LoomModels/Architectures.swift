/// Named configurations of real published models, for benchmarks on random weights.
public enum Architectures {
    /// Qwen1.5-0.5B (the decoder of llava-interleave-qwen-0.5b before its vocabulary was padded).
    public static var qwen15_05B: Qwen2Configuration {
        var c = Qwen2Configuration()
        c.vocabSize = 151_936
        c.hiddenSize = 1024
        c.intermediateSize = 2816
        c.numHiddenLayers = 24
        c.numAttentionHeads = 16
        c.numKeyValueHeads = 16
        c.tieWordEmbeddings = true
        c.ropeTheta = 1_000_000
        c.bosTokenID = 151_643
        c.eosTokenIDs = [151_645]
        return c
    }

    /// Qwen1.5-7B (the decoder of llava-interleave-qwen-7b before its vocabulary was padded).
    public static var qwen15_7B: Qwen2Configuration {
        var c = Qwen2Configuration()
        c.vocabSize = 151_936
        c.intermediateSize = 11_008
        c.ropeTheta = 1_000_000
        c.bosTokenID = 151_643
        c.eosTokenIDs = [151_645]
        return c
    }

    /// Text-only architectures by the names `loom bench --config` accepts.
    public static let textModels: [String: Qwen2Configuration] = [
        "qwen1.5-0.5b": qwen15_05B,
        "qwen1.5-7b": qwen15_7B,
    ]
}

extension Architectures {
    /// SigLIP-so400m as llava-interleave uses it: 26 of its 27 layers, 384 px, 14 px patches.
    public static var siglipSo400mInterleave: SiglipVisionConfiguration {
        var v = SiglipVisionConfiguration()
        v.hiddenSize = 1152
        v.intermediateSize = 4304
        v.numHiddenLayers = 26
        v.numAttentionHeads = 16
        v.imageSize = 384
        v.patchSize = 14
        v.visionUseHead = false
        return v
    }

    /// `llava-hf/llava-interleave-qwen-{0.5b,7b}-hf`: the decoder's vocabulary padded to 152000, `<image>` = 151646,
    /// every patch of the last SigLIP layer.
    public static func llavaInterleave(text: Qwen2Configuration) -> LlavaConfiguration {
        var c = LlavaConfiguration()
        c.textConfig = text
        c.textConfig.vocabSize = 152_000
        c.visionConfig = siglipSo400mInterleave
        c.imageTokenIndex = 151_646
        c.visionFeatureSelectStrategy = "full"
        c.visionFeatureLayers = [-1]
        c.tieWordEmbeddings = text.tieWordEmbeddings
        return c
    }

    /// Multimodal architectures by the names `loom bench --config` accepts.
    public static let multimodalModels: [String: LlavaConfiguration] = [
        "llava-interleave-qwen-0.5b": llavaInterleave(text: qwen15_05B),
        "llava-interleave-qwen-7b": llavaInterleave(text: qwen15_7B),
    ]
}

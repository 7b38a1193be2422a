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

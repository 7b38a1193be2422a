import Foundation
import LoomCheckpoint

/// `Qwen2Config` of transformers, as `config.json` spells it (`model_type: qwen2`).
/// Absent fields take the class defaults of transformers 5.x.
public struct Qwen2Configuration: Codable, Sendable, Equatable {
    public var modelType = "qwen2"
    public var vocabSize = 151_936
    public var hiddenSize = 4096
    public var intermediateSize = 22_016
    public var numHiddenLayers = 32
    public var numAttentionHeads = 32
    /// Key-value heads; equal to `numAttentionHeads` when absent (no grouped-query attention).
    public var numKeyValueHeads: Int?
    /// Per-head width; `hiddenSize / numAttentionHeads` when absent.
    public var headDim: Int?
    public var hiddenAct = "silu"
    public var maxPositionEmbeddings = 32_768
    public var rmsNormEps = 1e-6
    public var tieWordEmbeddings = false
    /// RoPE base, from `rope_theta` or `rope_parameters.rope_theta` (transformers ≥ 5); default 10000.
    public var ropeTheta = 10_000.0
    /// RoPE variant (`rope_parameters.rope_type` / `rope_scaling.type`); only `default` is supported.
    public var ropeType = "default"
    public var useSlidingWindow = false
    public var bosTokenID: Int?
    /// End-of-sequence ids (`eos_token_id`, a number or a list).
    public var eosTokenIDs: [Int] = []
    /// The dtype the weights were saved in (`torch_dtype` / `dtype`), informational.
    public var dtype: String?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim", hiddenAct = "hidden_act", maxPositionEmbeddings = "max_position_embeddings"
        case rmsNormEps = "rms_norm_eps", tieWordEmbeddings = "tie_word_embeddings", ropeTheta = "rope_theta"
        case ropeParameters = "rope_parameters", ropeScaling = "rope_scaling", useSlidingWindow = "use_sliding_window"
        case bosTokenID = "bos_token_id", eosTokenID = "eos_token_id", torchDtype = "torch_dtype", dtype
    }

    /// RoPE settings as transformers 5 writes them.
    struct RopeParameters: Codable {
        var ropeTheta: Double?
        var ropeType: String?
        var type: String?
        enum CodingKeys: String, CodingKey { case ropeTheta = "rope_theta", ropeType = "rope_type", type }
    }

    /// A configuration with transformers' defaults.
    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? modelType
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads)
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim)
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? hiddenAct
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? maxPositionEmbeddings
        rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? rmsNormEps
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? tieWordEmbeddings
        useSlidingWindow = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) ?? useSlidingWindow
        bosTokenID = try c.decodeIfPresent(Int.self, forKey: .bosTokenID)
        eosTokenIDs = try c.decodeOneOrMany(.eosTokenID) ?? []
        dtype = try c.decodeIfPresent(String.self, forKey: .dtype) ?? c.decodeIfPresent(String.self, forKey: .torchDtype)
        let parameters = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
        let scaling = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeScaling)
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? parameters?.ropeTheta ?? ropeTheta
        ropeType = parameters?.ropeType ?? parameters?.type ?? scaling?.ropeType ?? scaling?.type ?? ropeType
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encodeIfPresent(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encodeIfPresent(headDim, forKey: .headDim)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(useSlidingWindow, forKey: .useSlidingWindow)
        try c.encodeIfPresent(bosTokenID, forKey: .bosTokenID)
        if !eosTokenIDs.isEmpty { try c.encode(eosTokenIDs, forKey: .eosTokenID) }
        try c.encodeIfPresent(dtype, forKey: .dtype)
    }

    /// Key-value heads after the default is applied.
    public var kvHeads: Int { numKeyValueHeads ?? numAttentionHeads }
    /// Per-head width after the default is applied.
    public var attentionHeadDim: Int { headDim ?? hiddenSize / max(numAttentionHeads, 1) }

    /// Checks that the values describe a model Loom can run.
    public func validate() throws {
        func fail(_ reason: String) -> ModelError { .invalidConfiguration("qwen2 config: \(reason)") }
        for (name, value) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                              ("num_hidden_layers", numHiddenLayers), ("num_attention_heads", numAttentionHeads),
                              ("num_key_value_heads", kvHeads), ("max_position_embeddings", maxPositionEmbeddings)] where value <= 0 {
            throw fail("\(name) must be positive, is \(value)")
        }
        guard headDim != nil || hiddenSize % numAttentionHeads == 0 else {
            throw fail("hidden_size \(hiddenSize) is not divisible by num_attention_heads \(numAttentionHeads)")
        }
        guard attentionHeadDim % 2 == 0 else { throw fail("head dimension \(attentionHeadDim) must be even for RoPE") }
        guard numAttentionHeads % kvHeads == 0 else {
            throw fail("num_attention_heads \(numAttentionHeads) is not a multiple of num_key_value_heads \(kvHeads)")
        }
        guard hiddenAct == "silu" else { throw fail("hidden_act '\(hiddenAct)' is not supported (only silu)") }
        guard ropeType == "default" else { throw fail("rope type '\(ropeType)' is not supported (only default)") }
        guard !useSlidingWindow else { throw fail("use_sliding_window true is not supported") }
        guard ropeTheta > 0, rmsNormEps > 0 else { throw fail("rope_theta and rms_norm_eps must be positive") }
    }
}

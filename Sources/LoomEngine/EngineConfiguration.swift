import LoomModels

/// How an ``Engine`` schedules its work. Every field has a default; ``validate()`` names the first bad value.
public struct EngineConfiguration: Codable, Sendable, Equatable {
    /// Sequences generating at once (each decode step advances all of them).
    public var maxSequences = 16
    /// Requests waiting for admission before ``Engine/submit(_:handler:)`` refuses more.
    public var maxWaiting = 256
    /// Bytes of KV cache the running sequences may reserve together (each reserves its prompt plus its token budget).
    public var kvBudgetBytes = 4 << 30
    /// Prompt positions one prefill unit runs at most (a step runs one unit besides its decode).
    public var prefillChunk = DecoderCache.prefillChunkRows
    /// Vision-tower layers one prefill unit runs (an image takes several steps, so streams of other requests wait
    /// for a few layers, not a whole tower).
    public var visionLayersPerStep = 4
    /// Bytes of projected image features kept for reuse.
    public var featureCacheBytes = 256 << 20

    public init() {}

    enum CodingKeys: String, CodingKey {
        case maxSequences = "max_sequences", maxWaiting = "max_waiting", kvBudgetBytes = "kv_budget_bytes"
        case prefillChunk = "prefill_chunk", visionLayersPerStep = "vision_layers_per_step", featureCacheBytes = "feature_cache_bytes"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = EngineConfiguration()
        maxSequences = try c.decodeIfPresent(Int.self, forKey: .maxSequences) ?? defaults.maxSequences
        maxWaiting = try c.decodeIfPresent(Int.self, forKey: .maxWaiting) ?? defaults.maxWaiting
        kvBudgetBytes = try c.decodeIfPresent(Int.self, forKey: .kvBudgetBytes) ?? defaults.kvBudgetBytes
        prefillChunk = try c.decodeIfPresent(Int.self, forKey: .prefillChunk) ?? defaults.prefillChunk
        visionLayersPerStep = try c.decodeIfPresent(Int.self, forKey: .visionLayersPerStep) ?? defaults.visionLayersPerStep
        featureCacheBytes = try c.decodeIfPresent(Int.self, forKey: .featureCacheBytes) ?? defaults.featureCacheBytes
    }

    /// Checks every value is usable.
    public func validate() throws {
        guard maxSequences >= 1 else { throw EngineError.invalidConfiguration("max sequences must be ≥ 1, is \(maxSequences)") }
        guard maxWaiting >= 0 else { throw EngineError.invalidConfiguration("max waiting must be ≥ 0, is \(maxWaiting)") }
        guard kvBudgetBytes > 0 else { throw EngineError.invalidConfiguration("the KV budget must be > 0 bytes, is \(kvBudgetBytes)") }
        guard prefillChunk >= 1 else { throw EngineError.invalidConfiguration("the prefill chunk must be ≥ 1 position, is \(prefillChunk)") }
        guard visionLayersPerStep >= 1 else {
            throw EngineError.invalidConfiguration("vision layers per step must be ≥ 1, is \(visionLayersPerStep)")
        }
        guard featureCacheBytes >= 0 else {
            throw EngineError.invalidConfiguration("the feature cache must be ≥ 0 bytes, is \(featureCacheBytes)")
        }
    }
}

import LoomCore

/// A causal decoder that turns rows of input embeddings into next-token logits, with a key-value cache.
/// Text-only and multimodal models both end in one; generation drives it.
public protocol LanguageModel: AnyObject, Sendable {
    /// Width of an embedding row.
    var hiddenSize: Int { get }
    /// Rows of the output head (logits per position).
    var vocabularySize: Int { get }
    /// Longest sequence the model may see (`max_position_embeddings`).
    var contextLength: Int { get }
    /// End-of-sequence ids from the model config.
    var eosTokenIDs: [Int] { get }
    /// A fresh, empty cache.
    func makeCache() -> DecoderCache
    /// Embedding rows for token ids (`[ids.count, hiddenSize]`).
    func embed(_ ids: [Int]) -> Tensor
    /// Runs `embeddings` (`[n, hiddenSize]`) at the positions following the cache, appending to it; returns the
    /// final-normed hidden states `output` asks for (`[n, hiddenSize]`, `[1, hiddenSize]` or `[0, hiddenSize]`).
    func forward(_ embeddings: Tensor, cache: DecoderCache, output: ForwardOutput) -> Tensor
    /// Logits (`[rows, vocabularySize]`) for final hidden states.
    func logits(_ hidden: Tensor) -> Tensor
}

/// The final hidden states a forward pass returns. The last layer's attention and MLP only run for those rows
/// (every layer still appends the keys and values of every row to the cache).
public enum ForwardOutput: Sendable {
    /// Every position's state.
    case everyRow
    /// The last position's state (what the next token's logits need).
    case lastRow
    /// None: the pass only fills the cache (a prompt chunk before the last).
    case cacheOnly
}

extension LanguageModel {
    /// Every position's final hidden state (see ``forward(_:cache:output:)``).
    public func forward(_ embeddings: Tensor, cache: DecoderCache) -> Tensor {
        forward(embeddings, cache: cache, output: .everyRow)
    }

    /// Runs `prompt` (`[positions, hiddenSize]`) through the decoder in chunks of `chunkRows` positions against the
    /// growing cache (activations stay a few tens of MiB however long the prompt); returns the final hidden state
    /// of the last position (`[1, hiddenSize]`).
    public func prefill(_ prompt: Tensor, cache: DecoderCache, chunkRows: Int = DecoderCache.prefillChunkRows) -> Tensor {
        precondition(chunkRows > 0, "prefill: chunks need at least one row")
        var last = Tensor(zeros: [0, prompt.columns])
        for start in stride(from: 0, to: prompt.rows, by: chunkRows) {
            let end = min(start + chunkRows, prompt.rows)
            let chunk = start == 0 && end == prompt.rows ? prompt : prompt.rows(start..<end)
            last = forward(chunk, cache: cache, output: end == prompt.rows ? .lastRow : .cacheOnly)
        }
        return last
    }
}

/// Key-value caches of every layer of a decoder, plus the number of positions consumed.
public final class DecoderCache {
    /// Positions a prompt is prefilled in at a time (see ``LanguageModel/prefill(_:cache:chunkRows:)``).
    public static let prefillChunkRows = 1024

    /// One cache per layer.
    public let layers: [KVCache]

    /// Empty caches for `layerCount` layers with rows of `width` floats.
    public init(layerCount: Int, width: Int) {
        layers = (0..<layerCount).map { _ in KVCache(width: width) }
    }

    /// Empty caches for `layerCount` layers of `kvHeads` heads of `headDim`, stored in `precision` (f32 or bf16).
    public init(layerCount: Int, kvHeads: Int, headDim: Int, precision: DType) {
        layers = (0..<layerCount).map { _ in KVCache(kvHeads: kvHeads, headDim: headDim, precision: precision) }
    }

    /// Positions consumed so far.
    public var length: Int { layers.first?.length ?? 0 }

    /// Makes room for `positions` positions in every layer up front (no regrowth while decoding).
    public func reserve(_ positions: Int) {
        for layer in layers { layer.reserve(positions) }
    }

    /// Forgets every position at or after `newLength` (to reuse a shared prefix).
    public func truncate(to newLength: Int) {
        for layer in layers { layer.truncate(to: newLength) }
    }
}

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
    /// Runs a batch of rows through the decoder: each segment's rows sit at the positions following its own cache
    /// (which it appends to; the model owns no cache). Matrix products run over every row of the batch at once;
    /// attention runs per segment over that segment's cache. Returns the final-normed hidden states each segment's
    /// `output` asks for, segment after segment.
    func forward(_ batch: DecoderBatch) -> Tensor
    /// Bytes a cache holding `positions` positions reserves (what admission against a memory budget counts).
    func cacheBytes(positions: Int) -> Int
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

/// Rows for a decoder step, grouped in segments of consecutive rows of one sequence each.
public struct DecoderBatch {
    /// Consecutive rows of one sequence.
    public struct Segment {
        /// The sequence's cache: its rows take the positions after `cache.length` and are appended to it.
        public let cache: DecoderCache
        /// Rows in the segment.
        public let rows: Int
        /// Which final hidden states the segment wants (its last row's for logits, none while prefilling).
        public let output: ForwardOutput

        public init(cache: DecoderCache, rows: Int, output: ForwardOutput) {
            precondition(rows > 0, "DecoderBatch: a segment needs at least one row")
            self.cache = cache
            self.rows = rows
            self.output = output
        }

        /// Output rows the segment keeps.
        public var keptRows: Int {
            switch output {
            case .everyRow: rows
            case .lastRow: 1
            case .cacheOnly: 0
            }
        }
    }

    /// Input rows (`[Σ segment rows, hiddenSize]`), segment after segment.
    public let embeddings: Tensor
    public let segments: [Segment]

    public init(embeddings: Tensor, segments: [Segment]) {
        precondition(segments.reduce(0) { $0 + $1.rows } == embeddings.rows,
                     "DecoderBatch: segments hold \(segments.reduce(0) { $0 + $1.rows }) rows, embeddings \(embeddings.rows)")
        self.embeddings = embeddings
        self.segments = segments
    }
}

/// A piece of decoder input: token ids, or rows already in the decoder's width (projected image features).
public enum DecoderInput: Sendable {
    case tokens([Int])
    case features(Tensor)

    /// Positions the piece takes.
    public var positions: Int {
        switch self {
        case .tokens(let ids): ids.count
        case .features(let rows): rows.rows
        }
    }
}

extension LanguageModel {
    /// Runs `embeddings` (`[n, hiddenSize]`) at the positions following `cache`, appending to it; returns the
    /// final-normed hidden states `output` asks for (`[n, hiddenSize]`, `[1, hiddenSize]` or `[0, hiddenSize]`).
    public func forward(_ embeddings: Tensor, cache: DecoderCache, output: ForwardOutput = .everyRow) -> Tensor {
        forward(DecoderBatch(embeddings: embeddings, segments: [.init(cache: cache, rows: embeddings.rows, output: output)]))
    }

    /// Runs a prompt made of `inputs` through the decoder in chunks of `chunkRows` positions against the growing cache
    /// (activations stay a few tens of MiB however long the prompt); returns the final hidden state of the last
    /// position (`[1, hiddenSize]`).
    public func prefill(_ inputs: [DecoderInput], cache: DecoderCache, chunkRows: Int = DecoderCache.prefillChunkRows) -> Tensor {
        precondition(chunkRows > 0, "prefill: chunks need at least one row")
        let total = inputs.reduce(0) { $0 + $1.positions }
        var last = Tensor(zeros: [0, hiddenSize])
        for start in stride(from: 0, to: total, by: chunkRows) {
            last = prefill(inputs, positions: start..<min(start + chunkRows, total), cache: cache)
        }
        return last
    }

    /// Runs positions `range` of a prompt made of `inputs` against `cache` (which holds the positions before it): one
    /// chunk of a prefill. The chunk that ends the prompt returns its last position's final hidden state
    /// (`[1, hiddenSize]`); the others only fill the cache (`[0, hiddenSize]`).
    public func prefill(_ inputs: [DecoderInput], positions range: Range<Int>, cache: DecoderCache) -> Tensor {
        let total = inputs.reduce(0) { $0 + $1.positions }
        return forward(embed(inputs, positions: range), cache: cache, output: range.upperBound == total ? .lastRow : .cacheOnly)
    }

    /// Decoder rows for positions `range` of a prompt made of `inputs` in order: token embeddings, and feature rows
    /// copied where they stand. Ids must lie in the vocabulary and feature rows be ``hiddenSize`` wide.
    public func embed(_ inputs: [DecoderInput], positions range: Range<Int>) -> Tensor {
        let h = hiddenSize
        var out = [Float](repeating: 0, count: range.count * h)
        var start = 0
        for input in inputs {
            let end = start + input.positions
            defer { start = end }
            let lower = max(start, range.lowerBound), upper = min(end, range.upperBound)
            guard lower < upper else { continue }
            let rows: Tensor
            switch input {
            case .tokens(let ids): rows = embed(Array(ids[(lower - start)..<(upper - start)]))
            case .features(let features):
                precondition(features.columns == h, "embed: feature rows are \(features.columns) wide, the decoder needs \(h)")
                rows = features.rows((lower - start)..<(upper - start))
            }
            out.replaceSubrange(((lower - range.lowerBound) * h)..<((upper - range.lowerBound) * h), with: rows.data)
        }
        return Tensor(shape: [range.count, h], data: out)
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

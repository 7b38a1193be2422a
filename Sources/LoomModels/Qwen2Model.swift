import Foundation
import LoomCheckpoint
import LoomCore

/// The Qwen2 decoder (Qwen1.5 in LLaVA-NeXT-Interleave): embeddings, pre-norm layers with RoPE attention
/// (q/k/v bias, no o bias, grouped-query when configured) and a SwiGLU MLP, final RMSNorm, `lm_head`.
public final class Qwen2Model: LanguageModel, @unchecked Sendable {
    /// Where the decoder's tensors live in a checkpoint.
    public struct TensorNames: Sendable {
        /// Prefix of `embed_tokens`, `layers.N.*`, `norm` (e.g. `model.` or `language_model.model.`).
        public var decoderPrefix: String
        /// Name of the output head (absent when tied).
        public var lmHead: String

        public init(decoderPrefix: String, lmHead: String) {
            self.decoderPrefix = decoderPrefix
            self.lmHead = lmHead
        }

        /// The names of a standalone `Qwen2ForCausalLM`.
        public static let causalLM = TensorNames(decoderPrefix: "model.", lmHead: "lm_head.weight")
    }

    struct Layer {
        let inputNorm: [Float]
        let postAttentionNorm: [Float]
        /// q, k and v stacked (one product), with their biases.
        let qkv: Weight, qkvBias: [Float]
        let o: Weight
        /// gate and up stacked (one product).
        let gateUp: Weight
        let down: Weight
        /// LoRA pairs added unmerged to the products (``Qwen2Model/adapted(by:)``); empty without an adapter.
        var lora = LayerLoRA()
    }

    /// A layer's LoRA terms by product, each at the first column of its projection in that (stacked) product.
    struct LayerLoRA {
        struct Term {
            let pair: LoRAPair
            let column: Int
            let scale: Float
        }
        var qkv: [Term] = [], o: [Term] = [], gateUp: [Term] = [], down: [Term] = []
    }

    /// The configuration the model was built from.
    public let configuration: Qwen2Configuration
    let embedTokens: Weight
    let layers: [Layer]
    let finalNorm: [Float]
    let lmHead: Weight
    let rope: RotaryEmbedding

    /// Loads the decoder from `checkpoint`, checking every tensor's shape against `configuration`.
    public init(configuration: Qwen2Configuration, checkpoint: any TensorSource, names: TensorNames = .causalLM) throws {
        try configuration.validate()
        self.configuration = configuration
        let h = configuration.hiddenSize
        let heads = configuration.numAttentionHeads
        let kv = configuration.kvHeads
        let d = configuration.attentionHeadDim
        let ff = configuration.intermediateSize
        let p = names.decoderPrefix
        let embed = try checkpoint.weight(p + "embed_tokens.weight", shape: [configuration.vocabSize, h])
        embedTokens = embed
        try checkpoint.requireLayers(configuration.numHiddenLayers, prefix: p + "layers.", probe: "input_layernorm.weight",
                                     field: "num_hidden_layers \(configuration.numHiddenLayers)")
        layers = try (0..<configuration.numHiddenLayers).map { i in
            let l = "\(p)layers.\(i)."
            let qkv = try checkpoint.stackedLinear(["q", "k", "v"].map { l + "self_attn.\($0)_proj" }, rows: [heads * d, kv * d, kv * d],
                                                   columns: h)
            return Layer(
                inputNorm: try checkpoint.vector(l + "input_layernorm.weight", count: h),
                postAttentionNorm: try checkpoint.vector(l + "post_attention_layernorm.weight", count: h),
                qkv: qkv.weight, qkvBias: qkv.bias,
                o: try checkpoint.weight(l + "self_attn.o_proj.weight", shape: [h, heads * d]),
                gateUp: try checkpoint.stackedWeight([l + "mlp.gate_proj.weight", l + "mlp.up_proj.weight"], shapes: [[ff, h], [ff, h]]),
                down: try checkpoint.weight(l + "mlp.down_proj.weight", shape: [h, ff]))
        }
        finalNorm = try checkpoint.vector(p + "norm.weight", count: h)
        if !configuration.tieWordEmbeddings, checkpoint.contains(names.lmHead) {
            lmHead = try checkpoint.weight(names.lmHead, shape: embed.shape)
        } else {
            lmHead = embed
        }
        rope = RotaryEmbedding(headDim: d, theta: configuration.ropeTheta)
    }

    private init(copying model: Qwen2Model, layers: [Layer]) {
        configuration = model.configuration
        embedTokens = model.embedTokens
        self.layers = layers
        finalNorm = model.finalNorm
        lmHead = model.lmHead
        rope = model.rope
    }

    /// This decoder (its weights shared, not copied) with `adapter`'s LoRA pairs applied unmerged: after each adapted
    /// linear's product, `scale · (x·Aᵀ)·Bᵀ` in f32 is added to its columns (of the stacked q/k/v or gate/up product).
    /// Throws, naming the tensor, when a pair does not fit the decoder's layers or shapes.
    public func adapted(by adapter: LoRAAdapter) throws -> Qwen2Model {
        try adapter.validate(against: configuration)
        let d = configuration.attentionHeadDim
        let q = configuration.numAttentionHeads * d, kv = configuration.kvHeads * d, ff = configuration.intermediateSize
        let scale = adapter.configuration.scale
        var layers = self.layers
        for (target, pair) in adapter.pairs.sorted(by: { $0.key < $1.key }) {
            let term = { (column: Int) in LayerLoRA.Term(pair: pair, column: column, scale: scale) }
            switch target.projection {
            case "q_proj": layers[target.layer].lora.qkv.append(term(0))
            case "k_proj": layers[target.layer].lora.qkv.append(term(q))
            case "v_proj": layers[target.layer].lora.qkv.append(term(q + kv))
            case "o_proj": layers[target.layer].lora.o.append(term(0))
            case "gate_proj": layers[target.layer].lora.gateUp.append(term(0))
            case "up_proj": layers[target.layer].lora.gateUp.append(term(ff))
            default: layers[target.layer].lora.down.append(term(0))
            }
        }
        return Qwen2Model(copying: self, layers: layers)
    }

    public var hiddenSize: Int { configuration.hiddenSize }
    public var vocabularySize: Int { lmHead.shape[0] }
    public var contextLength: Int { configuration.maxPositionEmbeddings }
    public var eosTokenIDs: [Int] { configuration.eosTokenIDs }

    public func makeCache() -> DecoderCache {
        DecoderCache(layerCount: layers.count, kvHeads: configuration.kvHeads, headDim: configuration.attentionHeadDim,
                     precision: lmHead.computeDType)
    }

    public func embed(_ ids: [Int]) -> Tensor {
        let h = hiddenSize
        var out = [Float](repeating: 0, count: ids.count * h)
        out.withUnsafeMutableBufferPointer { op in
            for (r, id) in ids.enumerated() {
                precondition(id >= 0 && id < embedTokens.shape[0], "token id \(id) is outside the vocabulary")
                embedTokens.widenRows(id..<(id + 1), into: op.baseAddress! + r * h)
            }
        }
        return Tensor(shape: [ids.count, h], data: out)
    }

    public func cacheBytes(positions: Int) -> Int {
        let perLayer = lmHead.computeDType == .bf16 && FlashAttention.supports(headDim: configuration.attentionHeadDim)
            ? FlashAttention.scratchBytes(keys: positions, kvHeads: configuration.kvHeads, headDim: configuration.attentionHeadDim)
            : 2 * positions * configuration.kvHeads * configuration.attentionHeadDim * MemoryLayout<Float>.size
        return layers.count * perLayer
    }

    public func forward(_ batch: DecoderBatch) -> Tensor {
        precondition(batch.embeddings.columns == hiddenSize,
                     "forward: rows of \(batch.embeddings.columns) floats, model width \(hiddenSize)")
        let positions = batch.segments.flatMap { segment in segment.cache.length..<(segment.cache.length + segment.rows) }
        let angles = rope.angles(for: positions)
        var hidden = batch.embeddings
        for (i, layer) in layers.enumerated() {
            hidden = runLayer(layer, i, hidden, angles: angles, segments: batch.segments, last: i == layers.count - 1)
        }
        return Ops.rmsNorm(hidden, weight: finalNorm, eps: Float(configuration.rmsNormEps))
    }

    public func logits(_ hidden: Tensor) -> Tensor {
        Linear.apply(hidden, lmHead)
    }

    /// One decoder layer over a batch: keys and values of every row go to their segment's cache; attention (per
    /// segment, against its cache) and the MLP run for every row, except in the `last` layer, which runs them only
    /// for the rows each segment's output keeps and returns those.
    private func runLayer(_ layer: Layer, _ index: Int, _ input: Tensor, angles: RotaryEmbedding.Angles,
                          segments: [DecoderBatch.Segment], last: Bool) -> Tensor {
        let eps = Float(configuration.rmsNormEps)
        let heads = configuration.numAttentionHeads
        let d = configuration.attentionHeadDim
        let qWidth = heads * d, kvWidth = configuration.kvHeads * d, stride = qWidth + 2 * kvWidth
        let kept = segments.map { last ? $0.keptRows : $0.rows }
        let keptTotal = kept.reduce(0, +)
        let x = Ops.rmsNorm(input, weight: layer.inputNorm, eps: eps)
        var qkv = product(x, layer.qkv, bias: layer.qkvBias, lora: layer.lora.qkv)
        var attended = Tensor(zeros: [keptTotal, qWidth])
        var keptRows: [Int] = []
        keptRows.reserveCapacity(keptTotal)
        qkv.data.withUnsafeMutableBufferPointer { qkvp in
            let q = qkvp.baseAddress!
            rope.apply(q, rowStride: stride, width: qWidth + kvWidth, angles: angles)
            attended.data.withUnsafeMutableBufferPointer { op in
                var first = 0, written = 0
                for (segment, keep) in zip(segments, kept) {
                    let cache = segment.cache.layers[index], rows = segment.rows
                    let base = q + first * stride
                    cache.append(keys: .init(base + qWidth, rowStride: stride), values: .init(base + qWidth + kvWidth, rowStride: stride),
                                 count: rows)
                    if keep > 0 {
                        cache.attend(q: .init(base + (rows - keep) * stride, rowStride: stride), rows: keep, heads: heads, headDim: d,
                                     scale: 1 / Float(d).squareRoot(), out: op.baseAddress! + written * qWidth)
                        keptRows += (first + rows - keep)..<(first + rows)
                    }
                    first += rows
                    written += keep
                }
            }
        }
        guard keptTotal > 0 else { return Tensor(zeros: [0, input.columns]) }
        var hidden = keptTotal == input.rows ? input : input.gatheringRows(keptRows)
        Ops.add(&hidden, product(attended, layer.o, lora: layer.lora.o))
        let y = Ops.rmsNorm(hidden, weight: layer.postAttentionNorm, eps: eps)
        let gateUp = product(y, layer.gateUp, lora: layer.lora.gateUp)
        Ops.add(&hidden, layer.lora.down.isEmpty ? Linear.apply(gateUp, activation: .swiglu, layer.down)
                : product(Ops.swiglu(gateUp: gateUp, precision: layer.down.computeDType), layer.down, lora: layer.lora.down))
        return hidden
    }

    /// `x · Wᵀ (+ bias)` plus each LoRA term's `scale · (x·Aᵀ)·Bᵀ` in its columns.
    private func product(_ x: Tensor, _ weight: Weight, bias: [Float]? = nil, lora: [LayerLoRA.Term]) -> Tensor {
        var y = Linear.apply(x, weight, bias: bias)
        guard !lora.isEmpty, x.rows > 0 else { return y }
        let stride = y.columns
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                for term in lora {
                    term.pair.addProduct(xp.baseAddress!, rows: x.rows, scale: term.scale, into: yp.baseAddress! + term.column,
                                         outputStride: stride)
                }
            }
        }
        return y
    }
}

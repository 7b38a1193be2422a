import LoomCheckpoint
import LoomCore

/// The SigLIP vision encoder: a strided convolution into patches plus learned position embeddings, then
/// pre-LayerNorm transformer layers with unmasked attention and a GELU MLP. LLaVA reads a hidden state
/// (no post-LayerNorm, no pooling head), so only the layers up to the one read are built and run.
public final class SiglipVisionTower: @unchecked Sendable {
    struct Layer {
        let norm1Weight: [Float], norm1Bias: [Float]
        /// q, k and v stacked (one product), with their biases.
        let qkv: Weight, qkvBias: [Float]
        let out: Weight, outBias: [Float]
        let norm2Weight: [Float], norm2Bias: [Float]
        let fc1: Weight, fc2: Weight
        let fc1Bias: [Float], fc2Bias: [Float]
    }

    public let configuration: SiglipVisionConfiguration
    /// Hidden states that are read, as indices into `hidden_states` (0 = embeddings, k = output of layer k).
    public let featureLayers: [Int]
    let patchWeight: Weight
    let patchBias: [Float]
    let positionEmbedding: Tensor
    let layers: [Layer]
    /// The MLP's activation (`hidden_act`).
    let activation: Activation

    /// Loads the tower's tensors under `prefix` (e.g. `vision_tower.vision_model.`), building only the layers
    /// needed for the hidden states `featureLayers` (negative indices count from the end, as in Python).
    public init(configuration: SiglipVisionConfiguration, source: any TensorSource, prefix: String, featureLayers: [Int]) throws {
        try configuration.validate()
        self.configuration = configuration
        activation = Activation(geluName: configuration.hiddenAct) ?? .geluTanh
        let stateCount = configuration.numHiddenLayers + 1
        let resolved = try featureLayers.map { index -> Int in
            let i = index < 0 ? stateCount + index : index
            guard i >= 0 && i < stateCount else {
                throw ModelError.invalidConfiguration("vision_feature_layer \(index) is out of range for \(configuration.numHiddenLayers) vision layers")
            }
            return i
        }
        self.featureLayers = resolved
        let h = configuration.hiddenSize, ff = configuration.intermediateSize
        let c = configuration.numChannels, p = configuration.patchSize
        let conv = try source.weight(prefix + "embeddings.patch_embedding.weight", shape: [h, c, p, p])
        patchWeight = conv.reshaped([h, c * p * p])
        patchBias = try source.vector(prefix + "embeddings.patch_embedding.bias", count: h)
        positionEmbedding = try source.weight(prefix + "embeddings.position_embedding.weight",
                                              shape: [configuration.patchCount, h]).tensor()
        let needed = resolved.max() ?? 0
        try source.requireLayers(needed, prefix: prefix + "encoder.layers.", probe: "layer_norm1.weight",
                                 field: "vision_config.num_hidden_layers \(configuration.numHiddenLayers)")
        layers = try (0..<needed).map { i in
            let l = "\(prefix)encoder.layers.\(i)."
            let qkv = try source.stackedLinear(["q", "k", "v"].map { l + "self_attn.\($0)_proj" }, rows: [h, h, h], columns: h)
            return Layer(
                norm1Weight: try source.vector(l + "layer_norm1.weight", count: h),
                norm1Bias: try source.vector(l + "layer_norm1.bias", count: h),
                qkv: qkv.weight, qkvBias: qkv.bias,
                out: try source.weight(l + "self_attn.out_proj.weight", shape: [h, h]),
                outBias: try source.vector(l + "self_attn.out_proj.bias", count: h),
                norm2Weight: try source.vector(l + "layer_norm2.weight", count: h),
                norm2Bias: try source.vector(l + "layer_norm2.bias", count: h),
                fc1: try source.weight(l + "mlp.fc1.weight", shape: [ff, h]),
                fc2: try source.weight(l + "mlp.fc2.weight", shape: [h, ff]),
                fc1Bias: try source.vector(l + "mlp.fc1.bias", count: ff),
                fc2Bias: try source.vector(l + "mlp.fc2.bias", count: h))
        }
    }

    /// Encoder layers it runs (up to the deepest layer it reads features from).
    public var layerCount: Int { layers.count }

    /// The precision its products run in (`.bf16` when its weights are packed for bf16).
    public var computeDType: DType { layers.first?.qkv.computeDType ?? .f32 }

    /// Width of the features it returns (hidden size × number of layers read).
    public var featureWidth: Int { configuration.hiddenSize * featureLayers.count }

    /// Features of a batch of images (`pixels`: `[images, channels, size, size]`), as
    /// `[images * patchCount, featureWidth]`: the selected hidden states, concatenated along features.
    public func callAsFunction(_ pixels: Tensor) throws -> Tensor {
        let pass = try Pass(tower: self, pixels: pixels)
        pass.run(layers: layers.count)
        return pass.features
    }

    /// A batch of images on its way through the tower, a few layers at a time (so that a scheduler can interleave
    /// other work); the result is the same however the layers are split.
    public final class Pass {
        let tower: SiglipVisionTower
        let images: Int
        private var hidden: Tensor
        private var selected: [Int: Tensor] = [:]
        private var next = 0
        private let scratch: FlashAttention.PackedHeads?

        /// Embeds `pixels` (`[images, channels, size, size]`), ready for the first layer.
        init(tower: SiglipVisionTower, pixels: Tensor) throws {
            let configuration = tower.configuration
            let c = configuration.numChannels, s = configuration.imageSize
            guard pixels.shape.count == 4, pixels.shape[1] == c, pixels.shape[2] == s, pixels.shape[3] == s else {
                throw ModelError.invalidInput("vision tower expects pixels [images, \(c), \(s), \(s)], got \(pixels.shape)")
            }
            self.tower = tower
            images = pixels.shape[0]
            hidden = tower.embed(pixels, images: images)
            if tower.featureLayers.contains(0) { selected[0] = hidden }
            scratch = tower.computeDType == .bf16 && FlashAttention.supports(headDim: configuration.headDim)
                ? FlashAttention.PackedHeads(kvHeads: configuration.numAttentionHeads, headDim: configuration.headDim,
                                             capacity: configuration.patchCount)
                : nil
        }

        /// Whether every layer has run.
        public var isDone: Bool { next == tower.layers.count }

        /// Layers still to run.
        public var remainingLayers: Int { tower.layers.count - next }

        /// Runs up to `count` more layers; returns whether every layer has run.
        @discardableResult
        public func run(layers count: Int) -> Bool {
            let end = min(tower.layers.count, next + max(count, 0))
            while next < end {
                hidden = tower.run(tower.layers[next], hidden, images: images, attentionScratch: scratch)
                next += 1
                if tower.featureLayers.contains(next) { selected[next] = hidden }
            }
            return isDone
        }

        /// The selected hidden states (`[images * patchCount, featureWidth]`); every layer must have run.
        public var features: Tensor {
            precondition(isDone, "SiglipVisionTower.Pass: \(tower.layers.count - next) layers still to run")
            let read = tower.featureLayers
            return read.count == 1 ? selected[read[0]]! : concatenateColumns(read.map { selected[$0]! })
        }
    }

    /// Patch embedding (the convolution as a product over unfolded patches) plus position embeddings.
    func embed(_ pixels: Tensor, images: Int) -> Tensor {
        let c = configuration.numChannels, s = configuration.imageSize, p = configuration.patchSize
        let side = configuration.patchesPerSide, count = configuration.patchCount
        let width = c * p * p
        var patches = [Float](repeating: 0, count: images * count * width)
        pixels.data.withUnsafeBufferPointer { src in
            patches.withUnsafeMutableBufferPointer { dst in
                let input = src.baseAddress!, output = dst.baseAddress!
                Parallel.forEachChunk(images * count, costPerItem: width) { range in
                    for row in range {
                        let image = row / count, patch = row % count
                        let py = (patch / side) * p, px = (patch % side) * p
                        var o = output + row * width
                        for channel in 0..<c {
                            let plane = input + (image * c + channel) * s * s
                            for ky in 0..<p {
                                let line = plane + (py + ky) * s + px
                                o.update(from: line, count: p)
                                o += p
                            }
                        }
                    }
                }
            }
        }
        var hidden = Linear.apply(Tensor(shape: [images * count, width], data: patches), patchWeight, bias: patchBias)
        let h = configuration.hiddenSize
        hidden.data.withUnsafeMutableBufferPointer { hp in
            positionEmbedding.data.withUnsafeBufferPointer { pp in
                for row in 0..<(images * count) {
                    let target = hp.baseAddress! + row * h, position = pp.baseAddress! + (row % count) * h
                    for j in 0..<h { target[j] += position[j] }
                }
            }
        }
        return hidden
    }

    /// One encoder layer; bf16 attention packs each image's keys and values into `attentionScratch` when given.
    func run(_ layer: Layer, _ input: Tensor, images: Int, attentionScratch: FlashAttention.PackedHeads?) -> Tensor {
        let h = configuration.hiddenSize, heads = configuration.numAttentionHeads, d = configuration.headDim
        let count = configuration.patchCount
        let eps = Float(configuration.layerNormEps)
        var hidden = input
        let x = Ops.layerNorm(hidden, weight: layer.norm1Weight, bias: layer.norm1Bias, eps: eps)
        let qkv = Linear.apply(x, layer.qkv, bias: layer.qkvBias)
        var attended = Tensor(zeros: [images * count, h])
        qkv.data.withUnsafeBufferPointer { qkvp in
            attended.data.withUnsafeMutableBufferPointer { op in
                for image in 0..<images {
                    let q = qkvp.baseAddress! + image * count * 3 * h
                    Attention.compute(q: .init(q, rowStride: 3 * h), k: .init(q + h, rowStride: 3 * h), v: .init(q + 2 * h, rowStride: 3 * h),
                                      out: op.baseAddress! + image * count * h, outStride: h,
                                      queries: count, keys: count, heads: heads, kvHeads: heads, headDim: d,
                                      scale: 1 / Float(d).squareRoot(), causalOffset: nil, precision: layer.qkv.computeDType,
                                      scratch: attentionScratch)
                }
            }
        }
        Ops.add(&hidden, Linear.apply(attended, layer.out, bias: layer.outBias))
        let y = Ops.layerNorm(hidden, weight: layer.norm2Weight, bias: layer.norm2Bias, eps: eps)
        let mlp = Linear.apply(y, layer.fc1, bias: layer.fc1Bias)
        Ops.add(&hidden, Linear.apply(mlp, activation: activation, layer.fc2, bias: layer.fc2Bias))
        return hidden
    }
}

/// Row-wise concatenation of equally tall tensors along their last dimension.
func concatenateColumns(_ parts: [Tensor]) -> Tensor {
    let rows = parts[0].rows
    let width = parts.reduce(0) { $0 + $1.columns }
    var out = [Float]()
    out.reserveCapacity(rows * width)
    for r in 0..<rows { for part in parts { out.append(contentsOf: part.row(r)) } }
    return Tensor(shape: [rows, width], data: out)
}

import Foundation
import LoomCheckpoint
import LoomCore
import LoomModels

/// Parts of a LLaVA model that `--tune` trains in full.
public enum TrainablePart: String, CaseIterable, Sendable, Codable {
    case projector
    case languageModel = "language_model"
    case visionTower = "vision_tower"
}

/// Per-layer recomputation (gradient checkpointing): keep only each decoder layer's input during the forward pass
/// and rerun the layer inside backward — about a third more compute for activations of one layer instead of all.
public enum Recomputation: String, Codable, Sendable, CaseIterable {
    case never, always
    /// Above ``automaticRows`` positions (a 16-frame video), where every layer's activations would take gigabytes.
    case automatic = "auto"

    public static let automaticRows = 4096

    func applies(rows: Int) -> Bool {
        switch self {
        case .never: false
        case .always: true
        case .automatic: rows > Self.automaticRows
        }
    }
}

/// One training sequence: ids with each image's run of `<image>` tokens expanded, labels aligned with the ids
/// (−100 where nothing is predicted; the model shifts them), and the images' preprocessed pixels.
public struct TrainingSample: Sendable {
    public var inputIDs: [Int]
    public var labels: [Int]
    /// `[images, channels, size, size]` values, image after image.
    public var pixels: [Float]
    public var images: Int

    public init(inputIDs: [Int], labels: [Int], pixels: [Float], images: Int) {
        self.inputIDs = inputIDs
        self.labels = labels
        self.pixels = pixels
        self.images = images
    }

    /// Targets the loss counts: labels after the first position that are not −100.
    public var supervisedCount: Int { labels.dropFirst().reduce(0) { $0 + ($1 == -100 ? 0 : 1) } }
}

/// A LLaVA (`model_type: llava`, Qwen2 decoder, SigLIP tower) model held in f32 for training: every tensor under its
/// llava-hf hub name, a forward pass that keeps what backward needs, and a backward pass that adds every trained
/// tensor's gradient. The loss is cross-entropy at the labelled positions only (logits are never formed for the others).
public final class LlavaTrainingModel: @unchecked Sendable {
    public let configuration: LlavaConfiguration
    /// Every tensor, model weights first (checkpoint order of the hub layout), LoRA matrices after.
    public private(set) var parameters: [TrainingParameter]
    private var byName: [String: TrainingParameter]
    let embedding: TrainingParameter
    let head: TrainingParameter
    let finalNorm: TrainingParameter
    private(set) var layers: [DecoderLayerTraining]
    let projector1: TrainableLinear, projector2: TrainableLinear
    let tower: VisionTowerTraining
    let rotary: RotaryEmbedding
    /// The checkpoint directory it was loaded from.
    public let directory: URL
    /// The dtype each model tensor is stored in (what a full checkpoint is written back in).
    public let storedDTypes: [String: DType]
    /// Tower outputs of images already seen, by the pixels' hash, while the tower is frozen.
    private var towerCache: [Int: [Float]] = [:]
    private var towerCacheBytes = 0
    /// Bytes the tower-output cache may hold.
    public var towerCacheLimit = 1 << 30
    /// When backward reruns each decoder layer's forward from its saved input instead of keeping its activations.
    public var recomputation = Recomputation.automatic

    /// Loads `directory` (config.json + safetensors in any layout Loom reads) with every tensor frozen.
    public init(directory: URL) throws {
        let type = try ConfigFile.modelType(in: directory)
        guard type == "llava" else {
            throw ModelError.invalidConfiguration("loom train takes llava-hf checkpoints (model_type llava); this one is '\(type)'")
        }
        let reader = try HubTensorReader(directory: directory)
        let configuration = reader.configuration
        try configuration.validate()
        guard configuration.visionFeatureLayers.count == 1 else {
            throw ModelError.invalidConfiguration("training reads one vision feature layer; this config reads \(configuration.visionFeatureLayers)")
        }
        guard configuration.visionFeatureSelectStrategy == "full" else {
            throw ModelError.invalidConfiguration("training supports vision_feature_select_strategy full (the interleave checkpoints' setting)")
        }
        self.configuration = configuration
        var loaded: [TrainingParameter] = []
        var dtypes: [String: DType] = [:]
        func load(_ hub: String, _ shape: [Int]) throws -> TrainingParameter {
            let tensor = try reader.tensor(hub)
            guard tensor.shape == shape else {
                throw ModelError.invalidConfiguration("tensor \(hub) is \(tensor.shape); config.json needs \(shape)")
            }
            let parameter = TrainingParameter(name: hub, shape: shape, values: tensor.values, trainable: false)
            loaded.append(parameter)
            dtypes[hub] = tensor.dtype
            return parameter
        }
        func requireLayers(_ count: Int, _ probe: String, field: String) throws {
            guard count == 0 || reader.names.contains(probe) else {
                throw ModelError.invalidConfiguration("\(field) but the checkpoint has no \(probe)")
            }
        }
        func linear(_ prefix: String, out: Int, inp: Int, bias: Bool) throws -> TrainableLinear {
            TrainableLinear(weight: try load(prefix + ".weight", [out, inp]), bias: bias ? try load(prefix + ".bias", [out]) : nil, lora: nil)
        }
        let text = configuration.textConfig, vision = configuration.visionConfig
        let h = text.hiddenSize, heads = text.numAttentionHeads, kv = text.kvHeads, d = text.attentionHeadDim, ff = text.intermediateSize
        let p = HubNames.decoder
        embedding = try load(p + "embed_tokens.weight", [text.vocabSize, h])
        try requireLayers(text.numHiddenLayers, "\(p)layers.\(text.numHiddenLayers - 1).input_layernorm.weight",
                          field: "num_hidden_layers is \(text.numHiddenLayers)")
        layers = try (0..<text.numHiddenLayers).map { i in
            let l = "\(p)layers.\(i)."
            return DecoderLayerTraining(
                inputNorm: try load(l + "input_layernorm.weight", [h]),
                postAttentionNorm: try load(l + "post_attention_layernorm.weight", [h]),
                q: try linear(l + "self_attn.q_proj", out: heads * d, inp: h, bias: true),
                k: try linear(l + "self_attn.k_proj", out: kv * d, inp: h, bias: true),
                v: try linear(l + "self_attn.v_proj", out: kv * d, inp: h, bias: true),
                o: try linear(l + "self_attn.o_proj", out: h, inp: heads * d, bias: false),
                gate: try linear(l + "mlp.gate_proj", out: ff, inp: h, bias: false),
                up: try linear(l + "mlp.up_proj", out: ff, inp: h, bias: false),
                down: try linear(l + "mlp.down_proj", out: h, inp: ff, bias: false),
                heads: heads, kvHeads: kv, headDim: d, eps: Float(text.rmsNormEps))
        }
        finalNorm = try load(p + "norm.weight", [h])
        let tied = !reader.names.contains(HubNames.lmHead)
        head = tied ? embedding : try load(HubNames.lmHead, [text.vocabSize, h])
        let bias = configuration.multimodalProjectorBias
        projector1 = try linear(HubNames.projector1, out: h, inp: vision.hiddenSize, bias: bias)
        projector2 = try linear(HubNames.projector2, out: h, inp: h, bias: bias)
        let stateCount = vision.numHiddenLayers + 1
        let read = configuration.visionFeatureLayers[0] < 0 ? stateCount + configuration.visionFeatureLayers[0] : configuration.visionFeatureLayers[0]
        guard read >= 0 && read < stateCount else {
            throw ModelError.invalidConfiguration("vision_feature_layer \(configuration.visionFeatureLayers[0]) is out of range")
        }
        let v = HubNames.vision, vh = vision.hiddenSize, vff = vision.intermediateSize
        let patch = TrainableLinear(weight: try load(v + "embeddings.patch_embedding.weight",
                                                     [vh, vision.numChannels, vision.patchSize, vision.patchSize]),
                                    bias: try load(v + "embeddings.patch_embedding.bias", [vh]), lora: nil)
        let position = try load(v + "embeddings.position_embedding.weight", [vision.patchCount, vh])
        try requireLayers(read, "\(v)encoder.layers.\(read - 1).layer_norm1.weight", field: "vision_config.num_hidden_layers is \(vision.numHiddenLayers)")
        let towerLayers = try (0..<read).map { i -> VisionTowerTraining.Layer in
            let l = "\(v)encoder.layers.\(i)."
            return VisionTowerTraining.Layer(
                norm1Weight: try load(l + "layer_norm1.weight", [vh]), norm1Bias: try load(l + "layer_norm1.bias", [vh]),
                q: try linear(l + "self_attn.q_proj", out: vh, inp: vh, bias: true),
                k: try linear(l + "self_attn.k_proj", out: vh, inp: vh, bias: true),
                v: try linear(l + "self_attn.v_proj", out: vh, inp: vh, bias: true),
                out: try linear(l + "self_attn.out_proj", out: vh, inp: vh, bias: true),
                norm2Weight: try load(l + "layer_norm2.weight", [vh]), norm2Bias: try load(l + "layer_norm2.bias", [vh]),
                fc1: try linear(l + "mlp.fc1", out: vff, inp: vh, bias: true),
                fc2: try linear(l + "mlp.fc2", out: vh, inp: vff, bias: true))
        }
        tower = VisionTowerTraining(configuration: vision, patch: patch, position: position, layers: towerLayers,
                                    tanhGELU: vision.hiddenAct != "gelu")
        rotary = RotaryEmbedding(headDim: d, theta: text.ropeTheta)
        parameters = loaded
        byName = Dictionary(uniqueKeysWithValues: loaded.map { ($0.name, $0) })
        storedDTypes = dtypes
        self.directory = directory
    }

    /// The tensor named `name` (hub layout, or a LoRA matrix's PEFT key).
    public subscript(name: String) -> TrainingParameter? { byName[name] }

    /// The tensors being trained, in order.
    public var trainable: [TrainingParameter] { parameters.filter(\.isTrainable) }

    /// Trains `parts` in full (and freezes every other model tensor; LoRA matrices stay trained).
    public func tune(_ parts: Set<TrainablePart>) {
        for parameter in parameters where !LoRANames.isLoRA(parameter.name) {
            parameter.setTrainable(parts.contains { HubNames.part(of: parameter.name) == $0 })
        }
        towerCache = [:]
        towerCacheBytes = 0
    }

    /// Attaches LoRA pairs to the decoder linears `targets` of every layer (projection names), trained, named by
    /// PEFT's saved keys. `pairs` gives A and B per (layer, projection) (e.g. from an adapter); missing ones start
    /// as PEFT does: A kaiming-uniform(a = √5) from `seed`, B zero.
    public func attachLoRA(rank: Int, scale: Float, dropout: Float, targets: [String], seed: UInt64,
                           pairs: [LoRATarget: LoRAPair] = [:]) throws {
        guard rank > 0 else { throw ModelError.invalidInput("--lora-rank must be at least 1") }
        let known = Set(DecoderLayerTraining.projectionNames)
        for target in targets where !known.contains(target) {
            throw ModelError.invalidInput("unknown LoRA target '\(target)' (choose from \(DecoderLayerTraining.projectionNames.joined(separator: ", ")))")
        }
        var generator = SplitMix64(seed: seed)
        for index in layers.indices {
            var layer = layers[index]
            for target in targets {
                let linear = layer.linear(target)
                let (out, inp) = (linear.outFeatures, linear.inFeatures)
                guard rank <= min(out, inp) else {
                    throw ModelError.invalidInput("--lora-rank \(rank) is larger than \(target)'s smaller dimension \(min(out, inp))")
                }
                let site = LoRATarget(layer: index, projection: target)
                let given = pairs[site]
                if let given, given.rank != rank || given.inFeatures != inp || given.outFeatures != out {
                    throw ModelError.invalidInput("adapter pair \(site) is rank \(given.rank) [\(given.outFeatures)×\(given.inFeatures)]; the model needs rank \(rank) [\(out)×\(inp)]")
                }
                let bound = 1 / Float(inp).squareRoot()
                let aValues = given?.a ?? (0..<(rank * inp)).map { _ in Float(generator.unit() * 2 - 1) * bound }
                let a = TrainingParameter(name: LoRAAdapter.key(site, .a), shape: [rank, inp], values: aValues, trainable: true, decays: true)
                let b = TrainingParameter(name: LoRAAdapter.key(site, .b), shape: [out, rank],
                                          values: given?.b ?? [Float](repeating: 0, count: out * rank), trainable: true, decays: true)
                for parameter in [a, b] {
                    parameters.append(parameter)
                    byName[parameter.name] = parameter
                }
                layer.setLoRA(target, LoRAPairParameters(a: a, b: b, scale: scale, dropout: dropout))
            }
            layers[index] = layer
        }
    }

    /// The LoRA pairs attached, by (layer, projection).
    public var loraPairs: [LoRATarget: LoRAPair] {
        var pairs: [LoRATarget: LoRAPair] = [:]
        for (index, layer) in layers.enumerated() {
            for (name, linear) in layer.linears {
                guard let lora = linear.lora else { continue }
                pairs[LoRATarget(layer: index, projection: name)] = LoRAPair(a: lora.a.values, b: lora.b.values, rank: lora.rank,
                                                                             inFeatures: linear.inFeatures, outFeatures: linear.outFeatures)
            }
        }
        return pairs
    }

    /// Holds every frozen matrix (linear weights, the embedding table) as `dtype` (bf16 halves the weights' memory;
    /// products widen it as they go); tensors trained later are widened back when ``tune(_:)`` starts them.
    public func compactFrozen(as dtype: DType) {
        var matrices = [embedding, head, projector1.weight, projector2.weight, tower.patch.weight]
        for layer in layers { matrices += layer.linears.map(\.1.weight) }
        for layer in tower.layers { matrices += [layer.q, layer.k, layer.v, layer.out, layer.fc1, layer.fc2].map(\.weight) }
        for matrix in matrices { matrix.compact(as: dtype) }
    }

    /// Checks that `sample` fits the model: ids inside the vocabulary, as many `<image>` tokens as its images take,
    /// pixels of the tower's size, labels aligned with the ids.
    public func check(_ sample: TrainingSample) throws {
        let vocabulary = configuration.textConfig.vocabSize
        guard sample.labels.count == sample.inputIDs.count else {
            throw ModelError.invalidInput("\(sample.labels.count) labels for \(sample.inputIDs.count) ids")
        }
        if let bad = sample.inputIDs.first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw ModelError.invalidInput("token id \(bad) is outside the vocabulary of \(vocabulary)")
        }
        if let bad = sample.labels.first(where: { $0 != -100 && ($0 < 0 || $0 >= vocabulary) }) {
            throw ModelError.invalidInput("label \(bad) is outside the vocabulary of \(vocabulary)")
        }
        let imageTokens = sample.inputIDs.reduce(0) { $0 + ($1 == configuration.imageTokenIndex ? 1 : 0) }
        let expected = configuration.imageTokenCount(images: sample.images)
        guard imageTokens == expected else {
            throw ModelError.invalidInput("the sequence holds \(imageTokens) <image> tokens; its \(sample.images) image(s) take \(expected)")
        }
        let v = configuration.visionConfig
        let perImage = v.numChannels * v.imageSize * v.imageSize
        guard sample.pixels.count == sample.images * perImage else {
            throw ModelError.invalidInput("pixels hold \(sample.pixels.count) values; \(sample.images) image(s) of \(v.numChannels)×\(v.imageSize)² need \(sample.images * perImage)")
        }
        guard sample.inputIDs.count <= configuration.textConfig.maxPositionEmbeddings else {
            throw ModelError.invalidInput("the sequence has \(sample.inputIDs.count) positions; the model takes at most \(configuration.textConfig.maxPositionEmbeddings)")
        }
    }

    /// The summed cross-entropy of `sample`'s labelled positions and their count, without gradients.
    public func loss(_ sample: TrainingSample) throws -> (lossSum: Double, tokens: Int) {
        try run(sample, gradScale: nil, dropoutSeed: nil)
    }

    /// Runs `sample` forward and backward, adding `gradScale` × d(summed cross-entropy) to every trained tensor's
    /// gradient (`gradScale` = 1 / labelled tokens of the whole optimizer step gives the mean). Returns the summed
    /// cross-entropy and the labelled-token count. `dropoutSeed` draws LoRA dropout masks (nil: none).
    @discardableResult
    public func accumulateGradients(_ sample: TrainingSample, gradScale: Float, dropoutSeed: UInt64? = nil) throws -> (lossSum: Double, tokens: Int) {
        try run(sample, gradScale: gradScale, dropoutSeed: dropoutSeed)
    }

    /// Zeroes every gradient.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    private func run(_ sample: TrainingSample, gradScale: Float?, dropoutSeed: UInt64?) throws -> (lossSum: Double, tokens: Int) {
        try check(sample)
        let text = configuration.textConfig
        let h = text.hiddenSize, rows = sample.inputIDs.count, vocabulary = head.shape[0]
        let backward = gradScale != nil
        // Image rows: tower (cached while frozen), projector.
        let imageRows = sample.inputIDs.indices.filter { sample.inputIDs[$0] == configuration.imageTokenIndex }
        var towerSaved: VisionTowerTraining.Saved?
        var towerOutput: [Float] = []
        var projectorSaved: (hidden: [Float], activated: [Float])?
        var features: [Float] = []
        if sample.images > 0 {
            // A trained tower runs every time (its weights move; evaluation between steps must see them).
            (towerOutput, towerSaved) = tower.isTrainable ? tower.forward(sample.pixels, images: sample.images, keep: backward)
                                                          : (cachedTower(sample), nil)
            let featureRows = imageRows.count
            let hidden = projector1.forward(towerOutput, rows: featureRows, dropoutSeed: nil).y
            let activated = TrainOps.geluErf(hidden)
            features = projector2.forward(activated, rows: featureRows, dropoutSeed: nil).y
            projectorSaved = (hidden, activated)
        }
        // Embeddings with the image rows spliced in.
        var x = [Float](repeating: 0, count: rows * h)
        var imageIndex = 0
        for (r, id) in sample.inputIDs.enumerated() {
            if id == configuration.imageTokenIndex {
                x.replaceSubrange((r * h)..<((r + 1) * h), with: features[(imageIndex * h)..<((imageIndex + 1) * h)])
                imageIndex += 1
            } else {
                if let compact = embedding.compact {
                    x.withUnsafeMutableBufferPointer { compact.widenRows(id..<(id + 1), into: $0.baseAddress! + r * h) }
                } else {
                    x.replaceSubrange((r * h)..<((r + 1) * h), with: embedding.values[(id * h)..<((id + 1) * h)])
                }
            }
        }
        let rope = RopeTables(rows: rows, rotary: rotary)
        // Each layer's activations are kept for backward, or only its input when recomputing.
        let recompute = recomputation.applies(rows: rows)
        let layerSeed = { (index: Int) in dropoutSeed.map { SplitMix64.mix($0 &+ UInt64(index) &* 8) } }
        var saved: [DecoderLayerTraining.Saved] = []
        var inputs: [[Float]] = []
        for (index, layer) in layers.enumerated() {
            if backward && recompute { inputs.append(x) }
            let (y, s) = layer.forward(x, rows: rows, rope: rope, dropoutSeed: layerSeed(index))
            if backward && !recompute { saved.append(s) }
            x = y
        }
        // Head and loss at the labelled positions only.
        let positions = (0..<max(rows - 1, 0)).filter { sample.labels[$0 + 1] != -100 }
        guard !positions.isEmpty else { return (0, 0) }
        let last = x
        let (normed, rstd) = TrainOps.rmsNorm(last, rows: rows, cols: h, weight: finalNorm.values, eps: Float(text.rmsNormEps))
        var selected = [Float](repeating: 0, count: positions.count * h)
        for (i, t) in positions.enumerated() { selected.replaceSubrange((i * h)..<((i + 1) * h), with: normed[(t * h)..<((t + 1) * h)]) }
        let headLinear = TrainableLinear(weight: head, bias: nil, lora: nil)
        let logits = headLinear.forward(selected, rows: positions.count, dropoutSeed: nil).y
        let (lossSum, dLogits) = TrainOps.crossEntropy(logits: logits, rows: positions.count, vocab: vocabulary,
                                                       targets: positions.map { sample.labels[$0 + 1] }, gradScale: gradScale ?? 0)
        guard backward else { return (lossSum, positions.count) }

        let dSelected = headLinear.backward(dLogits, x: selected, saved: .init(dropout: nil, hidden: nil), rows: positions.count,
                                            needInput: true)!
        var dNormed = [Float](repeating: 0, count: rows * h)
        for (i, t) in positions.enumerated() { dNormed.replaceSubrange((t * h)..<((t + 1) * h), with: dSelected[(i * h)..<((i + 1) * h)]) }
        var dx = finalNorm.withGradient { g in
            TrainOps.rmsNormBackward(dNormed, x: last, rstd: rstd, weight: finalNorm.values, rows: rows, cols: h, weightGrad: g)
        }
        for index in layers.indices.reversed() {
            let s = recompute ? layers[index].forward(inputs[index], rows: rows, rope: rope, dropoutSeed: layerSeed(index)).saved : saved[index]
            if recompute { inputs[index] = [] }
            dx = layers[index].backward(dx, saved: s, rows: rows, rope: rope)
        }
        // Embedding rows scatter-add; image rows flow into the projector (and the tower when it is trained).
        if embedding.isTrainable {
            var dEmbedding = [Float](repeating: 0, count: embedding.count)
            for (r, id) in sample.inputIDs.enumerated() where id != configuration.imageTokenIndex {
                for j in 0..<h { dEmbedding[id * h + j] += dx[r * h + j] }
            }
            embedding.accumulate(dEmbedding)
        }
        guard let projectorSaved, projector1.weight.isTrainable || tower.isTrainable else { return (lossSum, positions.count) }
        var dFeatures = [Float](repeating: 0, count: imageRows.count * h)
        for (i, r) in imageRows.enumerated() { dFeatures.replaceSubrange((i * h)..<((i + 1) * h), with: dx[(r * h)..<((r + 1) * h)]) }
        let none = TrainableLinear.Saved(dropout: nil, hidden: nil)
        let dActivated = projector2.backward(dFeatures, x: projectorSaved.activated, saved: none, rows: imageRows.count, needInput: true)!
        let dHidden = TrainOps.geluErfBackward(dActivated, x: projectorSaved.hidden)
        let dTower = projector1.backward(dHidden, x: towerOutput, saved: none, rows: imageRows.count, needInput: towerSaved != nil)
        if let towerSaved, let dTower { tower.backward(dTower, saved: towerSaved, images: sample.images) }
        return (lossSum, positions.count)
    }

    /// The frozen tower's output for `sample`'s images, computed once per distinct pixels.
    private func cachedTower(_ sample: TrainingSample) -> [Float] {
        let v = configuration.visionConfig
        let perImage = v.numChannels * v.imageSize * v.imageSize, rowsPerImage = v.patchCount * v.hiddenSize
        var out: [Float] = []
        out.reserveCapacity(sample.images * rowsPerImage)
        for image in 0..<sample.images {
            let pixels = Array(sample.pixels[(image * perImage)..<((image + 1) * perImage)])
            var hasher = Hasher()
            hasher.combine(pixels.count)
            pixels.withUnsafeBytes { hasher.combine(bytes: $0) }
            let key = hasher.finalize()
            if let hit = towerCache[key] {
                out += hit
                continue
            }
            let features = tower.forward(pixels, images: 1, keep: false).y
            if towerCacheBytes + features.count * 4 <= towerCacheLimit {
                towerCache[key] = features
                towerCacheBytes += features.count * 4
            }
            out += features
        }
        return out
    }
}

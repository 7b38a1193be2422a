import LoomCore
import LoomModels

/// The SigLIP tower in training: patch and position embeddings, then pre-LayerNorm layers with bidirectional
/// attention (per image) and a GELU MLP, up to the hidden state LLaVA reads (no post-LayerNorm).
struct VisionTowerTraining: @unchecked Sendable {
    struct Layer {
        let norm1Weight: TrainingParameter, norm1Bias: TrainingParameter
        let q: TrainableLinear, k: TrainableLinear, v: TrainableLinear, out: TrainableLinear
        let norm2Weight: TrainingParameter, norm2Bias: TrainingParameter
        let fc1: TrainableLinear, fc2: TrainableLinear
    }

    let configuration: SiglipVisionConfiguration
    /// The patch convolution as a `[hidden, channels · patch²]` linear.
    let patch: TrainableLinear
    let position: TrainingParameter
    let layers: [Layer]
    /// Whether the MLP's GELU is the tanh approximation (`gelu_pytorch_tanh`) rather than erf (`gelu`).
    let tanhGELU: Bool

    /// Whether any of its tensors is trained (otherwise the forward pass keeps nothing).
    var isTrainable: Bool {
        patch.weight.isTrainable || position.isTrainable || layers.contains { $0.q.weight.isTrainable || $0.norm1Weight.isTrainable }
    }

    struct LayerSaved {
        let input: [Float]
        let normed1: [Float], mean1: [Float], rstd1: [Float]
        let q: [Float], k: [Float], v: [Float]
        let attended: [Float], lse: [Float]
        let middle: [Float]
        let normed2: [Float], mean2: [Float], rstd2: [Float]
        let hidden: [Float], activated: [Float]
    }

    struct Saved {
        let patches: [Float]
        let layers: [LayerSaved]
    }

    var patchCount: Int { configuration.patchCount }
    var hiddenSize: Int { configuration.hiddenSize }

    /// Hidden states of `images` images (`pixels`: `[images, channels, size, size]`) after the last layer:
    /// `[images · patchCount, hidden]`; `keep` saves activations for ``backward(_:saved:images:)``.
    func forward(_ pixels: [Float], images: Int, keep: Bool) -> (y: [Float], saved: Saved?) {
        let rows = images * patchCount, h = hiddenSize
        let patches = unfold(pixels, images: images)
        var x = patch.forward(patches, rows: rows, dropoutSeed: nil).y
        for row in 0..<rows {
            let p = (row % patchCount) * h
            for j in 0..<h { x[row * h + j] += position.values[p + j] }
        }
        var saved: [LayerSaved] = []
        for layer in layers {
            let (y, s) = run(layer, x, images: images)
            if keep { saved.append(s) }
            x = y
        }
        return (x, keep ? Saved(patches: patches, layers: saved) : nil)
    }

    /// Adds the tower's parameter gradients for `dy` (`[images · patchCount, hidden]`). Pixels need no gradient.
    func backward(_ dy: [Float], saved: Saved, images: Int) {
        let rows = images * patchCount, h = hiddenSize
        var grad = dy
        for (layer, s) in zip(layers, saved.layers).reversed() {
            grad = backward(layer, grad, saved: s, images: images)
        }
        if position.isTrainable {
            var dPosition = [Float](repeating: 0, count: position.count)
            for row in 0..<rows {
                let p = (row % patchCount) * h
                for j in 0..<h { dPosition[p + j] += grad[row * h + j] }
            }
            position.accumulate(dPosition)
        }
        _ = patch.backward(grad, x: saved.patches, saved: .init(dropout: nil, hidden: nil), rows: rows, needInput: false)
    }

    private func run(_ layer: Layer, _ x: [Float], images: Int) -> ([Float], LayerSaved) {
        let rows = images * patchCount, h = hiddenSize, eps = Float(configuration.layerNormEps)
        let heads = configuration.numAttentionHeads, d = configuration.headDim
        let (normed1, mean1, rstd1) = TrainOps.layerNorm(x, rows: rows, cols: h, weight: layer.norm1Weight.values,
                                                         bias: layer.norm1Bias.values, eps: eps)
        let q = layer.q.forward(normed1, rows: rows, dropoutSeed: nil).y
        let k = layer.k.forward(normed1, rows: rows, dropoutSeed: nil).y
        let v = layer.v.forward(normed1, rows: rows, dropoutSeed: nil).y
        var attended = [Float](repeating: 0, count: rows * h)
        var lse = [Float](repeating: 0, count: images * heads * patchCount)
        for image in 0..<images {
            let slice = (image * patchCount * h)..<((image + 1) * patchCount * h)
            let (o, l) = TrainOps.attention(q: Array(q[slice]), k: Array(k[slice]), v: Array(v[slice]), rows: patchCount, heads: heads,
                                            kvHeads: heads, headDim: d, scale: 1 / Float(d).squareRoot(), causal: false)
            attended.replaceSubrange(slice, with: o)
            lse.replaceSubrange((image * heads * patchCount)..<((image + 1) * heads * patchCount), with: l)
        }
        var middle = x
        add(&middle, layer.out.forward(attended, rows: rows, dropoutSeed: nil).y)
        let (normed2, mean2, rstd2) = TrainOps.layerNorm(middle, rows: rows, cols: h, weight: layer.norm2Weight.values,
                                                         bias: layer.norm2Bias.values, eps: eps)
        let hidden = layer.fc1.forward(normed2, rows: rows, dropoutSeed: nil).y
        let activated = tanhGELU ? TrainOps.geluTanh(hidden) : TrainOps.geluErf(hidden)
        var y = middle
        add(&y, layer.fc2.forward(activated, rows: rows, dropoutSeed: nil).y)
        return (y, LayerSaved(input: x, normed1: normed1, mean1: mean1, rstd1: rstd1, q: q, k: k, v: v, attended: attended, lse: lse,
                              middle: middle, normed2: normed2, mean2: mean2, rstd2: rstd2, hidden: hidden, activated: activated))
    }

    private func backward(_ layer: Layer, _ dy: [Float], saved s: LayerSaved, images: Int) -> [Float] {
        let rows = images * patchCount, h = hiddenSize
        let heads = configuration.numAttentionHeads, d = configuration.headDim
        let none = TrainableLinear.Saved(dropout: nil, hidden: nil)
        let dActivated = layer.fc2.backward(dy, x: s.activated, saved: none, rows: rows, needInput: true)!
        let dHidden = tanhGELU ? TrainOps.geluTanhBackward(dActivated, x: s.hidden) : TrainOps.geluErfBackward(dActivated, x: s.hidden)
        let dNormed2 = layer.fc1.backward(dHidden, x: s.normed2, saved: none, rows: rows, needInput: true)!
        var dMiddle = layer.norm2Weight.withGradient { wg in
            layer.norm2Bias.withGradient { bg in
                TrainOps.layerNormBackward(dNormed2, x: s.middle, mean: s.mean2, rstd: s.rstd2, weight: layer.norm2Weight.values,
                                           rows: rows, cols: h, weightGrad: wg, biasGrad: bg)
            }
        }
        add(&dMiddle, dy)
        let dAttended = layer.out.backward(dMiddle, x: s.attended, saved: none, rows: rows, needInput: true)!
        var dq = [Float](repeating: 0, count: rows * h), dk = dq, dv = dq
        for image in 0..<images {
            let slice = (image * patchCount * h)..<((image + 1) * patchCount * h)
            let lse = Array(s.lse[(image * heads * patchCount)..<((image + 1) * heads * patchCount)])
            let g = TrainOps.attentionBackward(dO: Array(dAttended[slice]), q: Array(s.q[slice]), k: Array(s.k[slice]), v: Array(s.v[slice]),
                                               o: Array(s.attended[slice]), lse: lse, rows: patchCount, heads: heads, kvHeads: heads,
                                               headDim: d, scale: 1 / Float(d).squareRoot(), causal: false)
            dq.replaceSubrange(slice, with: g.dq)
            dk.replaceSubrange(slice, with: g.dk)
            dv.replaceSubrange(slice, with: g.dv)
        }
        var dNormed1 = layer.q.backward(dq, x: s.normed1, saved: none, rows: rows, needInput: true)!
        add(&dNormed1, layer.k.backward(dk, x: s.normed1, saved: none, rows: rows, needInput: true)!)
        add(&dNormed1, layer.v.backward(dv, x: s.normed1, saved: none, rows: rows, needInput: true)!)
        var dx = layer.norm1Weight.withGradient { wg in
            layer.norm1Bias.withGradient { bg in
                TrainOps.layerNormBackward(dNormed1, x: s.input, mean: s.mean1, rstd: s.rstd1, weight: layer.norm1Weight.values,
                                           rows: rows, cols: h, weightGrad: wg, biasGrad: bg)
            }
        }
        add(&dx, dMiddle)
        return dx
    }

    /// Unfolds `[images, channels, size, size]` pixels into `[images · patchCount, channels · patch²]` rows (the
    /// convolution's input order: channel, then row, then column within the patch).
    private func unfold(_ pixels: [Float], images: Int) -> [Float] {
        let c = configuration.numChannels, s = configuration.imageSize, p = configuration.patchSize
        let side = configuration.patchesPerSide, width = c * p * p
        var out = [Float](repeating: 0, count: images * patchCount * width)
        for row in 0..<(images * patchCount) {
            let image = row / patchCount, index = row % patchCount
            let py = (index / side) * p, px = (index % side) * p
            var o = row * width
            for channel in 0..<c {
                for ky in 0..<p {
                    let start = ((image * c + channel) * s + py + ky) * s + px
                    for kx in 0..<p { out[o + kx] = pixels[start + kx] }
                    o += p
                }
            }
        }
        return out
    }
}

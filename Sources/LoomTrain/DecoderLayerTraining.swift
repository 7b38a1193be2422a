import Foundation
import LoomCore
import LoomModels

/// One Qwen2 decoder layer in training: pre-RMSNorm attention with RoPE and grouped-query heads, then a
/// pre-RMSNorm SwiGLU MLP, each added to the residual stream. The forward pass keeps what the backward pass needs
/// (inputs of every product, normalisation statistics, post-RoPE q and k, attention output and log-sum-exp) —
/// never a T × T matrix.
struct DecoderLayerTraining: @unchecked Sendable {
    let inputNorm: TrainingParameter
    let postAttentionNorm: TrainingParameter
    var q: TrainableLinear, k: TrainableLinear, v: TrainableLinear, o: TrainableLinear
    var gate: TrainableLinear, up: TrainableLinear, down: TrainableLinear
    let heads: Int, kvHeads: Int, headDim: Int
    let eps: Float

    /// The activations one forward pass keeps.
    struct Saved {
        let input: [Float]
        let normed1: [Float], rstd1: [Float]
        let q: [Float], k: [Float], v: [Float]
        let qSaved: TrainableLinear.Saved, kSaved: TrainableLinear.Saved, vSaved: TrainableLinear.Saved
        let attended: [Float], lse: [Float], oSaved: TrainableLinear.Saved
        let middle: [Float]
        let normed2: [Float], rstd2: [Float]
        let gate: [Float], up: [Float], gateSaved: TrainableLinear.Saved, upSaved: TrainableLinear.Saved
        let activated: [Float], downSaved: TrainableLinear.Saved
    }

    /// The projection names of the layer's linears, PEFT's LoRA target names.
    static let projectionNames = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

    /// Every linear of the layer by its projection name.
    var linears: [(String, TrainableLinear)] {
        [("q_proj", q), ("k_proj", k), ("v_proj", v), ("o_proj", o), ("gate_proj", gate), ("up_proj", up), ("down_proj", down)]
    }

    /// The linear called `projection` (one of ``projectionNames``).
    func linear(_ projection: String) -> TrainableLinear {
        linears.first { $0.0 == projection }!.1
    }

    /// Puts a LoRA pair on the linear called `projection`.
    mutating func setLoRA(_ projection: String, _ pair: LoRAPairParameters) {
        switch projection {
        case "q_proj": q.lora = pair
        case "k_proj": k.lora = pair
        case "v_proj": v.lora = pair
        case "o_proj": o.lora = pair
        case "gate_proj": gate.lora = pair
        case "up_proj": up.lora = pair
        case "down_proj": down.lora = pair
        default: preconditionFailure("unknown projection \(projection)")
        }
    }

    /// Runs `x` (`[rows, hidden]`, one sequence at positions `0..<rows`); returns the layer's output and what the
    /// backward pass needs. `rope` holds the positions' cosines and sines.
    func forward(_ x: [Float], rows: Int, rope: RopeTables, dropoutSeed: UInt64?) -> (y: [Float], saved: Saved) {
        let h = inputNorm.count
        let (normed1, rstd1) = TrainOps.rmsNorm(x, rows: rows, cols: h, weight: inputNorm.values, eps: eps)
        let seed = { (slot: UInt64) in dropoutSeed.map { SplitMix64.mix($0 &+ slot) } }
        var (qOut, qSaved) = q.forward(normed1, rows: rows, dropoutSeed: seed(1))
        var (kOut, kSaved) = k.forward(normed1, rows: rows, dropoutSeed: seed(2))
        let (vOut, vSaved) = v.forward(normed1, rows: rows, dropoutSeed: seed(3))
        qOut.withUnsafeMutableBufferPointer {
            TrainOps.rope($0.baseAddress!, rows: rows, rowStride: heads * headDim, heads: heads, headDim: headDim, cos: rope.cos, sin: rope.sin)
        }
        kOut.withUnsafeMutableBufferPointer {
            TrainOps.rope($0.baseAddress!, rows: rows, rowStride: kvHeads * headDim, heads: kvHeads, headDim: headDim, cos: rope.cos, sin: rope.sin)
        }
        let (attended, lse) = TrainOps.attention(q: qOut, k: kOut, v: vOut, rows: rows, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                                 scale: 1 / Float(headDim).squareRoot(), causal: true)
        let (projected, oSaved) = o.forward(attended, rows: rows, dropoutSeed: seed(4))
        var middle = x
        for i in 0..<middle.count { middle[i] += projected[i] }
        let (normed2, rstd2) = TrainOps.rmsNorm(middle, rows: rows, cols: h, weight: postAttentionNorm.values, eps: eps)
        let (gateOut, gateSaved) = gate.forward(normed2, rows: rows, dropoutSeed: seed(5))
        let (upOut, upSaved) = up.forward(normed2, rows: rows, dropoutSeed: seed(6))
        let activated = TrainOps.swiglu(gate: gateOut, up: upOut)
        let (mlp, downSaved) = down.forward(activated, rows: rows, dropoutSeed: seed(7))
        var y = middle
        for i in 0..<y.count { y[i] += mlp[i] }
        return (y, Saved(input: x, normed1: normed1, rstd1: rstd1, q: qOut, k: kOut, v: vOut, qSaved: qSaved, kSaved: kSaved, vSaved: vSaved,
                         attended: attended, lse: lse, oSaved: oSaved, middle: middle, normed2: normed2, rstd2: rstd2,
                         gate: gateOut, up: upOut, gateSaved: gateSaved, upSaved: upSaved, activated: activated, downSaved: downSaved))
    }

    /// Adds the layer's parameter gradients for the output gradient `dy`; returns dL/d(input).
    func backward(_ dy: [Float], saved s: Saved, rows: Int, rope: RopeTables) -> [Float] {
        let h = inputNorm.count
        let dActivated = down.backward(dy, x: s.activated, saved: s.downSaved, rows: rows, needInput: true)!
        let (dGate, dUp) = TrainOps.swigluBackward(dActivated, gate: s.gate, up: s.up)
        var dNormed2 = gate.backward(dGate, x: s.normed2, saved: s.gateSaved, rows: rows, needInput: true)!
        add(&dNormed2, up.backward(dUp, x: s.normed2, saved: s.upSaved, rows: rows, needInput: true)!)
        var dMiddle = postAttentionNorm.withGradient { g in
            TrainOps.rmsNormBackward(dNormed2, x: s.middle, rstd: s.rstd2, weight: postAttentionNorm.values, rows: rows, cols: h, weightGrad: g)
        }
        add(&dMiddle, dy)
        let dAttended = o.backward(dMiddle, x: s.attended, saved: s.oSaved, rows: rows, needInput: true)!
        var (dq, dk, dv) = TrainOps.attentionBackward(dO: dAttended, q: s.q, k: s.k, v: s.v, o: s.attended, lse: s.lse, rows: rows,
                                                      heads: heads, kvHeads: kvHeads, headDim: headDim,
                                                      scale: 1 / Float(headDim).squareRoot(), causal: true)
        dq.withUnsafeMutableBufferPointer {
            TrainOps.ropeBackward($0.baseAddress!, rows: rows, rowStride: heads * headDim, heads: heads, headDim: headDim, cos: rope.cos, sin: rope.sin)
        }
        dk.withUnsafeMutableBufferPointer {
            TrainOps.ropeBackward($0.baseAddress!, rows: rows, rowStride: kvHeads * headDim, heads: kvHeads, headDim: headDim, cos: rope.cos, sin: rope.sin)
        }
        var dNormed1 = q.backward(dq, x: s.normed1, saved: s.qSaved, rows: rows, needInput: true)!
        add(&dNormed1, k.backward(dk, x: s.normed1, saved: s.kSaved, rows: rows, needInput: true)!)
        add(&dNormed1, v.backward(dv, x: s.normed1, saved: s.vSaved, rows: rows, needInput: true)!)
        var dx = inputNorm.withGradient { g in
            TrainOps.rmsNormBackward(dNormed1, x: s.input, rstd: s.rstd1, weight: inputNorm.values, rows: rows, cols: h, weightGrad: g)
        }
        add(&dx, dMiddle)
        return dx
    }
}

/// Cosines and sines of RoPE angles for positions `0..<rows` (`[rows, headDim / 2]` each), in f32 like transformers.
struct RopeTables: Sendable {
    let cos: [Float]
    let sin: [Float]

    init(rows: Int, rotary: RotaryEmbedding) {
        let half = rotary.headDim / 2
        var cos = [Float](repeating: 0, count: rows * half), sin = cos
        for r in 0..<rows {
            for i in 0..<half {
                let angle = Float(r) * rotary.inverseFrequencies[i]
                cos[r * half + i] = cosf(angle)
                sin[r * half + i] = sinf(angle)
            }
        }
        self.cos = cos
        self.sin = sin
    }
}

/// `a += b`, element by element.
func add(_ a: inout [Float], _ b: [Float]) {
    precondition(a.count == b.count, "add: \(a.count) and \(b.count) values")
    a.withUnsafeMutableBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in for i in 0..<bp.count { ap[i] += bp[i] } }
    }
}

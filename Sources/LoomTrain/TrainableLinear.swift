import LoomCore

/// A LoRA pair on a linear layer (PEFT's parametrisation): `y += scale · (D(x)·Aᵀ)·Bᵀ`, A `[rank, in]`,
/// B `[out, rank]`, D dropout with probability `dropout` while training.
public struct LoRAPairParameters: @unchecked Sendable {
    public let a: TrainingParameter
    public let b: TrainingParameter
    public let scale: Float
    public let dropout: Float

    public init(a: TrainingParameter, b: TrainingParameter, scale: Float, dropout: Float) {
        self.a = a
        self.b = b
        self.scale = scale
        self.dropout = dropout
    }

    public var rank: Int { a.shape[0] }
}

/// A linear layer in training, PyTorch layout: `y[rows, out] = x·Wᵀ + b`, plus an optional LoRA pair.
struct TrainableLinear: @unchecked Sendable {
    let weight: TrainingParameter
    let bias: TrainingParameter?
    var lora: LoRAPairParameters?

    var outFeatures: Int { weight.shape[0] }
    /// Input features: everything after the first dimension (a convolution kernel `[out, c, k, k]` is a linear of
    /// `c·k²` inputs over unfolded patches).
    var inFeatures: Int { weight.count / weight.shape[0] }

    /// What the backward pass needs besides the input: the LoRA branch's dropout factors (0 or 1/(1−p) per
    /// element) and hidden rows.
    struct Saved {
        let dropout: [Float]?
        let hidden: [Float]?
    }

    /// `x·Wᵀ + b (+ LoRA)` for `rows` rows; `dropoutSeed` draws the LoRA dropout mask (nil: no dropout, evaluation).
    func forward(_ x: [Float], rows: Int, dropoutSeed: UInt64?) -> (y: [Float], saved: Saved) {
        var y = weight.compact.map { FrozenProducts.forward(x, rows: rows, weight: $0, bias: bias?.values) }
            ?? TrainOps.linear(x, rows: rows, weight.values, out: outFeatures, inp: inFeatures, bias: bias?.values)
        guard let lora else { return (y, Saved(dropout: nil, hidden: nil)) }
        let factors = dropoutSeed.flatMap { Self.dropoutFactors(count: x.count, probability: lora.dropout, seed: $0) }
        let r = lora.rank
        let u = TrainOps.linear(factors.map { Self.multiply(x, $0) } ?? x, rows: rows, lora.a.values, out: r, inp: inFeatures, bias: nil)
        var delta = TrainOps.linear(u, rows: rows, lora.b.values, out: outFeatures, inp: r, bias: nil)
        let s = lora.scale
        for i in 0..<y.count { y[i] += s * delta[i] }
        delta = []
        return (y, Saved(dropout: factors, hidden: u))
    }

    /// Adds the parameter gradients of `dy` and returns dL/dx (nil when `needInput` is false).
    func backward(_ dy: [Float], x: [Float], saved: Saved, rows: Int, needInput: Bool) -> [Float]? {
        var dx = weight.compact.map { compact in
            // A compact matrix is frozen: only the input gradient, and the bias's.
            bias?.withGradient { biasGrad in
                if let biasGrad { TrainOps.addColumnSums(dy, rows: rows, cols: outFeatures, into: biasGrad) }
            }
            return needInput ? FrozenProducts.inputGradient(dy, weight: compact, rows: rows) : nil
        } ?? weight.withGradient { weightGrad in
            bias.map { b in b.withGradient { biasGrad in
                TrainOps.linearBackward(dy, x: x, w: weight.values, rows: rows, out: outFeatures, inp: inFeatures,
                                        needInput: needInput, weightGrad: weightGrad, biasGrad: biasGrad)
            } } ?? TrainOps.linearBackward(dy, x: x, w: weight.values, rows: rows, out: outFeatures, inp: inFeatures,
                                           needInput: needInput, weightGrad: weightGrad, biasGrad: nil)
        }
        guard let lora, let u = saved.hidden else { return dx }
        let r = lora.rank, s = lora.scale
        var scaled = dy
        for i in 0..<scaled.count { scaled[i] *= s }
        // dB += s·dyᵀ·u; du = s·dy·B; dA += duᵀ·D(x); dx += D′(du·A).
        let du = lora.b.withGradient { bGrad in
            TrainOps.linearBackward(scaled, x: u, w: lora.b.values, rows: rows, out: outFeatures, inp: r, needInput: true,
                                    weightGrad: bGrad, biasGrad: nil)!
        }
        let input = saved.dropout.map { Self.multiply(x, $0) } ?? x
        let dInput = lora.a.withGradient { aGrad in
            TrainOps.linearBackward(du, x: input, w: lora.a.values, rows: rows, out: r, inp: inFeatures, needInput: needInput,
                                    weightGrad: aGrad, biasGrad: nil)
        }
        guard needInput, let dLoRA = dInput else { return dx }
        // D(x) = x ⊙ factors, so dL/dx gains factors ⊙ dL/dD(x).
        let through = saved.dropout.map { Self.multiply(dLoRA, $0) } ?? dLoRA
        for i in 0..<through.count { dx![i] += through[i] }
        return dx
    }

    /// Dropout factors: 0 with probability `p` (drawn from `seed` and the element's index, so a step can be redone
    /// exactly), 1/(1−p) otherwise; nil when `p` is 0.
    static func dropoutFactors(count: Int, probability p: Float, seed: UInt64) -> [Float]? {
        guard p > 0 else { return nil }
        let keep = 1 / (1 - p)
        return (0..<count).map { i in
            let draw = Float(SplitMix64.mix(seed &+ UInt64(i) &* SplitMix64.increment) >> 40) / Float(1 << 24)
            return draw < p ? 0 : keep
        }
    }

    /// The element-wise product.
    static func multiply(_ a: [Float], _ b: [Float]) -> [Float] {
        zip(a, b).map { $0 * $1 }
    }
}

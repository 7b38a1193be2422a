import Foundation

/// AdamW with PyTorch's semantics (`torch.optim.AdamW`, single-tensor path): decoupled weight decay
/// `p ← p·(1 − lr·wd)` on the tensors that decay, bias-corrected moments, `ε` added after the square root.
public final class AdamW: @unchecked Sendable {
    public struct Configuration: Codable, Sendable, Equatable {
        public var beta1: Double = 0.9
        public var beta2: Double = 0.999
        public var epsilon: Double = 1e-8
        public var weightDecay: Double = 0

        public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
        }

        public func validate() throws {
            guard (0..<1).contains(beta1), (0..<1).contains(beta2) else { throw TrainError.invalidOption("Adam betas must lie in [0, 1)") }
            guard epsilon > 0 else { throw TrainError.invalidOption("Adam epsilon must be positive") }
            guard weightDecay >= 0 else { throw TrainError.invalidOption("--weight-decay must not be negative") }
        }
    }

    public let configuration: Configuration
    /// Optimizer steps taken.
    public private(set) var step = 0
    /// First and second moments by parameter name.
    public private(set) var moments: [String: (m: [Float], v: [Float])] = [:]

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// One update of every trainable parameter from its gradient at learning rate `lr`.
    public func update(_ parameters: [TrainingParameter], lr: Double) {
        step += 1
        let c = configuration
        let beta2 = Float(c.beta2)
        let oneMinusBeta1 = Float(1 - c.beta1), oneMinusBeta2 = Float(1 - c.beta2)
        let stepSize = Float(lr / (1 - pow(c.beta1, Double(step))))
        let correction2 = Float((1 - pow(c.beta2, Double(step))).squareRoot())
        let epsilon = Float(c.epsilon)
        for parameter in parameters {
            guard let grad = parameter.grad else { continue }
            var (m, v) = moments[parameter.name] ?? ([Float](repeating: 0, count: grad.count), [Float](repeating: 0, count: grad.count))
            moments[parameter.name] = nil
            let decay = parameter.decays ? Float(1 - lr * c.weightDecay) : 1
            parameter.values.withUnsafeMutableBufferPointer { p in
                for i in 0..<grad.count {
                    if parameter.decays { p[i] *= decay }
                    // torch.lerp(m, g, 1 − β1) = m + (1 − β1)·(g − m) for weights below 0.5.
                    m[i] = m[i] + oneMinusBeta1 * (grad[i] - m[i])
                    v[i] = v[i] * beta2 + oneMinusBeta2 * grad[i] * grad[i]
                    let denominator = v[i].squareRoot() / correction2 + epsilon
                    p[i] += -stepSize * (m[i] / denominator)
                }
            }
            moments[parameter.name] = (m, v)
        }
    }

    /// Restores a saved state (for resuming).
    public func restore(step: Int, moments: [String: (m: [Float], v: [Float])]) {
        self.step = step
        self.moments = moments
    }
}

/// Global-norm gradient clipping as `torch.nn.utils.clip_grad_norm_`: the 2-norm of the per-tensor 2-norms; when
/// `maxNorm` is finite every gradient is multiplied by `min(1, maxNorm / (norm + 1e-6))`. Returns the norm before
/// clipping.
@discardableResult
public func clipGradients(_ parameters: [TrainingParameter], maxNorm: Double) -> Double {
    var squares: Float = 0
    for parameter in parameters {
        guard let grad = parameter.grad else { continue }
        var sum: Float = 0
        for g in grad { sum += g * g }
        let norm = sum.squareRoot()
        squares += norm * norm
    }
    let total = squares.squareRoot()
    guard maxNorm.isFinite, maxNorm > 0 else { return Double(total) }
    let coefficient = min(Float(maxNorm) / (total + 1e-6), 1)
    for parameter in parameters where parameter.grad != nil {
        parameter.grad!.withUnsafeMutableBufferPointer { g in for i in 0..<g.count { g[i] *= coefficient } }
    }
    return Double(total)
}

import Foundation
import LoomKernels

/// Element-wise and row-wise kernels on f32 activations, threaded over rows.
public enum Ops {
    /// RMSNorm over the last dimension: `x · rsqrt(mean(x²) + eps) · weight`, statistics in f32.
    public static func rmsNorm(_ x: Tensor, weight: [Float], eps: Float) -> Tensor {
        let d = x.columns
        precondition(weight.count == d, "rmsNorm: weight has \(weight.count) values, rows have \(d)")
        var out = x
        out.data.withUnsafeMutableBufferPointer { op in
            weight.withUnsafeBufferPointer { wp in
                let o = op.baseAddress!, w = wp.baseAddress!
                Parallel.forEachChunk(x.rows, costPerItem: d) { range in
                    let rows = o + range.lowerBound * d
                    loom_rms_norm(rows, rows, Int64(range.count), Int64(d), w, eps)
                }
            }
        }
        return out
    }

    /// LayerNorm over the last dimension with weight and bias (biased variance, as PyTorch).
    public static func layerNorm(_ x: Tensor, weight: [Float], bias: [Float], eps: Float) -> Tensor {
        let d = x.columns
        precondition(weight.count == d && bias.count == d, "layerNorm: parameters do not match row length \(d)")
        var out = x
        out.data.withUnsafeMutableBufferPointer { op in
            weight.withUnsafeBufferPointer { wp in
                bias.withUnsafeBufferPointer { bp in
                    let o = op.baseAddress!, w = wp.baseAddress!, b = bp.baseAddress!
                    Parallel.forEachChunk(x.rows, costPerItem: d) { range in
                        let rows = o + range.lowerBound * d
                        loom_layer_norm(rows, rows, Int64(range.count), Int64(d), w, b, eps)
                    }
                }
            }
        }
        return out
    }

    /// `a += b`, element-wise (residual add).
    public static func add(_ a: inout Tensor, _ b: Tensor) {
        precondition(a.count == b.count, "add: \(a.shape) and \(b.shape) differ in size")
        let n = a.count
        a.data.withUnsafeMutableBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                let x = ap.baseAddress!, y = bp.baseAddress!
                Parallel.forEachChunk(n) { range in
                    for i in range { x[i] += y[i] }
                }
            }
        }
    }

    /// Applies `f` to every element, in parallel.
    public static func map(_ x: inout Tensor, _ f: (Float) -> Float) {
        x.data.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            Parallel.forEachChunk(p.count, costPerItem: 8) { range in
                for i in range { base[i] = f(base[i]) }
            }
        }
    }

    /// `silu(gate) · up` for rows holding gate and up side by side (`[rows, 2 · width]`, one stacked product),
    /// giving `[rows, width]`; `precision` `.bf16` uses the vectorised kernel, `.f32` libm's exp.
    public static func swiglu(gateUp: Tensor, precision: DType = .f32) -> Tensor {
        precondition(gateUp.columns % 2 == 0, "swiglu: rows of \(gateUp.columns) values do not hold gate and up")
        let width = gateUp.columns / 2, rows = gateUp.rows
        var shape = gateUp.shape
        shape[shape.count - 1] = width
        let out = [Float](unsafeUninitializedCapacity: rows * width) { op, initialized in
            gateUp.data.withUnsafeBufferPointer { gp in
                let o = op.baseAddress!, g = gp.baseAddress!
                Parallel.forEachChunk(rows, costPerItem: width * 8) { range in
                    for r in range {
                        let target = o + r * width, gate = g + r * 2 * width, up = gate + width
                        if precision == .bf16 {
                            loom_swiglu(gate, up, target, width)
                        } else {
                            for i in 0..<width { target[i] = gate[i] / (1 + expf(-gate[i])) * up[i] }
                        }
                    }
                }
            }
            initialized = rows * width
        }
        return Tensor(shape: shape, data: out)
    }

    /// GELU with the tanh approximation (`gelu_pytorch_tanh`).
    @inline(__always)
    public static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + tanhf(0.7978845608028654 * (x + 0.044715 * x * x * x)))
    }

    /// GELU (tanh approximation) over every element, vectorised: the bf16 path's activation (the f32 reference
    /// maps ``geluTanh(_:)`` with libm's `tanhf`).
    public static func geluTanhVectorized(_ x: inout Tensor) {
        x.data.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            Parallel.forEachChunk(p.count, costPerItem: 8) { range in
                loom_gelu_tanh(base + range.lowerBound, range.count)
            }
        }
    }

    /// Exact GELU: `0.5 · x · (1 + erf(x / √2))`.
    @inline(__always)
    public static func geluErf(_ x: Float) -> Float {
        0.5 * x * (1 + erff(x * 0.7071067811865476))
    }

    /// Softmax of `values` in place (f32, max-subtracted); returns the log-sum-exp (max + log of the sum), which the
    /// attention backward pass keeps.
    @discardableResult
    public static func softmax(_ values: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var maxValue = -Float.infinity
        for i in 0..<count { maxValue = max(maxValue, values[i]) }
        var sum: Float = 0
        for i in 0..<count {
            let e = expf(values[i] - maxValue)
            values[i] = e
            sum += e
        }
        let inv = 1 / sum
        for i in 0..<count { values[i] *= inv }
        return maxValue + logf(sum)
    }

    /// Log-softmax of one row, in f64 accumulation for stable log-probabilities.
    public static func logSoftmax(_ values: ArraySlice<Float>) -> [Float] {
        let maxValue = values.max() ?? 0
        var sum: Double = 0
        for v in values { sum += Double(expf(v - maxValue)) }
        let logSum = Float(log(sum)) + maxValue
        return values.map { $0 - logSum }
    }
}

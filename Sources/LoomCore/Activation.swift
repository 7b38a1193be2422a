import LoomKernels

/// An element-wise activation applied to the input of a matrix product (``Linear/apply(_:activation:_:bias:)``).
public enum Activation: Sendable {
    /// `silu(gate) · up` over rows holding gate and up side by side (`[rows, 2 · K]` for a `[N, K]` weight).
    case swiglu
    /// GELU with the tanh approximation (`gelu_pytorch_tanh`).
    case geluTanh
    /// Exact GELU (`gelu`).
    case geluErf

    /// The GELU a `hidden_act`-style configuration name selects (`gelu`: exact erf; `gelu_pytorch_tanh`: tanh
    /// approximation); nil for any other name.
    public init?(geluName name: String) {
        switch name {
        case "gelu": self = .geluErf
        case "gelu_pytorch_tanh": self = .geluTanh
        default: return nil
        }
    }

    /// Input features of the product the activated rows feed, for rows of `columns` values.
    func width(_ columns: Int) -> Int { self == .swiglu ? columns / 2 : columns }

    /// The activated rows in f32: vectorised kernels for bf16 compute, libm (the reference) for f32. GELU works in
    /// place on `x` when the caller hands over the only reference.
    func applied(to x: consuming Tensor, precision: DType) -> Tensor {
        switch self {
        case .swiglu:
            return Ops.swiglu(gateUp: x, precision: precision)
        case .geluTanh:
            var y = consume x
            if precision == .bf16 { Ops.geluTanhVectorized(&y) } else { Ops.map(&y, Ops.geluTanh) }
            return y
        case .geluErf:
            var y = consume x
            Ops.map(&y, Ops.geluErf)
            return y
        }
    }

    /// Row `r` of `x` activated and rounded to bf16 into `out` (`width(x.columns)` values).
    func writeBF16(row r: Int, of x: UnsafePointer<Float>, columns: Int, into out: UnsafeMutablePointer<UInt16>) {
        switch self {
        case .swiglu:
            let width = columns / 2, gate = x + r * columns
            loom_swiglu_bf16(gate, gate + width, out, width)
        case .geluTanh:
            loom_gelu_tanh_bf16(x + r * columns, out, columns)
        case .geluErf:
            let row = x + r * columns
            for i in 0..<columns { out[i] = floatToBF16(Ops.geluErf(row[i])) }
        }
    }
}

extension Linear {
    /// `activation(x) · Wᵀ + bias`. Against a packed bf16 weight the activation writes the product's bf16 input
    /// directly (the same values as activating in f32 and rounding, without the f32 pass between); otherwise the
    /// activated rows are computed in f32 first (libm for f32 compute).
    public static func apply(_ x: consuming Tensor, activation: Activation, _ weight: Weight, bias: [Float]? = nil) -> Tensor {
        guard case .blockedBF16(let matrix)? = weight.packed else {
            return apply(activation.applied(to: consume x, precision: weight.computeDType), weight, bias: bias)
        }
        let m = x.rows, k = activation.width(x.columns), columns = x.columns
        precondition(k == weight.shape[1], "Linear: activated input has \(k) features, weight \(weight.name) expects \(weight.shape[1])")
        return x.data.withUnsafeBufferPointer { xp in
            packedProduct(weight, rows: m, inputShape: x.shape, bias: bias) { bias, out in
                matrix.multiply(bf16Rows: m, bias: bias, into: out) { xb in
                    Parallel.forEachChunk(m, costPerItem: k * 8) { range in
                        for r in range { activation.writeBF16(row: r, of: xp.baseAddress!, columns: columns, into: xb + r * k) }
                    }
                }
            }
        }
    }
}

import LoomCore

/// Products against a frozen matrix held in a compact form (bf16): forward through Loom's inference kernels
/// (``Linear``), the input gradient by widening row blocks of the matrix to f32 for BLAS.
enum FrozenProducts {
    /// Rows of the matrix widened per block in ``inputGradient(_:weight:rows:)``.
    static let blockRows = 256

    /// `x · Wᵀ (+ bias)` for `[rows, in]` inputs.
    static func forward(_ x: [Float], rows: Int, weight: Weight, bias: [Float]?) -> [Float] {
        Linear.apply(Tensor(shape: [rows, weight.shape[1]], data: x), weight, bias: bias).data
    }

    /// `dy · W` for `[rows, out]` output gradients: `[rows, in]`.
    static func inputGradient(_ dy: [Float], weight: Weight, rows: Int) -> [Float] {
        let out = weight.shape[0], inp = weight.shape[1]
        precondition(dy.count == rows * out, "inputGradient: dy has \(dy.count) values for [\(rows), \(out)]")
        var dx = [Float](repeating: 0, count: rows * inp)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: min(blockRows, out) * inp)
        defer { scratch.deallocate() }
        dy.withUnsafeBufferPointer { dp in
            dx.withUnsafeMutableBufferPointer { xp in
                var n0 = 0
                while n0 < out {
                    let nb = min(blockRows, out - n0)
                    weight.widenRows(n0..<(n0 + nb), into: scratch)
                    Matmul.strided(dp.baseAddress! + n0, lda: out, transA: false, scratch, ldb: inp, transB: false,
                                   m: rows, n: inp, k: nb, alpha: 1, into: xp.baseAddress!, ldc: inp, accumulate: n0 > 0)
                    n0 += nb
                }
            }
        }
        return dx
    }
}

import LoomCore

extension TrainOps {
    /// RoPE in place, rotate-half layout (transformers' default): for each head the halves [a, b] become
    /// [a·c − b·s, b·c + a·s]. `x` is [rows, rowStride] with the heads in columns [0, heads·headDim); `cos` and
    /// `sin` are [rows, headDim/2].
    public static func rope(_ x: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, heads: Int, headDim: Int,
                            cos: [Float], sin: [Float]) {
        rotate(x, rows: rows, rowStride: rowStride, heads: heads, headDim: headDim, cos: cos, sin: sin, sign: 1)
    }

    /// Backward of ``rope(_:rows:rowStride:heads:headDim:cos:sin:)`` in place: turns dL/d(rotated) into
    /// dL/d(unrotated), the rotation by −θ.
    public static func ropeBackward(_ dx: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, heads: Int, headDim: Int,
                                    cos: [Float], sin: [Float]) {
        rotate(dx, rows: rows, rowStride: rowStride, heads: heads, headDim: headDim, cos: cos, sin: sin, sign: -1)
    }

    /// The rotation by `sign`·θ of every head's halves.
    private static func rotate(_ x: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, heads: Int, headDim: Int,
                               cos: [Float], sin: [Float], sign: Float) {
        let half = headDim / 2
        precondition(headDim % 2 == 0 && heads * headDim <= rowStride && cos.count == rows * half && sin.count == rows * half,
                     "rope: \(heads) heads of \(headDim) in rows of \(rowStride), tables of \(cos.count) and \(sin.count) for \(rows) rows")
        cos.withUnsafeBufferPointer { cp in sin.withUnsafeBufferPointer { sp in
            let cosines = cp.baseAddress!, sines = sp.baseAddress!
            Parallel.forEachChunk(rows, costPerItem: heads * headDim * 3) { range in
                for r in range {
                    let c = cosines + r * half, s = sines + r * half
                    for h in 0..<heads {
                        let a = x + r * rowStride + h * headDim, b = a + half
                        for i in 0..<half {
                            let ai = a[i], bi = b[i], si = sign * s[i]
                            a[i] = ai * c[i] - bi * si
                            b[i] = bi * c[i] + ai * si
                        }
                    }
                }
            }
        }}
    }
}

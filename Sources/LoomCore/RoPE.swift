import Foundation

/// Rotary position embedding in the rotate-half layout (`cat(-x2, x1)`), as transformers' default rope.
public struct RotaryEmbedding: Sendable {
    /// Per-head dimension the rotation covers.
    public let headDim: Int
    /// `1 / theta^(2i/d)` for `i` in `0..<d/2`, computed in f32 like transformers.
    public let inverseFrequencies: [Float]

    /// A rotation for heads of `headDim` with base `theta`.
    public init(headDim: Int, theta: Double) {
        precondition(headDim % 2 == 0, "RoPE: head dimension \(headDim) must be even")
        self.headDim = headDim
        let base = Float(theta)
        inverseFrequencies = (0..<(headDim / 2)).map { i in
            1 / powf(base, Float(2 * i) / Float(headDim))
        }
    }

    /// Cosines and sines of every position's angles, computed once for a forward pass and applied layer after layer.
    public struct Angles: Sendable {
        /// Positions covered, one per row.
        public let count: Int
        /// `[count, headDim / 2]` values of `cos(position · inverseFrequencies[i])`.
        let cosines: [Float]
        /// `[count, headDim / 2]` values of `sin(position · inverseFrequencies[i])`.
        let sines: [Float]
    }

    /// The angles of `positions`, in f32 like transformers (`position · inverse frequency`, then cos and sin).
    public func angles(for positions: [Int]) -> Angles {
        let half = headDim / 2
        var cosines = [Float](repeating: 0, count: positions.count * half)
        var sines = [Float](repeating: 0, count: positions.count * half)
        for (r, position) in positions.enumerated() {
            let p = Float(position)
            for i in 0..<half {
                let angle = p * inverseFrequencies[i]
                cosines[r * half + i] = cosf(angle)
                sines[r * half + i] = sinf(angle)
            }
        }
        return Angles(count: positions.count, cosines: cosines, sines: sines)
    }

    /// Rotates every head of every row of `x` (`[rows, heads * headDim]`); row `r` has position `positions[r]`.
    public func apply(_ x: inout Tensor, positions: [Int]) {
        let width = x.columns
        x.data.withUnsafeMutableBufferPointer { xp in
            apply(xp.baseAddress!, rowStride: width, width: width, angles: angles(for: positions))
        }
    }

    /// Rotates the heads in columns `[0, width)` of the rows at `base` (`rowStride` floats apart); row `r` takes
    /// the angles of `angles`' row `r` (e.g. the q and k parts of one stacked q/k/v product row).
    public func apply(_ base: UnsafeMutablePointer<Float>, rowStride: Int, width: Int, angles: Angles) {
        precondition(width % headDim == 0 && width <= rowStride, "RoPE: row width \(width) is not a multiple of \(headDim)")
        let heads = width / headDim
        let half = headDim / 2
        angles.cosines.withUnsafeBufferPointer { cp in
            angles.sines.withUnsafeBufferPointer { sp in
                let cosines = cp.baseAddress!, sines = sp.baseAddress!
                Parallel.forEachChunk(angles.count, costPerItem: width * 4) { range in
                    for r in range {
                        let c = cosines + r * half, s = sines + r * half
                        for h in 0..<heads {
                            let v = base + r * rowStride + h * headDim
                            for i in 0..<half {
                                let a = v[i], b = v[i + half]
                                v[i] = a * c[i] - b * s[i]
                                v[i + half] = b * c[i] + a * s[i]
                            }
                        }
                    }
                }
            }
        }
    }
}

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

    /// Rotates every head of every row of `x` (`[rows, heads * headDim]`); row `r` has position `positions[r]`.
    public func apply(_ x: inout Tensor, positions: [Int]) {
        let width = x.columns
        x.data.withUnsafeMutableBufferPointer { xp in
            apply(xp.baseAddress!, rowStride: width, width: width, positions: positions)
        }
    }

    /// Rotates the heads in columns `[0, width)` of the rows at `base` (`rowStride` floats apart); row `r` has
    /// position `positions[r]` (e.g. the q and k parts of one stacked q/k/v product row).
    public func apply(_ base: UnsafeMutablePointer<Float>, rowStride: Int, width: Int, positions: [Int]) {
        precondition(width % headDim == 0 && width <= rowStride, "RoPE: row width \(width) is not a multiple of \(headDim)")
        let heads = width / headDim
        let half = headDim / 2
        let inv = inverseFrequencies
        Parallel.forEachChunk(positions.count, costPerItem: width * 4) { range in
            var cosines = [Float](repeating: 0, count: half)
            var sines = [Float](repeating: 0, count: half)
            for r in range {
                let p = Float(positions[r])
                for i in 0..<half {
                    let angle = p * inv[i]
                    cosines[i] = cosf(angle)
                    sines[i] = sinf(angle)
                }
                for h in 0..<heads {
                    let v = base + r * rowStride + h * headDim
                    for i in 0..<half {
                        let a = v[i], b = v[i + half]
                        v[i] = a * cosines[i] - b * sines[i]
                        v[i + half] = b * cosines[i] + a * sines[i]
                    }
                }
            }
        }
    }
}

import CBLAS

/// Scaled dot-product attention over row-major buffers, tiled over queries so that no
/// `queries × keys` matrix larger than one tile is ever held; softmax in f32.
public enum Attention {
    /// Query rows per tile.
    public static let tileRows = 128

    /// Layout of one operand: a base pointer and the distance between consecutive rows (in floats).
    public struct Operand {
        public let base: UnsafePointer<Float>
        public let rowStride: Int
        public init(_ base: UnsafePointer<Float>, rowStride: Int) {
            self.base = base
            self.rowStride = rowStride
        }
    }

    /// Computes `softmax(q·kᵀ·scale [+ causal mask]) · v` for every head.
    ///
    /// - Parameters:
    ///   - queries: number of query rows; `keys`: number of key/value rows.
    ///   - heads / kvHeads: query heads and key-value heads (grouped-query attention when fewer).
    ///   - causalOffset: when non-nil, query row `i` sits at position `causalOffset + i` and sees keys `0...that`.
    ///   - out: `[queries, heads * headDim]` rows with stride `outStride`.
    public static func compute(q: Operand, k: Operand, v: Operand, out: UnsafeMutablePointer<Float>, outStride: Int,
                               queries: Int, keys: Int, heads: Int, kvHeads: Int, headDim: Int,
                               scale: Float, causalOffset: Int?) {
        precondition(heads % kvHeads == 0, "attention: \(heads) heads are not a multiple of \(kvHeads) kv heads")
        let group = heads / kvHeads
        let tile = tileRows
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: tile * keys)
        defer { scores.deallocate() }
        for h in 0..<heads {
            let kvh = h / group
            let qh = q.base + h * headDim
            let kh = k.base + kvh * headDim
            let vh = v.base + kvh * headDim
            var q0 = 0
            while q0 < queries {
                let rows = min(tile, queries - q0)
                let visible = causalOffset.map { min(keys, $0 + q0 + rows) } ?? keys
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(visible), Int32(headDim),
                            scale, qh + q0 * q.rowStride, Int32(q.rowStride), kh, Int32(k.rowStride),
                            0, scores, Int32(visible))
                let firstRow = q0
                Parallel.forEachChunk(rows, costPerItem: visible * 8) { range in
                    for r in range {
                        let row = scores + r * visible
                        var seen = visible
                        if let offset = causalOffset {
                            seen = min(visible, offset + firstRow + r + 1)
                            for j in seen..<visible { row[j] = 0 }
                        }
                        Ops.softmax(row, count: seen)
                    }
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(headDim), Int32(visible),
                            1, scores, Int32(visible), vh, Int32(v.rowStride),
                            0, out + q0 * outStride + h * headDim, Int32(outStride))
                q0 += rows
            }
        }
    }
}

/// Keys and values of past positions for one attention layer, stored token-major (`[tokens, kvHeads * headDim]`).
public final class KVCache {
    /// Width of one cached row (`kvHeads * headDim`).
    public let width: Int
    /// Tokens cached so far.
    public private(set) var length = 0
    private(set) var keys: [Float] = []
    private(set) var values: [Float] = []

    /// An empty cache for rows of `width` floats.
    public init(width: Int) { self.width = width }

    /// Appends `k` and `v` (each `[n, width]`).
    public func append(keys k: Tensor, values v: Tensor) {
        precondition(k.columns == width && v.columns == width && k.rows == v.rows, "KVCache: row shape mismatch")
        keys.append(contentsOf: k.data)
        values.append(contentsOf: v.data)
        length += k.rows
    }

    /// Drops every position at or after `newLength`.
    public func truncate(to newLength: Int) {
        precondition(newLength <= length, "KVCache: cannot grow by truncation")
        keys.removeLast((length - newLength) * width)
        values.removeLast((length - newLength) * width)
        length = newLength
    }

    /// Calls `body` with pointers to the cached keys and values.
    public func withBuffers<R>(_ body: (UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
        keys.withUnsafeBufferPointer { kp in
            values.withUnsafeBufferPointer { vp in body(kp.baseAddress!, vp.baseAddress!) }
        }
    }
}

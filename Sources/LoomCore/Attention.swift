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
    ///   - precision: `.f32` (the reference: BLAS products, f32 scores) or `.bf16` (``FlashAttention``: bf16 keys
    ///     and values, online softmax, no scores matrix).
    ///   - scratch: where the bf16 path packs keys and values (grown as needed; its heads and head size must be
    ///     `kvHeads` and `headDim`), so that callers attending layer after layer reuse one buffer; nil packs into a
    ///     buffer of this call's own.
    public static func compute(q: Operand, k: Operand, v: Operand, out: UnsafeMutablePointer<Float>, outStride: Int,
                               queries: Int, keys: Int, heads: Int, kvHeads: Int, headDim: Int,
                               scale: Float, causalOffset: Int?, precision: DType = .f32,
                               scratch: FlashAttention.PackedHeads? = nil) {
        precondition(heads % kvHeads == 0, "attention: \(heads) heads are not a multiple of \(kvHeads) kv heads")
        if precision == .bf16 && FlashAttention.supports(headDim: headDim) {
            let packed = scratch ?? FlashAttention.PackedHeads(kvHeads: kvHeads, headDim: headDim, capacity: keys)
            precondition(packed.kvHeads == kvHeads && packed.headDim == headDim,
                         "attention: scratch packs \(packed.kvHeads) heads of \(packed.headDim), needs \(kvHeads) of \(headDim)")
            packed.reserve(keys)
            packed.store(keys: k, values: v, at: 0, count: keys)
            FlashAttention.run(q: q, packed: packed, keys: keys, out: out, outStride: outStride, queries: queries,
                               heads: heads, scale: scale, causalOffset: causalOffset)
            return
        }
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


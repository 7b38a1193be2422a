import Foundation
import LoomCore

extension TrainOps {
    /// Query rows per block of attention work: a block's scores are [rowBlock, keys], never T × T for all heads.
    static let attentionRowBlock = 128

    /// Grouped-query attention: q [T, heads·d], k and v [T, kvHeads·d]; query head h reads kv head
    /// h / (heads / kvHeads). Causal: query i sees keys 0...i; otherwise all keys. Returns o [T, heads·d] and
    /// lse [heads, T] = log Σ exp(scaled scores) per query row.
    public static func attention(q: [Float], k: [Float], v: [Float], rows: Int, heads: Int, kvHeads: Int, headDim: Int,
                                 scale: Float, causal: Bool) -> (o: [Float], lse: [Float]) {
        let shape = AttentionShape(rows: rows, heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale, causal: causal)
        shape.check(q: q.count, kv: k.count, v.count)
        var o = [Float](repeating: 0, count: rows * heads * headDim), lse = [Float](repeating: 0, count: heads * rows)
        let p = UnsafeMutablePointer<Float>.allocate(capacity: min(attentionRowBlock, rows) * rows)
        defer { p.deallocate() }
        withPointers([q, k, v][...]) { inputs in
        o.withUnsafeMutableBufferPointer { ob in lse.withUnsafeMutableBufferPointer { lseb in
            let qp = inputs[0], kp = inputs[1], vp = inputs[2], op = ob.baseAddress!, lsep = lseb.baseAddress!
            shape.forEachBlock { h, g, block, keys in
                let offset = block.lowerBound * shape.qStride + h * headDim, lse = lsep + h * rows + block.lowerBound
                shape.scores(qp + offset, kp + g * headDim, block: block, keys: keys, into: p)
                Parallel.forEachChunk(block.count, costPerItem: keys * 8) { range in
                    for i in range {
                        let row = p + i * keys, visible = shape.visible(block.lowerBound + i, keys: keys)
                        lse[i] = Ops.softmax(row, count: visible)
                        (row + visible).update(repeating: 0, count: keys - visible)
                    }
                }
                Matmul.strided(p, lda: keys, transA: false, vp + g * headDim, ldb: shape.kvStride, transB: false,
                               m: block.count, n: headDim, k: keys, alpha: 1, into: op + offset, ldc: shape.qStride, accumulate: false)
            }
        }}}
        return (o, lse)
    }

    /// Flash-style backward of ``attention(q:k:v:rows:heads:kvHeads:headDim:scale:causal:)``: per head and block of
    /// query rows it recomputes P = exp(S − lse), then dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O)),
    /// dQ = scale·dS·K, dK += scale·dSᵀ·Q. Returns dq [T, heads·d], and dk and dv [T, kvHeads·d] summed over the
    /// query heads sharing a kv head.
    public static func attentionBackward(dO: [Float], q: [Float], k: [Float], v: [Float], o: [Float], lse: [Float], rows: Int,
                                         heads: Int, kvHeads: Int, headDim: Int, scale: Float, causal: Bool)
        -> (dq: [Float], dk: [Float], dv: [Float]) {
        let shape = AttentionShape(rows: rows, heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale, causal: causal)
        shape.check(q: q.count, kv: k.count, v.count)
        precondition(dO.count == q.count && o.count == q.count && lse.count == heads * rows, "attentionBackward: dO, o or lse sizes do not match")
        var dq = [Float](repeating: 0, count: q.count), dk = [Float](repeating: 0, count: k.count), dv = dk
        let blockRows = min(attentionRowBlock, rows)
        let p = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * rows), dp = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * rows)
        let rowDots = UnsafeMutablePointer<Float>.allocate(capacity: blockRows)
        defer { p.deallocate(); dp.deallocate(); rowDots.deallocate() }
        withPointers([dO, q, k, v, o, lse][...]) { inputs in
        dq.withUnsafeMutableBufferPointer { dqb in dk.withUnsafeMutableBufferPointer { dkb in dv.withUnsafeMutableBufferPointer { dvb in
            let dOp = inputs[0], qp = inputs[1], kp = inputs[2], vp = inputs[3], op = inputs[4], lsep = inputs[5]
            let dqp = dqb.baseAddress!, dkp = dkb.baseAddress!, dvp = dvb.baseAddress!
            shape.forEachBlock { h, g, block, keys in
                let offset = block.lowerBound * shape.qStride + h * headDim
                let queries = qp + offset, gradOut = dOp + offset, keyRows = kp + g * headDim, valueRows = vp + g * headDim
                let lse = lsep + h * rows + block.lowerBound
                shape.scores(queries, keyRows, block: block, keys: keys, into: p)
                Parallel.forEachChunk(block.count, costPerItem: keys * 4 + headDim * 2) { range in
                    for i in range {
                        let row = p + i * keys, visible = shape.visible(block.lowerBound + i, keys: keys)
                        for j in 0..<visible { row[j] = expf(row[j] - lse[i]) }
                        (row + visible).update(repeating: 0, count: keys - visible)
                        let out = op + offset + i * shape.qStride, grad = gradOut + i * shape.qStride
                        var dot: Float = 0
                        for c in 0..<headDim { dot += grad[c] * out[c] }
                        rowDots[i] = dot
                    }
                }
                Matmul.strided(p, lda: keys, transA: true, gradOut, ldb: shape.qStride, transB: false,
                               m: keys, n: headDim, k: block.count, alpha: 1, into: dvp + g * headDim, ldc: shape.kvStride, accumulate: true)
                Matmul.strided(gradOut, lda: shape.qStride, transA: false, valueRows, ldb: shape.kvStride, transB: true,
                               m: block.count, n: keys, k: headDim, alpha: 1, into: dp, ldc: keys, accumulate: false)
                Parallel.forEachChunk(block.count, costPerItem: keys * 2) { range in
                    for i in range {
                        let probabilities = p + i * keys, grad = dp + i * keys, dot = rowDots[i]
                        for j in 0..<keys { grad[j] = probabilities[j] * (grad[j] - dot) }
                    }
                }
                Matmul.strided(dp, lda: keys, transA: false, keyRows, ldb: shape.kvStride, transB: false,
                               m: block.count, n: headDim, k: keys, alpha: scale, into: dqp + offset, ldc: shape.qStride, accumulate: false)
                Matmul.strided(dp, lda: keys, transA: true, queries, ldb: shape.qStride, transB: false,
                               m: keys, n: headDim, k: block.count, alpha: scale, into: dkp + g * headDim, ldc: shape.kvStride, accumulate: true)
            }
        }}}}
        return (dq, dk, dv)
    }

    /// `body` with the base addresses of `arrays`, valid for its duration.
    private static func withPointers<R>(_ arrays: ArraySlice<[Float]>, _ body: ([UnsafePointer<Float>]) -> R) -> R {
        guard let first = arrays.first else { return body([]) }
        return first.withUnsafeBufferPointer { head in
            withPointers(arrays.dropFirst()) { rest in body([head.baseAddress!] + rest) }
        }
    }
}

/// The dimensions of one attention call and the block schedule its forward and backward share.
private struct AttentionShape {
    let rows: Int, heads: Int, kvHeads: Int, headDim: Int, scale: Float, causal: Bool
    var qStride: Int { heads * headDim }
    var kvStride: Int { kvHeads * headDim }

    func check(q: Int, kv k: Int, _ v: Int) {
        precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0, "attention: \(heads) query heads over \(kvHeads) kv heads")
        precondition(q == rows * qStride && k == rows * kvStride && v == k, "attention: q, k, v have \(q), \(k), \(v) values for \(rows) rows")
    }

    /// Calls `body(head, kvHead, queryRows, keys)` for each head and block of query rows in turn (no parallel region
    /// around it, so `body` may call BLAS); `keys` is the number of keys any row of the block sees.
    func forEachBlock(_ body: (Int, Int, Range<Int>, Int) -> Void) {
        let group = heads / kvHeads
        for h in 0..<heads {
            var start = 0
            while start < rows {
                let end = min(start + TrainOps.attentionRowBlock, rows)
                body(h, h / group, start..<end, causal ? end : rows)
                start = end
            }
        }
    }

    /// Keys query row `row` sees among the block's `keys`.
    func visible(_ row: Int, keys: Int) -> Int { causal ? row + 1 : keys }

    /// scores[block.count, keys] = scale · Q_block · K[0..<keys]ᵀ for one head (`queries` and `keyRows` point at the
    /// head's first column).
    func scores(_ queries: UnsafePointer<Float>, _ keyRows: UnsafePointer<Float>, block: Range<Int>, keys: Int,
                into scores: UnsafeMutablePointer<Float>) {
        Matmul.strided(queries, lda: qStride, transA: false, keyRows, ldb: kvStride, transB: true,
                       m: block.count, n: keys, k: headDim, alpha: scale, into: scores, ldc: keys, accumulate: false)
    }
}

/// Keys and values of past positions for one attention layer.
///
/// In f32 the rows are stored token-major (`[tokens, kvHeads * headDim]`) for the reference path; in bf16 they
/// are stored per head in ``FlashAttention``'s packed blocks, appended in place (capacity doubles as it fills).
public final class KVCache {
    /// Width of one cached row (`kvHeads * headDim`).
    public let width: Int
    /// Storage and attention precision (`.f32` or `.bf16`).
    public let precision: DType
    /// Tokens cached so far.
    public private(set) var length = 0
    private(set) var keys: [Float] = []
    private(set) var values: [Float] = []
    private var packed: FlashAttention.PackedHeads?
    private let kvHeads: Int

    /// An empty f32 cache for rows of `width` floats.
    public init(width: Int) {
        self.width = width
        self.precision = .f32
        self.kvHeads = 1
    }

    /// An empty cache of `kvHeads` heads of `headDim`, stored in `precision` (bf16 when the head size allows).
    public init(kvHeads: Int, headDim: Int, precision: DType) {
        self.width = kvHeads * headDim
        self.kvHeads = kvHeads
        let bf16 = precision == .bf16 && FlashAttention.supports(headDim: headDim)
        self.precision = bf16 ? .bf16 : .f32
        if bf16 { packed = FlashAttention.PackedHeads(kvHeads: kvHeads, headDim: headDim, capacity: 0) }
    }

    /// Appends `k` and `v` (each `[n, width]`).
    public func append(keys k: Tensor, values v: Tensor) {
        precondition(k.columns == width && v.columns == width && k.rows == v.rows, "KVCache: row shape mismatch")
        k.data.withUnsafeBufferPointer { kp in
            v.data.withUnsafeBufferPointer { vp in
                append(keys: .init(kp.baseAddress!, rowStride: width), values: .init(vp.baseAddress!, rowStride: width), count: k.rows)
            }
        }
    }

    /// Appends `count` rows of `width` keys and values read from strided operands (e.g. parts of a q/k/v row).
    public func append(keys k: Attention.Operand, values v: Attention.Operand, count: Int) {
        if let packed {
            packed.reserve(length + count)
            packed.store(keys: k, values: v, at: length, count: count)
        } else {
            for r in 0..<count {
                keys.append(contentsOf: UnsafeBufferPointer(start: k.base + r * k.rowStride, count: width))
                values.append(contentsOf: UnsafeBufferPointer(start: v.base + r * v.rowStride, count: width))
            }
        }
        length += count
    }

    /// Makes room for `positions` positions (bf16 caches allocate their packed blocks; f32 rows reserve capacity).
    public func reserve(_ positions: Int) {
        if let packed { packed.reserve(positions) } else {
            keys.reserveCapacity(positions * width)
            values.reserveCapacity(positions * width)
        }
    }

    /// Drops every position at or after `newLength`.
    public func truncate(to newLength: Int) {
        precondition(newLength <= length, "KVCache: cannot grow by truncation")
        if let packed {
            packed.clearTail(after: newLength)
        } else {
            keys.removeLast((length - newLength) * width)
            values.removeLast((length - newLength) * width)
        }
        length = newLength
    }

    /// Calls `body` with pointers to the cached keys and values (f32 caches only).
    public func withBuffers<R>(_ body: (UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
        precondition(packed == nil, "KVCache: a bf16 cache has no token-major f32 rows")
        return keys.withUnsafeBufferPointer { kp in
            values.withUnsafeBufferPointer { vp in body(kp.baseAddress!, vp.baseAddress!) }
        }
    }

    /// Causal attention of the last `rows` cached positions' queries (`q`: `rows` rows of `heads * headDim`) against
    /// every cached key; writes `[rows, heads * headDim]` to `out`.
    public func attend(q: Attention.Operand, rows: Int, heads: Int, headDim: Int, scale: Float, out: UnsafeMutablePointer<Float>) {
        let offset = length - rows
        let stride = heads * headDim
        if let packed {
            FlashAttention.run(q: q, packed: packed, keys: length, out: out, outStride: stride,
                               queries: rows, heads: heads, scale: scale, causalOffset: offset)
            return
        }
        withBuffers { kp, vp in
            Attention.compute(q: q, k: .init(kp, rowStride: width), v: .init(vp, rowStride: width),
                              out: out, outStride: stride, queries: rows, keys: length, heads: heads, kvHeads: kvHeads,
                              headDim: headDim, scale: scale, causalOffset: offset)
        }
    }
}

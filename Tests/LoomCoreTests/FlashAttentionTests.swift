import Testing
import LoomKernels
@testable import LoomCore

/// Direct f64 attention: `softmax(q·kᵀ·scale)·v` per head, query `i` at position `offset + i` when causal.
func referenceAttention(q: [Float], k: [Float], v: [Float], queries: Int, keys: Int, heads: Int, kvHeads: Int, d: Int,
                        causalOffset: Int?) -> [Double] {
    let scale = 1 / Double(d).squareRoot()
    var out = [Double](repeating: 0, count: queries * heads * d)
    for i in 0..<queries {
        for h in 0..<heads {
            let g = h / (heads / kvHeads)
            let visible = causalOffset.map { $0 + i + 1 } ?? keys
            let scores = (0..<visible).map { j in
                (0..<d).reduce(0.0) { $0 + Double(q[(i * heads + h) * d + $1]) * Double(k[(j * kvHeads + g) * d + $1]) } * scale
            }
            let m = scores.max()!
            let e = scores.map { Foundation.exp($0 - m) }
            let z = e.reduce(0, +)
            for c in 0..<d {
                out[(i * heads + h) * d + c] = (0..<visible).reduce(0.0) { $0 + e[$1] / z * Double(v[($1 * kvHeads + g) * d + c]) }
            }
        }
    }
    return out
}

import Foundation

/// `Attention.compute` in bf16 over row-major `q` (`heads` per row) and `k`, `v` (`kvHeads` per row).
func bf16Attention(q: [Float], k: [Float], v: [Float], queries: Int, keys: Int, heads: Int, kvHeads: Int, d: Int,
                   scale: Float, causalOffset: Int?, scratch: FlashAttention.PackedHeads? = nil) -> [Float] {
    var out = [Float](repeating: 0, count: queries * heads * d)
    q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
        out.withUnsafeMutableBufferPointer { op in
            Attention.compute(q: .init(qp.baseAddress!, rowStride: heads * d), k: .init(kp.baseAddress!, rowStride: kvHeads * d),
                              v: .init(vp.baseAddress!, rowStride: kvHeads * d), out: op.baseAddress!, outStride: heads * d,
                              queries: queries, keys: keys, heads: heads, kvHeads: kvHeads, headDim: d,
                              scale: scale, causalOffset: causalOffset, precision: .bf16, scratch: scratch)
        }
    }}}
    return out
}

@Suite struct FlashAttentionTests {
    /// bf16 attention (packed keys and values, online softmax over tiles of 64) against direct f64 attention, for
    /// SigLIP's head size 72 without a mask and Qwen's 64 (and the 7B's 128) with a causal mask past a cached prefix,
    /// grouped heads.
    @Test(arguments: [(72, 2, 2, false), (64, 4, 2, true), (16, 3, 1, true), (128, 2, 1, true)])
    func matchesDirectAttention(d: Int, heads: Int, kvHeads: Int, causal: Bool) {
        let past = causal ? 70 : 0, queries = 75, keys = past + queries
        let q = randomValues(queries * heads * d, seed: 31).map { $0 * 2 }
        let k = randomValues(keys * kvHeads * d, seed: 32).map { $0 * 2 }
        let v = randomValues(keys * kvHeads * d, seed: 33)
        let out = bf16Attention(q: q, k: k, v: v, queries: queries, keys: keys, heads: heads, kvHeads: kvHeads, d: d,
                                scale: 1 / Float(d).squareRoot(), causalOffset: causal ? past : nil)
        let expected = referenceAttention(q: q, k: k, v: v, queries: queries, keys: keys, heads: heads, kvHeads: kvHeads, d: d,
                                          causalOffset: causal ? past : nil)
        let maxError = zip(out, expected).map { abs(Double($0) - $1) }.max()!
        #expect(maxError < 0.02)
    }

    /// Calls that pack into one shared scratch (growing it, then attending over fewer keys than it last held) give
    /// exactly what calls packing into buffers of their own give.
    @Test func sharedScratchAttendsAsOwnBuffer() {
        let heads = 2, d = 72, queries = 9
        let scratch = FlashAttention.PackedHeads(kvHeads: heads, headDim: d, capacity: 16)
        func attend(keys: Int, seed: UInt64, scratch: FlashAttention.PackedHeads?) -> [Float] {
            let q = randomValues(queries * heads * d, seed: seed), k = randomValues(keys * heads * d, seed: seed + 1)
            let v = randomValues(keys * heads * d, seed: seed + 2)
            return bf16Attention(q: q, k: k, v: v, queries: queries, keys: keys, heads: heads, kvHeads: heads, d: d,
                                 scale: 0.1, causalOffset: nil, scratch: scratch)
        }
        for (keys, seed) in [(40, 51), (20, 54), (75, 57)] as [(Int, UInt64)] {
            #expect(attend(keys: keys, seed: seed, scratch: scratch) == attend(keys: keys, seed: seed, scratch: nil))
        }
        #expect(scratch.capacity >= 75)
    }

    /// A bf16 cache filled in pieces (prefill, then single tokens, across the 16-key blocks) attends exactly as
    /// one prefill of the same rows does, and truncation forgets the dropped positions.
    @Test func bf16CacheAppendsInPlace() {
        let heads = 2, d = 64, total = 37
        let k = Tensor(shape: [total, heads * d], data: randomValues(total * heads * d, seed: 41))
        let v = Tensor(shape: [total, heads * d], data: randomValues(total * heads * d, seed: 42))
        let q = randomValues(heads * d, seed: 43)
        func lastRow(_ cache: KVCache) -> [Float] {
            var out = [Float](repeating: 0, count: heads * d)
            q.withUnsafeBufferPointer { qp in out.withUnsafeMutableBufferPointer { op in
                cache.attend(q: .init(qp.baseAddress!, rowStride: heads * d), rows: 1, heads: heads, headDim: d, scale: 0.125, out: op.baseAddress!)
            }}
            return out
        }
        let whole = KVCache(kvHeads: heads, headDim: d, precision: .bf16)
        whole.append(keys: k, values: v)
        let pieces = KVCache(kvHeads: heads, headDim: d, precision: .bf16)
        pieces.append(keys: k.rows(0..<20), values: v.rows(0..<20))
        pieces.append(keys: Tensor(zeros: [5, heads * d]), values: Tensor(shape: [5, heads * d], data: [Float](repeating: 9, count: 5 * heads * d)))
        pieces.truncate(to: 20)
        for t in 20..<total { pieces.append(keys: k.rows(t..<(t + 1)), values: v.rows(t..<(t + 1))) }
        #expect(pieces.precision == .bf16 && pieces.length == total)
        #expect(lastRow(pieces) == lastRow(whole))
    }

    /// Keys packed sixteen at a time and values two at a time (AVX-512) hold the same bytes as rows packed one by
    /// one (the portable path), whatever the pieces' starts and lengths (SigLIP's head size 72, Qwen's 64).
    @Test(arguments: [72, 64])
    func blockPackingWritesWhatRowPackingWrites(d: Int) {
        let rows = 53, pieces = [(0, 1), (1, 16), (17, 15), (32, 21)]
        let k = randomValues(rows * 2 * d, seed: 61), v = randomValues(rows * 2 * d, seed: 62)
        func packedBytes(portable: Bool) -> [[UInt16]] {
            loom_force_portable_kernels(portable ? 1 : 0)
            defer { loom_force_portable_kernels(0) }
            let packed = FlashAttention.PackedHeads(kvHeads: 2, headDim: d, capacity: rows)
            k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
                for (first, count) in portable ? [(0, rows)] : pieces {
                    packed.store(keys: .init(kp.baseAddress! + first * 2 * d, rowStride: 2 * d),
                                 values: .init(vp.baseAddress! + first * 2 * d, rowStride: 2 * d), at: first, count: count)
                }
            }}
            let keyCount = loom_attention_keys_bytes(Int64(rows), Int32(d)) / 2
            let valueCount = loom_attention_values_bytes(Int64(rows), Int32(d)) / 2
            return (0..<2).flatMap { h in
                [Array(UnsafeBufferPointer(start: packed.keys(h), count: keyCount)),
                 Array(UnsafeBufferPointer(start: packed.values(h), count: valueCount))]
            }
        }
        let blocks = packedBytes(portable: false), rowByRow = packedBytes(portable: true)
        #expect(blocks == rowByRow)
        #expect(blocks[0].contains { $0 != 0 } && blocks[1].contains { $0 != 0 })
    }

    /// 12 000 causal positions: the kernel's memory is the packed keys and values (the size of a bf16 KV cache),
    /// far below a 12 000 × 12 000 f32 score matrix, and the last rows still attend correctly.
    @Test func twelveThousandTokensUseNoScoresMatrix() {
        let tokens = 12_000, d = 16, queries = 8
        let scratch = FlashAttention.scratchBytes(keys: tokens, kvHeads: 1, headDim: d)
        #expect(scratch == 2 * tokens * d * 2)
        #expect(scratch * 100 < tokens * tokens * 4)
        let packed = FlashAttention.PackedHeads(kvHeads: 1, headDim: d, capacity: tokens)
        #expect(packed.byteCount == scratch)
        let k = randomValues(tokens * d, seed: 51), v = randomValues(tokens * d, seed: 52), q = randomValues(queries * d, seed: 53)
        var out = [Float](repeating: 0, count: queries * d)
        k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            packed.store(keys: .init(kp.baseAddress!, rowStride: d), values: .init(vp.baseAddress!, rowStride: d), at: 0, count: tokens)
        }}
        q.withUnsafeBufferPointer { qp in out.withUnsafeMutableBufferPointer { op in
            FlashAttention.run(q: .init(qp.baseAddress!, rowStride: d), packed: packed, keys: tokens, out: op.baseAddress!,
                               outStride: d, queries: queries, heads: 1, scale: 0.25, causalOffset: tokens - queries)
        }}
        let expected = referenceAttention(q: q.map { $0 / 0.25 * 0.25 }, k: k, v: v, queries: queries, keys: tokens, heads: 1,
                                          kvHeads: 1, d: d, causalOffset: tokens - queries)
        #expect(zip(out, expected).map { abs(Double($0) - $1) }.max()! < 0.01)
    }
}

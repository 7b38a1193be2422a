import Foundation
import Testing
import LoomKernels
@testable import LoomCore

/// Deterministic pseudo-random values in [-1, 1).
func randomValues(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
    }
}

/// `x · wᵀ` in f64, the naive way.
func naiveLinear(_ x: [Float], rows m: Int, _ w: [Float], outFeatures n: Int, inFeatures k: Int) -> [Float] {
    (0..<(m * n)).map { idx in
        let r = idx / n, c = idx % n
        var s = 0.0
        for i in 0..<k { s += Double(x[r * k + i]) * Double(w[c * k + i]) }
        return Float(s)
    }
}

@Suite struct KernelTests {
    @Test(arguments: [DType.f32, .bf16, .f16], [1, 5, 300])
    func linearMatchesNaiveProduct(dtype: DType, rows: Int) {
        let k = 70, n = 300
        let x = randomValues(rows * k, seed: 1)
        let w = Weight(name: "w", shape: [n, k], values: randomValues(n * k, seed: 2), dtype: dtype)
        let bias = randomValues(n, seed: 3)
        let y = Linear.apply(Tensor(shape: [rows, k], data: x), w, bias: bias)
        var expected = naiveLinear(x, rows: rows, w.floats(), outFeatures: n, inFeatures: k)
        for r in 0..<rows { for c in 0..<n { expected[r * n + c] += bias[c] } }
        #expect(y.shape == [rows, n])
        let maxError = zip(y.data, expected).map { abs($0 - $1) }.max()!
        #expect(maxError < 1e-4)
    }

    @Test func bf16RoundsToNearestEven() {
        #expect(floatToBF16(1.0) == 0x3F80)
        #expect(bf16ToFloat(floatToBF16(3.140625)) == 3.140625)
        // 1 + 2^-8 is exactly halfway between two bf16 values: ties go to the even mantissa (1.0).
        #expect(floatToBF16(1 + 1.0 / 256) == 0x3F80)
        #expect(floatToBF16(1 + 3.0 / 256) == 0x3F82)
    }

    @Test func rmsNormMatchesDefinition() {
        let x = Tensor(shape: [2, 4], data: [1, 2, 3, 4, -1, 0, 0, 1])
        let y = Ops.rmsNorm(x, weight: [1, 2, 1, 0.5], eps: 1e-6)
        let s0 = 1 / (30.0 / 4 + 1e-6).squareRoot(), s1 = 1 / (2.0 / 4 + 1e-6).squareRoot()
        let expected: [Double] = [s0, 4 * s0, 3 * s0, 2 * s0, -s1, 0, 0, 0.5 * s1]
        for (a, b) in zip(y.data, expected) { #expect(abs(Double(a) - b) < 1e-6) }
    }

    @Test func layerNormMatchesDefinition() {
        let x = Tensor(shape: [1, 4], data: [1, 2, 3, 6])
        let y = Ops.layerNorm(x, weight: [1, 1, 2, 1], bias: [0, 1, 0, 0], eps: 1e-6)
        let mean = 3.0, variance = (4.0 + 1 + 0 + 9) / 4
        let expected = [1.0, 2, 3, 6].enumerated().map { i, v in
            (v - mean) / (variance + 1e-6).squareRoot() * [1.0, 1, 2, 1][i] + [0.0, 1, 0, 0][i]
        }
        for (a, b) in zip(y.data, expected) { #expect(abs(Double(a) - b) < 1e-5) }
    }

    /// Wide rows (Qwen's 1024, SigLIP's 1152, a ragged 37) against f64, and the portable kernels (what arm64 runs)
    /// giving exactly what the AVX-512 ones give.
    @Test(arguments: [1024, 1152, 37]) func normsOfWideRowsMatchF64AndPortablePath(width d: Int) {
        let rows = 3
        let x = Tensor(shape: [rows, d], data: randomValues(rows * d, seed: UInt64(d)).map { $0 * 4 + 0.5 })
        let w = randomValues(d, seed: 7), b = randomValues(d, seed: 8)
        func run() -> (rms: [Float], layer: [Float]) {
            (Ops.rmsNorm(x, weight: w, eps: 1e-6).data, Ops.layerNorm(x, weight: w, bias: b, eps: 1e-6).data)
        }
        let fast = run()
        loom_force_portable_kernels(1)
        let portable = run()
        loom_force_portable_kernels(0)
        #expect(fast.rms == portable.rms)
        #expect(fast.layer == portable.layer)
        for r in 0..<rows {
            let row = x.data[(r * d)..<((r + 1) * d)].map(Double.init)
            let mean = row.reduce(0, +) / Double(d)
            let meanSquare = row.reduce(0) { $0 + $1 * $1 } / Double(d)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)
            for i in 0..<d {
                let rms = row[i] / (meanSquare + 1e-6).squareRoot() * Double(w[i])
                let layer = (row[i] - mean) / (variance + 1e-6).squareRoot() * Double(w[i]) + Double(b[i])
                #expect(abs(Double(fast.rms[r * d + i]) - rms) < 2e-6)
                #expect(abs(Double(fast.layer[r * d + i]) - layer) < 2e-6)
            }
        }
    }

    @Test func geluVariants() {
        #expect(abs(Ops.geluErf(1) - 0.8413447) < 1e-6)
        #expect(abs(Ops.geluTanh(1) - 0.8411920) < 1e-6)
        #expect(Ops.geluErf(0) == 0)
    }

    @Test func ropeRotatesHalves() {
        let rope = RotaryEmbedding(headDim: 4, theta: 10_000)
        #expect(rope.inverseFrequencies == [1, 0.01])
        var x = Tensor(shape: [2, 4], data: [1, 2, 3, 4, 1, 2, 3, 4])
        rope.apply(&x, positions: [0, 1])
        #expect(Array(x.data[0..<4]) == [1, 2, 3, 4])
        let c0 = cos(1.0), s0 = sin(1.0), c1 = cos(0.01), s1 = sin(0.01)
        let expected = [1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 3 * c0 + 1 * s0, 4 * c1 + 2 * s1]
        for (a, b) in zip(x.data[4..<8], expected) { #expect(abs(Double(a) - b) < 1e-6) }
    }

    /// Causal grouped-query attention against a direct f64 computation, across several query tiles.
    @Test(arguments: [(4, 4), (4, 2), (4, 1)])
    func causalAttentionMatchesDirectComputation(heads: Int, kvHeads: Int) {
        let d = 8, past = 3, queries = Attention.tileRows + 7, keys = past + queries
        let q = randomValues(queries * heads * d, seed: 7)
        let k = randomValues(keys * kvHeads * d, seed: 8)
        let v = randomValues(keys * kvHeads * d, seed: 9)
        var out = [Float](repeating: 0, count: queries * heads * d)
        let scale = 1 / Float(d).squareRoot()
        q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            out.withUnsafeMutableBufferPointer { op in
                Attention.compute(q: .init(qp.baseAddress!, rowStride: heads * d), k: .init(kp.baseAddress!, rowStride: kvHeads * d),
                                  v: .init(vp.baseAddress!, rowStride: kvHeads * d), out: op.baseAddress!, outStride: heads * d,
                                  queries: queries, keys: keys, heads: heads, kvHeads: kvHeads, headDim: d,
                                  scale: scale, causalOffset: past)
            }
        }}}
        var maxError: Double = 0
        for i in 0..<queries {
            for h in 0..<heads {
                let g = h / (heads / kvHeads)
                let visible = past + i + 1
                let scores = (0..<visible).map { j in
                    (0..<d).reduce(0.0) { $0 + Double(q[(i * heads + h) * d + $1]) * Double(k[(j * kvHeads + g) * d + $1]) } * Double(scale)
                }
                let m = scores.max()!
                let e = scores.map { exp($0 - m) }
                let z = e.reduce(0, +)
                for c in 0..<d {
                    let expected = (0..<visible).reduce(0.0) { $0 + e[$1] / z * Double(v[($1 * kvHeads + g) * d + c]) }
                    maxError = max(maxError, abs(expected - Double(out[(i * heads + h) * d + c])))
                }
            }
        }
        #expect(maxError < 1e-5)
    }

    @Test func kvCacheAppendsAndTruncates() {
        let cache = KVCache(width: 2)
        cache.append(keys: Tensor(shape: [2, 2], data: [1, 2, 3, 4]), values: Tensor(shape: [2, 2], data: [5, 6, 7, 8]))
        cache.append(keys: Tensor(shape: [1, 2], data: [9, 10]), values: Tensor(shape: [1, 2], data: [11, 12]))
        #expect(cache.length == 3)
        cache.truncate(to: 1)
        #expect(cache.length == 1)
        let firstKey = cache.withBuffers { k, _ in [k[0], k[1]] }
        #expect(firstKey == [1, 2])
    }
}

/// Loom's thread pool and its large allocations.
@Suite struct ParallelTests {
    /// On the OpenMP pool (once oneDNN is in use) the work comes in four chunks per thread, claimed in turn; every
    /// index is visited exactly once, whichever thread takes which chunk.
    @Test func chunksCoverEveryIndexOnce() {
        _ = ComputeOptions.bf16.prepare(Weight(name: "w", shape: [64, 64], values: randomValues(64 * 64, seed: 1), dtype: .bf16))
        let count = 1_000
        let lock = NSLock()
        var ranges: [Range<Int>] = []
        Parallel.forEachChunk(count, costPerItem: 1_000) { range in
            lock.lock()
            ranges.append(range)
            lock.unlock()
        }
        let visited = ranges.flatMap { Array($0) }.sorted()
        #expect(visited == Array(0..<count))
        if Parallel.threadCount > 1 && Parallel.openMPAvailable && loom_onednn_ready() != 0 {
            #expect(ranges.count == Parallel.threadCount * Parallel.chunksPerThread)
        }
    }

    /// Buffers of 2 MiB or more start on a 2 MiB boundary (huge pages on Linux), smaller ones on 64 bytes; both
    /// hold what is written to their last byte.
    @Test(arguments: [100, 3 << 20])
    func largeBuffersAreAligned(bytes: Int) {
        let buffer = OwnedBuffer(byteCount: bytes)
        let address = Int(bitPattern: buffer.pointer)
        #expect(address % 64 == 0)
        #if os(Linux)
        if bytes >= 2 << 20 { #expect(address % (2 << 20) == 0) }
        #endif
        buffer.pointer.storeBytes(of: 0xAB, toByteOffset: bytes - 1, as: UInt8.self)
        #expect(buffer.pointer.load(fromByteOffset: bytes - 1, as: UInt8.self) == 0xAB)
    }
}

import Testing
import LoomTestSupport
import LoomKernels
@testable import LoomCore

/// bf16 (prepacked, oneDNN / AVX-512) and int8 / int4 products against the f64 product of the weights they hold.
@Suite struct ComputeModeTests {
    /// Shapes with a row length that is not a multiple of the 32-deep blocks and outputs that are not a multiple
    /// of 64 (as SigLIP's 4304).
    @Test(.enabled(if: Capabilities.packedBF16, Capabilities.packedBF16Reason), arguments: [1, 3, 130])
    func packedBF16MatchesProductOfRoundedInputs(rows: Int) throws {
        let k = 100, n = 150
        let x = randomValues(rows * k, seed: 11)
        let dense = Weight(name: "w", shape: [n, k], values: randomValues(n * k, seed: 12), dtype: .bf16)
        let prepared = ComputeOptions.bf16.prepare(dense)
        guard case .blockedBF16(let matrix)? = prepared.packed else { Issue.record("weight was not packed"); return }
        #expect(matrix.paddedColumns == 128)
        #expect(prepared.floats() == dense.floats())
        let bias = randomValues(n, seed: 13)
        let y = Linear.apply(Tensor(shape: [rows, k], data: x), prepared, bias: bias)
        let roundedX = x.map { bf16ToFloat(floatToBF16($0)) }
        var expected = naiveLinear(roundedX, rows: rows, dense.floats(), outFeatures: n, inFeatures: k)
        for r in 0..<rows { for c in 0..<n { expected[r * n + c] += bias[c] } }
        #expect(zip(y.data, expected).map { abs($0 - $1) }.max()! < 1e-4)
    }

    @Test(arguments: [ComputeOptions.WeightFormat.int8, .int4], [1, 7, 17])
    func quantizedProductMatchesDequantizedWeights(format: ComputeOptions.WeightFormat, rows: Int) throws {
        let k = 4304 / 8 + 2, n = 70
        let x = randomValues(rows * k, seed: 21)
        let dense = Weight(name: "w", shape: [n, k], values: randomValues(n * k, seed: 22))
        let prepared = ComputeOptions(dtype: .f32, weights: format).prepare(dense)
        guard case .quantized(let matrix, .f32)? = prepared.packed else { Issue.record("weight was not quantised"); return }
        #expect(matrix.paddedColumns == 544)
        let dequantized = prepared.floats()
        let worst = zip(dequantized, dense.floats()).map { abs($0 - $1) }.max()!
        #expect(worst <= (format == .int8 ? 1.0 / 254 : 1.0 / 14) * 1.01)
        let y = Linear.apply(Tensor(shape: [rows, k], data: x), prepared)
        // The row kernels (up to Linear.rowKernelLimit rows) meet each activation row quantised to int8 in the same
        // groups of 32 (integer dot products).
        let onRowKernels = rows <= Linear.rowKernelLimit
        let input = onRowKernels ? (0..<rows).flatMap { quantizedInGroups(Array(x[($0 * k)..<(($0 + 1) * k)])) } : x
        let expected = naiveLinear(input, rows: rows, dequantized, outFeatures: n, inFeatures: k)
        #expect(zip(y.data, expected).map { abs($0 - $1) }.max()! < 1e-4)
        if onRowKernels {
            // Outputs are about ±8 here; rounding x to int8 moves them by about 1% at most.
            let exact = naiveLinear(x, rows: rows, dequantized, outFeatures: n, inFeatures: k)
            #expect(zip(y.data, exact).map { abs($0 - $1) }.max()! < 0.1)
        }
    }

    /// bf16 packing reads parts in place when every part but the last ends on a whole 64-row block; other shapes
    /// stack a copy first. Either way the packed matrix holds the parts in order.
    @Test(.enabled(if: Capabilities.packedBF16, Capabilities.packedBF16Reason), arguments: [[64, 128], [128, 40], [40, 24]])
    func packedStackingHoldsThePartsInOrder(sizes: [Int]) {
        let k = 70
        let parts = sizes.enumerated().map { i, n in
            Weight(name: "p\(i)", shape: [n, k], values: randomValues(n * k, seed: 80 + UInt64(i)), dtype: .bf16)
        }
        let stacked = ComputeOptions.bf16.prepare(stacking: parts)
        guard case .blockedBF16(let matrix)? = stacked.packed else { Issue.record("not packed"); return }
        #expect(matrix.rows == sizes.reduce(0, +) && stacked.shape == [matrix.rows, k])
        #expect(stacked.floats() == parts.flatMap { $0.floats() })
    }

    /// More rows than the row kernels take against a quantised weight in bf16 mode: the weight dequantised and
    /// rounded to bf16, the activations rounded to bf16, f32 accumulation (oneDNN on a packed scratch).
    @Test(.enabled(if: Capabilities.packedBF16, Capabilities.packedBF16Reason), arguments: [ComputeOptions.WeightFormat.int8, .int4])
    func quantizedRowsInBF16MatchRoundedProduct(format: ComputeOptions.WeightFormat) throws {
        let k = 4304 / 8 + 2, n = 70, rows = Linear.rowKernelLimit + 1
        let x = randomValues(rows * k, seed: 23)
        let prepared = ComputeOptions(dtype: .bf16, weights: format).prepare(Weight(name: "w", shape: [n, k], values: randomValues(n * k, seed: 24)))
        let rounded = prepared.floats().map { bf16ToFloat(floatToBF16($0)) }
        for _ in 0..<2 {
            let y = Linear.apply(Tensor(shape: [rows, k], data: x), prepared)
            let expected = naiveLinear(x.map { bf16ToFloat(floatToBF16($0)) }, rows: rows, rounded, outFeatures: n, inFeatures: k)
            #expect(zip(y.data, expected).map { abs($0 - $1) }.max()! < 1e-3)
        }
    }

    /// An activation feeding a packed bf16 product writes the product's bf16 input itself: the same outputs as
    /// activating in f32 (vectorised) and letting the product round, for one row (the AVX-512 row kernel) and
    /// several (oneDNN), with row lengths that leave vector tails; against a dense f32 weight it is libm's f32.
    @Test(arguments: [Activation.swiglu, .geluTanh, .geluErf], [1, 5])
    func activationIntoPackedProductMatchesSeparateSteps(activation: Activation, rows: Int) {
        let k = 70, n = 40
        let columns = activation == .swiglu ? 2 * k : k
        let x = Tensor(shape: [rows, columns], data: randomValues(rows * columns, seed: 97).map { $0 * 3 })
        let dense = Weight(name: "w", shape: [n, k], values: randomValues(n * k, seed: 98), dtype: .bf16)
        let packed = ComputeOptions.bf16.prepare(dense)
        let bias = randomValues(n, seed: 99)
        let fused = Linear.apply(x, activation: activation, packed, bias: bias)
        let separate = Linear.apply(activation.applied(to: x, precision: .bf16), packed, bias: bias)
        #expect(fused.shape == [rows, n] && fused.data == separate.data)
        let reference = Linear.apply(x, activation: activation, ComputeOptions.f32.prepare(dense))
        let expected = Linear.apply(activation.applied(to: x, precision: .f32), ComputeOptions.f32.prepare(dense))
        #expect(reference.data == expected.data)
    }

    /// `x` rounded as the single-row kernels round it: int8 in groups of 32, scale max|x|/127 per group.
    func quantizedInGroups(_ x: [Float]) -> [Float] {
        stride(from: 0, to: x.count, by: 32).flatMap { start -> [Float] in
            let group = x[start..<min(start + 32, x.count)]
            let scale = group.map(abs).max()! / 127
            return group.map { scale > 0 ? ($0 * (1 / scale)).rounded(.toNearestOrEven) * scale : 0 }
        }
    }

    /// Stacked weights (q/k/v, gate/up as one product) hold the parts' rows in order, dense or quantised, and
    /// their product is the parts' products side by side.
    @Test(arguments: [nil, ComputeOptions.WeightFormat.int8, .int4])
    func stackedWeightsAreThePartsSideBySide(format: ComputeOptions.WeightFormat?) {
        let k = 70, sizes = [40, 24, 24]
        let parts = sizes.enumerated().map { i, n in
            Weight(name: "p\(i)", shape: [n, k], values: randomValues(n * k, seed: 60 + UInt64(i)), dtype: .bf16)
        }
        let options = ComputeOptions(dtype: .f32, weights: format)
        let prepared = parts.map { options.prepare($0) }
        let stacked = options.prepare(Weight.stacking(parts))
        let stackedOfPrepared = format == nil ? stacked : Weight.stacking(prepared)
        #expect(stacked.shape == [88, k] && stacked.name == "p0+p1+p2")
        #expect(stacked.floats() == prepared.flatMap { $0.floats() })
        #expect(stackedOfPrepared.floats() == stacked.floats())
        let x = Tensor(shape: [2, k], data: randomValues(2 * k, seed: 69))
        let together = Linear.apply(x, stacked)
        let separate = prepared.map { Linear.apply(x, $0) }
        for r in 0..<2 {
            #expect(Array(together.row(r)) == separate.flatMap { Array($0.row(r)) })
        }
    }
}

/// The portable C kernels (what arm64 runs) compute what the AVX-512 ones compute, on this machine: int8 / int4
/// single-row products, dequantisation into the packed bf16 layout, bf16 attention.
@Suite struct PortableKernelTests {
    @Test func portableDecodeAndAttentionKernelsMatchAVX512() {
        let k = 4304 / 8 + 2, n = 70
        let x = randomValues(k, seed: 91)
        let weights = [ComputeOptions.WeightFormat.int8, .int4].map {
            ComputeOptions(dtype: .f32, weights: $0).prepare(Weight(name: "w", shape: [n, k], values: randomValues(n * k, seed: 92)))
        }
        let rowsInBF16 = [ComputeOptions.WeightFormat.int8, .int4].map {
            ComputeOptions(dtype: .bf16, weights: $0).prepare(Weight(name: "w", shape: [n, k], values: randomValues(n * k, seed: 95)))
        }
        let xs = Tensor(shape: [3, k], data: randomValues(3 * k, seed: 96))
        let q = randomValues(40 * 64, seed: 93), kv = randomValues(90 * 64, seed: 94)
        func run() -> [[Float]] {
            var outputs = weights.map { Linear.apply(Tensor(shape: [1, k], data: x), $0).data }
                + rowsInBF16.map { Linear.apply(xs, $0).data }
            var attended = [Float](repeating: 0, count: 40 * 64)
            q.withUnsafeBufferPointer { qp in kv.withUnsafeBufferPointer { kp in attended.withUnsafeMutableBufferPointer { op in
                Attention.compute(q: .init(qp.baseAddress!, rowStride: 64), k: .init(kp.baseAddress!, rowStride: 64),
                                  v: .init(kp.baseAddress!, rowStride: 64), out: op.baseAddress!, outStride: 64, queries: 40, keys: 90,
                                  heads: 1, kvHeads: 1, headDim: 64, scale: 0.125, causalOffset: 50, precision: .bf16)
            }}}
            outputs.append(attended)
            return outputs
        }
        let fast = run()
        loom_force_portable_kernels(1)
        let portable = run()
        loom_force_portable_kernels(0)
        for (a, b) in zip(fast, portable) {
            #expect(a.count == b.count && zip(a, b).map { abs($0 - $1) }.max()! < 1e-3)
        }
    }
}

import Testing
import LoomKernels
import LoomTestSupport
@testable import LoomCore

/// Products of up to `Linear.rowKernelLimit` rows (a decode step over several sequences) on the row kernels: every
/// output row is bit for bit what that row gives alone, for any number of rows and any place among them, on the
/// AVX-512 and the portable path; and close to the f64 product of the weights as held (dequantised or bf16).
@Suite struct RowBatchTests {
    /// `[n, k]`: outputs not a multiple of 64, row lengths not a multiple of 32, of 64 or of 128.
    static let shapes: [[Int]] = [[70, 40], [130, 96], [200, 300]]

    /// Rows the tests draw batches from.
    static let pool = Linear.rowKernelLimit

    /// Where rows of batches of every size 1 … ``pool`` differ from the same rows computed alone by `product`
    /// (`rows` rows of `k` values in, `rows × n` out). Batch `start` holds pool rows `start, start + 1, …` (mod
    /// ``pool``), so each row takes every place in a batch of each size.
    static func rowsDifferingFromAlone(k: Int, n: Int, seed: UInt64, _ product: (_ x: [Float], _ rows: Int) -> [Float]) -> [String] {
        let x = randomValues(pool * k, seed: seed).map { $0 * 2 }
        let alone = (0..<pool).map { r in product(Array(x[(r * k)..<((r + 1) * k)]), 1) }
        var differing: [String] = []
        for m in 1...pool {
            for start in 0..<pool {
                let order = (0..<m).map { (start + $0) % pool }
                let y = product(order.flatMap { x[($0 * k)..<(($0 + 1) * k)] }, m)
                for (place, r) in order.enumerated() where y[(place * n)..<((place + 1) * n)].map(\.bitPattern) != alone[r].map(\.bitPattern) {
                    differing.append("row \(r) at place \(place) of \(m)")
                }
            }
        }
        return differing
    }

    /// Rows of `y` (`[rows, n]`) within 1% of the largest value of the same row of `expected`.
    static func expectClose(_ y: [Float], _ expected: [Float], n: Int) {
        for r in 0..<(expected.count / n) {
            let row = (r * n)..<((r + 1) * n)
            let largest = expected[row].map(abs).max()!
            #expect(zip(y[row], expected[row]).map { abs($0 - $1) }.max()! <= 1e-2 * largest)
        }
    }

    /// `body` with every kernel on this thread taking its portable C path when `portable`.
    static func onPath<R>(portable: Bool, _ body: () -> R) -> R {
        loom_force_portable_kernels(portable ? 1 : 0)
        defer { loom_force_portable_kernels(0) }
        return body()
    }

    /// int8 / int4 weights in either compute dtype through `Linear.apply`, with a bias.
    @Test(arguments: [ComputeOptions.WeightFormat.int8, .int4], [DType.f32, .bf16])
    func quantizedRowsAreTheirRowsAlone(format: ComputeOptions.WeightFormat, dtype: DType) {
        for (index, shape) in Self.shapes.enumerated() {
            let n = shape[0], k = shape[1], seed = UInt64(30 + index)
            let weight = ComputeOptions(dtype: dtype, weights: format)
                .prepare(Weight(name: "w", shape: [n, k], values: randomValues(n * k, seed: seed)))
            guard case .quantized = weight.packed else { Issue.record("weight was not quantised"); return }
            Self.expectRowsAlone(weight, reference: weight.floats(), seed: seed, label: "\(format) \(dtype)")
        }
    }

    /// Products of 1…16 rows through `weight` (with a bias) give every row what it gives alone, on the AVX-512 and the
    /// portable path, and 16 rows come close to the naive product of the `reference` values.
    static func expectRowsAlone(_ weight: Weight, reference: [Float], seed: UInt64, label: String) {
        let n = weight.shape[0], k = weight.shape[1]
        let bias = randomValues(n, seed: seed + 100)
        for portable in [false, true] {
            let differing = onPath(portable: portable) {
                rowsDifferingFromAlone(k: k, n: n, seed: seed + 200) { x, m in
                    Linear.apply(Tensor(shape: [m, k], data: x), weight, bias: bias).data
                }
            }
            #expect(differing.isEmpty, "\(label) [\(n), \(k)] portable: \(portable): \(differing.prefix(4))")
        }
        let m = Linear.rowKernelLimit
        let x = randomValues(m * k, seed: seed + 300)
        var expected = naiveLinear(x, rows: m, reference, outFeatures: n, inFeatures: k)
        for r in 0..<m { for j in 0..<n { expected[r * n + j] += bias[j] } }
        expectClose(Linear.apply(Tensor(shape: [m, k], data: x), weight, bias: bias).data, expected, n: n)
    }

    /// Packed bf16 weights through `Linear.apply` (oneDNN packs them), with a bias.
    @Test(.enabled(if: Capabilities.packedBF16, Capabilities.packedBF16Reason))
    func packedBF16RowsAreTheirRowsAlone() {
        for (index, shape) in Self.shapes.enumerated() {
            let n = shape[0], k = shape[1], seed = UInt64(50 + index)
            let dense = Weight(name: "w", shape: [n, k], values: randomValues(n * k, seed: seed), dtype: .bf16)
            let weight = ComputeOptions.bf16.prepare(dense)
            guard case .blockedBF16? = weight.packed else { Issue.record("weight was not packed"); return }
            Self.expectRowsAlone(weight, reference: dense.floats(), seed: seed, label: "bf16")
        }
    }

    /// The bf16 row kernel itself on a weight packed here in its documented layout (runs without oneDNN): each
    /// row of `loom_gemm_bf16_packed_rows`, with the column blocks split in two calls as threads split them, is
    /// what `loom_gemv_bf16_packed` gives for that row.
    @Test(arguments: [false, true])
    func bf16RowKernelRowsAreTheirRowsAlone(portable: Bool) {
        for (index, shape) in Self.shapes.enumerated() {
            let n = shape[0], k = shape[1], kp = (k + 31) / 32 * 32, blocks = (n + 63) / 64
            let weights = randomValues(n * k, seed: UInt64(70 + index)).map(floatToBF16)
            var packed = [UInt16](repeating: 0, count: blocks * 64 * kp)
            for row in 0..<n {
                for column in 0..<k {
                    packed[((row / 64) * (kp / 2) + column / 2) * 128 + (row % 64) * 2 + column % 2] = weights[row * k + column]
                }
            }
            /// `rows` bf16 rows (zero-padded to `kp`) times the packed weight.
            func product(_ x: [Float], rows m: Int) -> [Float] {
                var xb = [UInt16](repeating: 0, count: m * kp)
                for r in 0..<m { for i in 0..<k { xb[r * kp + i] = floatToBF16(x[r * k + i]) } }
                var y = [Float](repeating: .nan, count: m * n)
                packed.withUnsafeBufferPointer { w in
                    if m == 1 {
                        loom_gemv_bf16_packed(w.baseAddress!, Int64(kp), Int64(n), 0, Int64(blocks), xb, &y)
                        return
                    }
                    for range in [0..<(blocks / 2), (blocks / 2)..<blocks] {
                        loom_gemm_bf16_packed_rows(w.baseAddress!, Int64(kp), Int64(n), Int64(range.lowerBound),
                                                   Int64(range.upperBound), xb, Int64(kp), Int64(m), &y, Int64(n))
                    }
                }
                return y
            }
            let differing = Self.onPath(portable: portable) {
                Self.rowsDifferingFromAlone(k: k, n: n, seed: UInt64(80 + index)) { product($0, rows: $1) }
            }
            #expect(differing.isEmpty, "bf16 kernel [\(n), \(k)] portable: \(portable): \(differing.prefix(4))")
            let m = Linear.rowKernelLimit
            let x = randomValues(m * k, seed: UInt64(90 + index))
            let expected = naiveLinear(x, rows: m, weights.map(bf16ToFloat), outFeatures: n, inFeatures: k)
            Self.expectClose(Self.onPath(portable: portable) { product(x, rows: m) }, expected, n: n)
        }
    }
}

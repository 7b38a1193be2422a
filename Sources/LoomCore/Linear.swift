import CBLAS

/// Matrix products against stored weights: `y[M, N] = x[M, K] · Wᵀ (+ bias)` with `W` a `[N, K]` weight
/// (PyTorch `Linear` layout).
///
/// Paths by weight form: dense f32 → OpenBLAS; dense bf16/f16 → widened in row blocks, OpenBLAS (the f32
/// reference); prepacked bf16 → the AVX-512 bf16 row kernel (up to ``rowKernelLimit`` rows) or oneDNN (more
/// rows, fused bias); quantised → the int8/int4 row kernels (up to ``rowKernelLimit`` rows, either compute
/// dtype), or more rows through oneDNN on a bf16 scratch the weight is dequantised into (bf16 mode) or dequantised
/// row blocks through OpenBLAS (f32 mode).
///
/// Up to ``rowKernelLimit`` rows, every output row is bit for bit what that row gives alone (one row), whatever the
/// number of rows and the row's place among them, in every form: the row kernels for packed and quantised weights,
/// and one single-row product per row for dense ones (`sgemv`, or the widening row product), so that a decode step
/// over several sequences computes what each would alone.
public enum Linear {
    /// Most rows a product runs as single-row products (decode steps of up to this many sequences): packed bf16 and
    /// quantised weights on the row kernels, read once for all rows; every output row is bit for bit what that row
    /// gives alone.
    public static let rowKernelLimit = 16

    /// Rows of a non-f32 weight widened per block before each BLAS call.
    static let widenBlockRows = 256

    /// `x · Wᵀ + bias` for a `[M, K]` input. Up to ``rowKernelLimit`` rows, every output row is bit for bit what that
    /// row gives alone.
    public static func apply(_ x: Tensor, _ weight: Weight, bias: [Float]? = nil) -> Tensor {
        precondition(weight.shape.count == 2, "Linear: weight \(weight.name) must be 2-D, is \(weight.shape)")
        let k = weight.shape[1]
        let n = weight.shape[0]
        precondition(x.columns == k, "Linear: input has \(x.columns) features, weight \(weight.name) expects \(k)")
        let m = x.rows
        if case .blockedBF16(let matrix)? = weight.packed {
            return x.data.withUnsafeBufferPointer { xp in
                packedProduct(weight, rows: m, inputShape: x.shape, bias: bias) { bias, out in
                    matrix.multiply(xp.baseAddress!, rows: m, bias: bias, into: out)
                }
            }
        }
        var out = [Float](repeating: 0, count: m * n)
        x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                multiply(xp.baseAddress!, rows: m, weight, into: op.baseAddress!)
            }
        }
        if let bias {
            precondition(bias.count == n, "Linear: bias of \(weight.name) has \(bias.count) values, needs \(n)")
            addBias(&out, bias, rows: m)
        }
        return Tensor(shape: outputShape(x.shape, features: n), data: out)
    }

    /// `inputShape` with its last dimension replaced by the product's `features`.
    static func outputShape(_ inputShape: [Int], features: Int) -> [Int] {
        var shape = inputShape
        shape[shape.count - 1] = features
        return shape
    }

    /// `[rows, N]` outputs of a product through the packed bf16 `weight`, written by `multiply` given the bias
    /// (nil without one; checked to hold N values) and the output buffer.
    static func packedProduct(_ weight: Weight, rows m: Int, inputShape: [Int], bias: [Float]?,
                              _ multiply: (UnsafePointer<Float>?, UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        let n = weight.shape[0]
        if let bias { precondition(bias.count == n, "Linear: bias of \(weight.name) has \(bias.count) values, needs \(n)") }
        let out = [Float](unsafeUninitializedCapacity: m * n) { op, initialized in
            if let bias {
                bias.withUnsafeBufferPointer { multiply($0.baseAddress!, op.baseAddress!) }
            } else {
                multiply(nil, op.baseAddress!)
            }
            initialized = m * n
        }
        return Tensor(shape: outputShape(inputShape, features: n), data: out)
    }

    /// Writes `x · Wᵀ` (`[rows, N]`) into `out`. Up to ``rowKernelLimit`` rows, every output row is bit for bit what
    /// that row gives alone.
    public static func multiply(_ x: UnsafePointer<Float>, rows m: Int, _ weight: Weight, into out: UnsafeMutablePointer<Float>) {
        let n = weight.shape[0]
        let k = weight.shape[1]
        switch weight.packed {
        case .blockedBF16(let matrix)?:
            return matrix.multiply(x, rows: m, bias: nil, into: out)
        case .quantized(let matrix, _)? where m <= rowKernelLimit:
            return matrix.multiplyRows(x, rows: m, into: out)
        case .quantized(let matrix, .bf16)?:
            if matrix.multiplyBF16(x, rows: m, into: out) { return }
        default: break
        }
        if let w = weight.f32Pointer {
            if m <= rowKernelLimit {
                for r in 0..<m {
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, w, Int32(k), x + r * k, 1, 0, out + r * n, 1)
                }
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                            1, x, Int32(k), w, Int32(k), 0, out, Int32(n))
            }
            return
        }
        if m <= rowKernelLimit && weight.packed == nil {
            for r in 0..<m { rowTimesWidened(x + r * k, weight, into: out + r * n) }
            return
        }
        let block = widenBlockRows
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: block * k)
        defer { scratch.deallocate() }
        var n0 = 0
        while n0 < n {
            let nb = min(block, n - n0)
            widenParallel(weight, rows: n0..<(n0 + nb), into: scratch)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(nb), Int32(k),
                        1, x, Int32(k), scratch, Int32(k), 0, out + n0, Int32(n))
            n0 += nb
        }
    }

    /// Widens a block of weight rows using Loom's threads.
    static func widenParallel(_ weight: Weight, rows: Range<Int>, into scratch: UnsafeMutablePointer<Float>) {
        let k = weight.columns
        Parallel.forEachChunk(rows.count, costPerItem: k) { chunk in
            weight.widenRows((rows.lowerBound + chunk.lowerBound)..<(rows.lowerBound + chunk.upperBound),
                             into: scratch + chunk.lowerBound * k)
        }
    }

    /// Single-row product against a 16-bit weight, widening on the fly; rows split across threads.
    static func rowTimesWidened(_ x: UnsafePointer<Float>, _ weight: Weight, into out: UnsafeMutablePointer<Float>) {
        let n = weight.shape[0]
        let k = weight.shape[1]
        let base = weight.bytes.baseAddress!.assumingMemoryBound(to: UInt16.self)
        let isBF16 = weight.dtype == .bf16
        Parallel.forEachChunk(n, costPerItem: k) { range in
            for r in range {
                let row = base + r * k
                var acc0: Float = 0, acc1: Float = 0, acc2: Float = 0, acc3: Float = 0
                var i = 0
                if isBF16 {
                    while i + 4 <= k {
                        acc0 += x[i] * Float(bitPattern: UInt32(row[i]) << 16)
                        acc1 += x[i + 1] * Float(bitPattern: UInt32(row[i + 1]) << 16)
                        acc2 += x[i + 2] * Float(bitPattern: UInt32(row[i + 2]) << 16)
                        acc3 += x[i + 3] * Float(bitPattern: UInt32(row[i + 3]) << 16)
                        i += 4
                    }
                    while i < k { acc0 += x[i] * Float(bitPattern: UInt32(row[i]) << 16); i += 1 }
                } else {
                    while i < k { acc0 += x[i] * Float(Float16(bitPattern: row[i])); i += 1 }
                }
                out[r] = (acc0 + acc1) + (acc2 + acc3)
            }
        }
    }

    /// Adds `bias` to every row of a `[rows, bias.count]` buffer.
    public static func addBias(_ values: inout [Float], _ bias: [Float], rows: Int) {
        let n = bias.count
        values.withUnsafeMutableBufferPointer { vp in
            bias.withUnsafeBufferPointer { bp in
                for r in 0..<rows {
                    let row = vp.baseAddress! + r * n
                    for j in 0..<n { row[j] += bp[j] }
                }
            }
        }
    }
}

import LoomKernels

/// A `[rows, columns]` weight quantised in groups of 32 along each row (symmetric, one f16 scale per group),
/// rows zero-padded to a whole number of groups.
///
/// - int8: `q` is `[rows, paddedColumns]` signed bytes, `w ≈ q · scale`.
/// - int4: `q` is `[rows, paddedColumns / 2]` bytes; in each group of 32, byte `j` holds value `j` in its low
///   nibble and value `j + 16` in its high nibble, each stored as `q + 8` (`q ∈ [-7, 7]`).
public final class QuantizedMatrix: @unchecked Sendable {
    /// Bits per stored value.
    public enum Bits: Int, Sendable { case int8 = 8, int4 = 4 }

    /// Values per group (one scale each).
    public static let groupSize = Int(LOOM_QUANT_GROUP)

    public let bits: Bits
    public let rows: Int
    public let columns: Int
    /// `columns` rounded up to a multiple of ``groupSize``.
    public let paddedColumns: Int
    /// The quantised values (see the type's layout).
    public let values: UnsafeRawPointer
    /// `[rows, paddedColumns / 32]` f16 scales.
    public let scales: UnsafePointer<UInt16>
    private let owner: AnyObject

    /// Wraps stored quantised data kept alive by `owner` (a mapped file or a buffer).
    public init(bits: Bits, rows: Int, columns: Int, values: UnsafeRawPointer, scales: UnsafePointer<UInt16>, owner: AnyObject) {
        self.bits = bits
        self.rows = rows
        self.columns = columns
        self.paddedColumns = QuantizedMatrix.padded(columns)
        self.values = values
        self.scales = scales
        self.owner = owner
    }

    /// Quantises a dense weight (any stored dtype), rows in parallel.
    public convenience init(quantizing weight: Weight, bits: Bits) {
        precondition(weight.shape.count == 2, "quantize: \(weight.name) is not a matrix")
        let rows = weight.shape[0], k = weight.shape[1], kp = QuantizedMatrix.padded(k)
        let valueBytes = QuantizedMatrix.valueByteCount(bits: bits, rows: rows, columns: k)
        let buffer = OwnedBuffer(byteCount: valueBytes + rows * (kp / QuantizedMatrix.groupSize) * 2)
        let values = buffer.pointer, scales = (buffer.pointer + valueBytes).assumingMemoryBound(to: UInt16.self)
        Parallel.forEachChunk(rows, costPerItem: k * 4) { range in
            let block = 64
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: block * k)
            defer { scratch.deallocate() }
            var r = range.lowerBound
            while r < range.upperBound {
                let n = min(block, range.upperBound - r)
                weight.widenRows(r..<(r + n), into: scratch)
                let groupScales = scales + r * (kp / QuantizedMatrix.groupSize)
                switch bits {
                case .int8:
                    loom_quantize_q8(scratch, Int64(n), Int64(k), Int64(kp),
                                     (values + r * kp).assumingMemoryBound(to: Int8.self), groupScales)
                case .int4:
                    loom_quantize_q4(scratch, Int64(n), Int64(k), Int64(kp),
                                     (values + r * kp / 2).assumingMemoryBound(to: UInt8.self), groupScales)
                }
                r += n
            }
        }
        self.init(bits: bits, rows: rows, columns: k, values: UnsafeRawPointer(values), scales: UnsafePointer(scales), owner: buffer)
    }

    /// The rows of `parts` (one bit width and column count) stacked into one matrix (a copy).
    public convenience init(stacking parts: [QuantizedMatrix]) {
        let bits = parts[0].bits, columns = parts[0].columns, kp = QuantizedMatrix.padded(columns)
        precondition(parts.allSatisfy { $0.bits == bits && $0.columns == columns }, "QuantizedMatrix: parts differ in form")
        let rows = parts.reduce(0) { $0 + $1.rows }
        let valueBytes = QuantizedMatrix.valueByteCount(bits: bits, rows: rows, columns: columns)
        let scaleCount = kp / QuantizedMatrix.groupSize
        let buffer = OwnedBuffer(byteCount: valueBytes + rows * scaleCount * 2)
        let scales = (buffer.pointer + valueBytes).assumingMemoryBound(to: UInt16.self)
        var row = 0
        for part in parts {
            let bytes = QuantizedMatrix.valueByteCount(bits: bits, rows: part.rows, columns: columns)
            (buffer.pointer + QuantizedMatrix.valueByteCount(bits: bits, rows: row, columns: columns)).copyMemory(from: part.values, byteCount: bytes)
            (scales + row * scaleCount).update(from: part.scales, count: part.rows * scaleCount)
            row += part.rows
        }
        self.init(bits: bits, rows: rows, columns: columns, values: UnsafeRawPointer(buffer.pointer), scales: UnsafePointer(scales), owner: buffer)
    }

    /// The stored values and scales, as byte ranges.
    public var storage: [UnsafeRawBufferPointer] {
        [UnsafeRawBufferPointer(start: values, count: QuantizedMatrix.valueByteCount(bits: bits, rows: rows, columns: columns)),
         UnsafeRawBufferPointer(start: scales, count: rows * (paddedColumns / QuantizedMatrix.groupSize) * 2)]
    }

    /// `columns` rounded up to whole groups.
    public static func padded(_ columns: Int) -> Int { (columns + groupSize - 1) / groupSize * groupSize }

    /// Bytes of quantised values for a `[rows, columns]` weight.
    public static func valueByteCount(bits: Bits, rows: Int, columns: Int) -> Int {
        rows * padded(columns) * bits.rawValue / 8
    }

    /// Bytes of values plus scales.
    public var byteCount: Int { QuantizedMatrix.valueByteCount(bits: bits, rows: rows, columns: columns) + rows * (paddedColumns / QuantizedMatrix.groupSize) * 2 }

    /// Dequantises rows `range` into `out` (`range.count × columns` floats).
    public func widenRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        switch bits {
        case .int8:
            loom_dequantize_q8(values.assumingMemoryBound(to: Int8.self), scales, Int64(columns), Int64(paddedColumns),
                               Int64(range.lowerBound), Int64(range.upperBound), out)
        case .int4:
            loom_dequantize_q4(values.assumingMemoryBound(to: UInt8.self), scales, Int64(columns), Int64(paddedColumns),
                               Int64(range.lowerBound), Int64(range.upperBound), out)
        }
    }

    /// Multi-row product `out[m, rows] = x[m, columns] · Wᵀ` in bf16: the weight is dequantised into a pooled
    /// scratch in oneDNN's packed layout and multiplied there (activations rounded to bf16, f32 accumulation).
    /// Returns false when oneDNN is unavailable (callers take the f32 path).
    public func multiplyBF16(_ x: UnsafePointer<Float>, rows m: Int, into out: UnsafeMutablePointer<Float>) -> Bool {
        BlockedBF16Matrix.withScratch(rows: rows, columns: columns) { scratch in
            guard let scratch else { return false }
            scratch.fill(from: self)
            scratch.multiply(x, rows: m, bias: nil, into: out)
            return true
        }
    }

    /// Product of a few rows (decode) `out[m, rows] = x[m, columns] · Wᵀ`, `m` ≤ ``Linear/rowKernelLimit``:
    /// both threads stream disjoint weight rows, each read once for all `m` rows. Every row of `x` is quantised
    /// to int8 in the same groups of 32 (one f32 scale each) and every group's dot product is an integer one (as
    /// llama.cpp's q8_0 activations), scaled by both groups' scales. Every output row is bit for bit what that
    /// row gives alone (`m` = 1), whatever `m` and its place among the rows.
    public func multiplyRows(_ x: UnsafePointer<Float>, rows m: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(m <= Linear.rowKernelLimit, "QuantizedMatrix: \(m) rows is more than the row kernels take")
        let k = columns, kp = paddedColumns, n = rows, bitCount = Int32(bits.rawValue)
        let stride = loom_activation_bytes(bitCount, Int64(kp))
        let prepared = UnsafeMutableRawPointer.allocate(byteCount: max(m, 1) * stride, alignment: 64)
        defer { prepared.deallocate() }
        Parallel.forEachChunk(m, costPerItem: kp * 4) { range in
            for a in range { loom_prepare_activation(bitCount, x + a * k, Int64(k), Int64(kp), prepared + a * stride) }
        }
        let values = self.values, scales = self.scales, bits = self.bits
        Parallel.forEachChunk(rows, costPerItem: kp * m) { range in
            switch bits {
            case .int8:
                loom_gemm_q8_rows(values.assumingMemoryBound(to: Int8.self), scales, Int64(kp),
                                  Int64(range.lowerBound), Int64(range.upperBound), prepared, Int64(m), out, Int64(n))
            case .int4:
                loom_gemm_q4_rows(values.assumingMemoryBound(to: UInt8.self), scales, Int64(kp),
                                  Int64(range.lowerBound), Int64(range.upperBound), prepared, Int64(m), out, Int64(n))
            }
        }
    }

    /// Single-row product `out[rows] = W · x` (`x`: `columns` floats): ``multiplyRows(_:rows:into:)`` with one row.
    public func multiplyRow(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        multiplyRows(x, rows: 1, into: out)
    }
}

import Foundation
import LoomKernels

/// A `[rows, columns]` weight reordered once into oneDNN's blocked bf16 layout (`BA16a64b2a`): the only copy of
/// the weight kept in bf16 compute mode. Products of up to ``Linear/rowKernelLimit`` rows (decode) stream the
/// blocks with Loom's AVX-512 row kernel, every output row bit for bit what that row gives alone; larger products
/// run through oneDNN (f32 accumulation, fused bias).
public final class BlockedBF16Matrix: @unchecked Sendable {
    /// Output features (`N`).
    public let rows: Int
    /// Input features (`K`).
    public let columns: Int
    /// `columns` rounded up to the 32-deep reduction blocks.
    public let paddedColumns: Int
    private let handle: OpaquePointer
    private let data: UnsafePointer<UInt16>
    /// What keeps wrapped elements alive (a mapped checkpoint); nil when the elements were packed here.
    private let owner: AnyObject?

    /// Packs a dense f32 or bf16 `[rows, columns]` weight; nil when oneDNN is unavailable or picks another layout.
    public convenience init?(packing weight: Weight) {
        self.init(stacking: [weight])
    }

    /// Packs dense f32 or bf16 weights of one dtype and column count as one matrix stacked by rows, straight from
    /// each part's storage (no stacked copy); nil when a part other than the last ends inside a 64-row block, or
    /// when oneDNN is unavailable or picks another layout.
    public convenience init?(stacking parts: [Weight]) {
        guard let first = parts.first, parts.allSatisfy({
            $0.packed == nil && $0.shape.count == 2 && $0.columns == first.columns
                && ($0.dtype == .f32 || $0.dtype == .bf16) && $0.dtype == first.dtype && $0.bytes.baseAddress != nil
        }), parts.dropLast().allSatisfy({ $0.shape[0] % 64 == 0 }) else { return nil }
        self.init(rows: parts.reduce(0) { $0 + $1.shape[0] }, columns: first.columns)
        let isF32: Int32 = first.dtype == .f32 ? 1 : 0, rowBytes = columns * first.dtype.byteSize
        let handle = self.handle
        var firstRow = 0
        for part in parts {
            // loom_packed_fill reads row `r` of a block at `source + r · rowBytes`: shift the part's base by its first row.
            let source = part.bytes.baseAddress! - firstRow * rowBytes
            let begin = firstRow / 64, end = (firstRow + part.shape[0] + 63) / 64
            Parallel.forEachChunk(end - begin, costPerItem: 64 * columns) { range in
                loom_packed_fill(handle, source, isF32, Int64(begin + range.lowerBound), Int64(begin + range.upperBound))
            }
            firstRow += part.shape[0]
        }
    }

    /// An unfilled packed `[rows, columns]` weight (scratch for ``fill(from:)``); nil when oneDNN is unavailable.
    convenience init?(rows: Int, columns: Int) {
        guard let handle = loom_packed_create(Int64(rows), Int64(columns)) else { return nil }
        self.init(handle: handle, rows: rows, columns: columns, owner: nil)
    }

    /// A `[rows, columns]` weight over elements already in this layout (``storage`` of a packed matrix, e.g. read
    /// from a mapped checkpoint), kept alive by `owner` and never written; nil when their size is not
    /// ``expectedByteCount(rows:columns:)`` or oneDNN is unavailable or picks another layout on this CPU.
    public convenience init?(rows: Int, columns: Int, wrapping elements: UnsafeRawBufferPointer, owner: AnyObject) {
        guard let base = elements.baseAddress,
              let handle = loom_packed_wrap(Int64(rows), Int64(columns), base.assumingMemoryBound(to: UInt16.self), elements.count)
        else { return nil }
        self.init(handle: handle, rows: rows, columns: columns, owner: owner)
    }

    private init(handle: OpaquePointer, rows: Int, columns: Int, owner: AnyObject?) {
        self.handle = handle
        self.rows = rows
        self.columns = columns
        self.owner = owner
        paddedColumns = Int(loom_packed_k_padded(handle))
        data = loom_packed_data(handle)
    }

    /// Bytes a packed `[rows, columns]` weight holds: rows rounded up to 64, columns to 32, two bytes each.
    public static func expectedByteCount(rows: Int, columns: Int) -> Int {
        loom_packed_expected_bytes(Int64(rows), Int64(columns))
    }

    /// The packed elements (what ``init(rows:columns:wrapping:owner:)`` takes back).
    public var storage: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: data, count: byteCount) }

    /// Refills every block with a quantised matrix of the same shape, dequantised and rounded to bf16.
    func fill(from matrix: QuantizedMatrix) {
        precondition(matrix.rows == rows && matrix.columns == columns, "BlockedBF16Matrix: shape differs from the quantised matrix")
        let bits = Int32(matrix.bits.rawValue), values = matrix.values, scales = matrix.scales, q = Int64(matrix.paddedColumns)
        Parallel.forEachChunk(blockCount, costPerItem: 64 * columns) { blocks in
            loom_packed_fill_quantized(self.handle, bits, values, scales, q, Int64(blocks.lowerBound), Int64(blocks.upperBound))
        }
    }

    /// Packed scratch matrices by shape, reused by multi-row products against quantised weights.
    private static var scratch: [[Int]: [BlockedBF16Matrix]] = [:]
    private static let scratchLock = NSLock()

    /// Runs `body` with a scratch packed matrix of `rows × columns` (nil when oneDNN is unavailable); the matrix
    /// returns to the pool afterwards, so each shape is allocated once per concurrent use.
    static func withScratch<R>(rows: Int, columns: Int, _ body: (BlockedBF16Matrix?) -> R) -> R {
        let key = [rows, columns]
        let matrix = scratchLock.withLock { scratch[key]?.popLast() } ?? BlockedBF16Matrix(rows: rows, columns: columns)
        defer { if let matrix { scratchLock.withLock { scratch[key, default: []].append(matrix) } } }
        return body(matrix)
    }

    deinit { loom_packed_destroy(handle) }

    /// Bytes of packed storage.
    public var byteCount: Int { loom_packed_byte_count(handle) }

    /// Column blocks of 64 outputs.
    var blockCount: Int { (rows + 63) / 64 }

    /// Element `(row, column)` of the weight, as bf16 bits.
    @inline(__always)
    func element(_ row: Int, _ column: Int) -> UInt16 {
        let block = row / 64, pair = column / 2
        return data[(block * (paddedColumns / 2) + pair) * 128 + (row % 64) * 2 + column % 2]
    }

    /// Widens weight rows `range` (rows of the `[rows, columns]` view) into `out`.
    public func widenRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        for (i, r) in range.enumerated() {
            let target = out + i * columns
            for c in 0..<columns { target[c] = bf16ToFloat(element(r, c)) }
        }
    }

    /// `out[m, rows] = x[m, columns] · Wᵀ (+ bias)`; activations are rounded to bf16, accumulation is f32.
    /// Up to ``Linear/rowKernelLimit`` rows run on Loom's row kernel: every output row is bit for bit what that
    /// row gives alone (`m` = 1), whatever `m` and its place among the rows.
    public func multiply(_ x: UnsafePointer<Float>, rows m: Int, bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        let k = columns
        multiply(bf16Rows: m, bias: bias, into: out) { xb in
            Parallel.forEachChunk(m, costPerItem: k) { range in
                loom_f32_to_bf16(x + range.lowerBound * k, xb + range.lowerBound * k, range.count * k)
            }
        }
    }

    /// `out[m, rows] = x · Wᵀ (+ bias)` for `m` rows of bf16 activations that `fill` writes (`m × columns` values,
    /// row after row) into the buffer it is given; accumulation is f32.
    ///
    /// Up to ``Linear/rowKernelLimit`` rows (decode steps) run on Loom's AVX-512 row kernel, column blocks split
    /// across threads, each weight tile read once for all rows, the bias added afterwards: every output row is bit
    /// for bit what that row gives alone (`m` = 1), whatever `m` and its place among the rows. More rows go through
    /// oneDNN (fused bias).
    public func multiply(bf16Rows m: Int, bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>,
                         fill: (UnsafeMutablePointer<UInt16>) -> Void) {
        let k = columns
        if m <= Linear.rowKernelLimit {
            let kp = paddedColumns
            let xb = UnsafeMutablePointer<UInt16>.allocate(capacity: max(m, 1) * kp)
            defer { xb.deallocate() }
            fill(xb)
            BlockedBF16Matrix.padRows(xb, rows: m, from: k, to: kp)
            let n = rows, data = self.data
            Parallel.forEachChunk(blockCount, costPerItem: 64 * kp * m) { range in
                loom_gemm_bf16_packed_rows(data, Int64(kp), Int64(n), Int64(range.lowerBound), Int64(range.upperBound),
                                           xb, Int64(kp), Int64(m), out, Int64(n))
            }
            if let bias {
                for r in 0..<m {
                    let row = out + r * n
                    for j in 0..<n { row[j] += bias[j] }
                }
            }
            return
        }
        let xb = UnsafeMutablePointer<UInt16>.allocate(capacity: m * k)
        defer { xb.deallocate() }
        fill(xb)
        loom_onednn_set_threads(Int32(Parallel.threadCount))
        let status = loom_packed_matmul(handle, xb, Int64(m), bias, out)
        precondition(status == 0, "oneDNN matmul failed for a [\(m), \(k)] × [\(k), \(rows)] product")
    }

    /// Spreads `rows` rows of `length` values written one after another at `x` to rows `padded` apart, each
    /// zero-padded to `padded` values (in place: the buffer holds `rows × padded` values).
    static func padRows(_ x: UnsafeMutablePointer<UInt16>, rows: Int, from length: Int, to padded: Int) {
        for r in stride(from: rows - 1, through: 0, by: -1) {
            if r > 0 { memmove(x + r * padded, x + r * length, length * MemoryLayout<UInt16>.stride) }
            (x + r * padded + length).initialize(repeating: 0, count: padded - length)
        }
    }
}

import Foundation
import LoomKernels

/// A stored parameter tensor in its checkpoint dtype, usually a view into a memory-mapped file.
///
/// Weights are never converted as a whole unless a caller asks (``floats()``); kernels widen
/// rows to f32 where they compute.
public struct Weight: @unchecked Sendable {
    /// The tensor's name in the checkpoint.
    public let name: String
    /// Stored element type.
    public let dtype: DType
    /// Dimensions, outermost first (PyTorch order: a Linear weight is `[out, in]`).
    public let shape: [Int]
    /// The raw little-endian elements.
    public let bytes: UnsafeRawBufferPointer
    /// Keeps the memory behind `bytes` alive (a mapped file or a heap buffer).
    private let owner: AnyObject?
    /// The weight in a computing layout (prepacked bf16 blocks or group-quantised), replacing `bytes`
    /// (which are then empty); nil for a dense weight.
    public let packed: PackedWeight?

    /// A weight viewing `bytes`, kept alive by `owner`.
    public init(name: String, dtype: DType, shape: [Int], bytes: UnsafeRawBufferPointer, owner: AnyObject?) {
        precondition(bytes.count == shape.reduce(1, *) * dtype.byteSize, "Weight \(name): byte count does not match shape")
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
        self.owner = owner
        self.packed = nil
    }

    /// A `[rows, columns]` weight held only in a computing layout.
    public init(name: String, shape: [Int], packed: PackedWeight) {
        self.name = name
        self.dtype = packed.computeDType
        self.shape = shape
        self.bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        self.owner = nil
        self.packed = packed
    }

    /// A weight that owns a copy of `values`, stored as `dtype` (used for random and computed weights).
    public init(name: String, shape: [Int], values: [Float], dtype: DType = .f32) {
        precondition(shape.reduce(1, *) == values.count, "Weight \(name): shape does not match values")
        let buffer = OwnedBuffer(byteCount: values.count * dtype.byteSize)
        let raw = buffer.pointer
        switch dtype {
        case .f32:
            values.withUnsafeBytes { raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        case .bf16:
            let out = raw.bindMemory(to: UInt16.self, capacity: values.count)
            for i in values.indices { out[i] = floatToBF16(values[i]) }
        case .f16:
            let out = raw.bindMemory(to: UInt16.self, capacity: values.count)
            for i in values.indices { out[i] = Float16(values[i]).bitPattern }
        }
        self.init(name: name, dtype: dtype, shape: shape,
                  bytes: UnsafeRawBufferPointer(start: raw, count: buffer.byteCount), owner: buffer)
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Size of the last dimension.
    public var columns: Int { shape.last ?? 1 }

    /// Number of rows when seen as `[rows, columns]`.
    public var rows: Int { shape.isEmpty ? 1 : shape.dropLast().reduce(1, *) }

    /// Widens rows `range` (of the `[rows, columns]` view) into `out`, which holds `range.count * columns` floats.
    public func widenRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        switch packed {
        case .blockedBF16(let matrix)?: return matrix.widenRows(range, into: out)
        case .quantized(let matrix, _)?: return matrix.widenRows(range, into: out)
        case nil: break
        }
        let n = range.count * columns
        let start = range.lowerBound * columns
        switch dtype {
        case .f32:
            let src = bytes.baseAddress!.assumingMemoryBound(to: Float.self) + start
            out.update(from: src, count: n)
        case .bf16:
            let src = bytes.baseAddress!.assumingMemoryBound(to: UInt16.self) + start
            for i in 0..<n { out[i] = Float(bitPattern: UInt32(src[i]) << 16) }
        case .f16:
            let src = bytes.baseAddress!.assumingMemoryBound(to: Float16.self) + start
            for i in 0..<n { out[i] = Float(src[i]) }
        }
    }

    /// All elements widened to f32.
    public func floats() -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            widenRows(0..<rows, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// The weight as an f32 ``Tensor``.
    public func tensor() -> Tensor { Tensor(shape: shape, data: floats()) }

    /// f32 elements when stored as f32, without a copy; nil otherwise.
    public var f32Pointer: UnsafePointer<Float>? {
        dtype == .f32 && packed == nil ? bytes.baseAddress!.assumingMemoryBound(to: Float.self) : nil
    }
}

/// A 64-byte aligned heap allocation freed when the last reference goes.
public final class OwnedBuffer: @unchecked Sendable {
    /// Start of the allocation.
    public let pointer: UnsafeMutableRawPointer
    /// Size in bytes.
    public let byteCount: Int

    /// Allocates `byteCount` bytes, 64-byte aligned (large blocks on huge pages where the system offers them).
    public init(byteCount: Int) {
        guard let pointer = loom_large_allocate(byteCount) else { fatalError("OwnedBuffer: out of memory for \(byteCount) bytes") }
        self.byteCount = byteCount
        self.pointer = pointer
    }

    deinit { loom_large_free(pointer, byteCount) }
}

extension Weight {
    /// The same bytes seen with another shape of equal element count (e.g. a convolution kernel as a matrix).
    public func reshaped(_ newShape: [Int]) -> Weight {
        precondition(newShape.reduce(1, *) == count, "Weight \(name): cannot view \(shape) as \(newShape)")
        precondition(packed == nil || newShape == shape, "Weight \(name): a packed weight keeps its shape")
        if let packed { return Weight(name: name, shape: shape, packed: packed) }
        return Weight(name: name, dtype: dtype, shape: newShape, bytes: bytes, owner: owner)
    }
}

extension Weight {
    /// The rows of `parts` stacked into one `[Σ rows, columns]` weight (a copy), so that products sharing an input
    /// (q, k and v; gate and up) run as one. Parts are dense with one dtype, or quantised with one bit width.
    public static func stacking(_ parts: [Weight]) -> Weight {
        precondition(!parts.isEmpty, "Weight.stacking: no parts")
        let first = parts[0]
        let columns = first.columns
        let rows = parts.reduce(0) { $0 + $1.shape[0] }
        let name = stackedName(parts)
        precondition(parts.allSatisfy { $0.shape.count == 2 && $0.columns == columns },
                     "Weight.stacking: \(name) are not matrices of \(columns) columns")
        if case .quantized(_, let computeDType)? = first.packed {
            let matrices: [QuantizedMatrix] = parts.map {
                guard case .quantized(let matrix, _)? = $0.packed else { preconditionFailure("Weight.stacking: \(name) mixes forms") }
                return matrix
            }
            return Weight(name: name, shape: [rows, columns], packed: .quantized(QuantizedMatrix(stacking: matrices), computeDType: computeDType))
        }
        precondition(parts.allSatisfy { $0.packed == nil && $0.dtype == first.dtype }, "Weight.stacking: \(name) mixes forms or dtypes")
        let buffer = OwnedBuffer(byteCount: rows * columns * first.dtype.byteSize)
        var offset = 0
        for part in parts {
            (buffer.pointer + offset).copyMemory(from: part.bytes.baseAddress!, byteCount: part.bytes.count)
            offset += part.bytes.count
        }
        return Weight(name: name, dtype: first.dtype, shape: [rows, columns],
                      bytes: UnsafeRawBufferPointer(start: buffer.pointer, count: buffer.byteCount), owner: buffer)
    }

    /// The name of a stacked weight: its parts' names joined by `+`.
    static func stackedName(_ parts: [Weight]) -> String { stackedName(parts.map(\.name)) }

    /// The name of the weight stacking the matrices `names` (products sharing an input): the names joined by `+`.
    public static func stackedName(_ names: [String]) -> String { names.joined(separator: "+") }
}

/// A weight's computing layout when it is not the checkpoint's dense row-major form.
public enum PackedWeight: Sendable {
    /// Prepacked bf16 blocks for oneDNN and the bf16 decode kernel.
    case blockedBF16(BlockedBF16Matrix)
    /// Group-quantised values; activations computed in `computeDType`.
    case quantized(QuantizedMatrix, computeDType: DType)

    /// The precision activations are computed in around this weight (bf16 or f32).
    public var computeDType: DType {
        switch self {
        case .blockedBF16: return .bf16
        case .quantized(_, let dtype): return dtype
        }
    }
}

extension Weight {
    /// The precision activations meet this weight in: bf16 for bf16 compute mode, else f32.
    public var computeDType: DType { packed?.computeDType ?? .f32 }
}

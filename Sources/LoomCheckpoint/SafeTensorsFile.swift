import Foundation
import LoomCore

/// One `.safetensors` file, memory-mapped. The header is validated in full before any tensor is handed out:
/// header length, JSON, dtypes, shapes, and that every tensor's byte range is consistent with its shape
/// and lies inside the file.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Where a tensor lives inside the file.
    public struct Entry: Sendable {
        /// The dtype as the file names it (`F32`, `BF16`, `I64`, …).
        public let dtypeName: String
        /// The dtype when Loom computes with it; nil for integer and other types, which are validated but not loadable as weights.
        public let dtype: DType?
        public let shape: [Int]
        /// Byte range relative to the start of the data section.
        public let range: Range<Int>
    }

    /// Element sizes of every dtype the safetensors format defines.
    static let elementSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
    ]

    /// The file's path.
    public let path: String
    /// The file's name without its directory (what error messages cite).
    public var fileName: String { (path as NSString).lastPathComponent }
    /// Tensors by name.
    public let entries: [String: Entry]
    /// The `__metadata__` string map, if any.
    public let metadata: [String: String]
    private let file: MappedFile
    private let dataStart: Int

    /// Opens and validates `path`.
    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        let name = (path as NSString).lastPathComponent
        guard bytes.count >= 8 else {
            throw CheckpointError.invalidHeader(file: name, reason: "file is \(bytes.count) bytes, shorter than the 8-byte length prefix")
        }
        let headerLength = Int(bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian)
        guard headerLength > 0, headerLength <= 100_000_000, 8 + headerLength <= bytes.count else {
            throw CheckpointError.invalidHeader(file: name, reason: "header length \(headerLength) does not fit in a \(bytes.count)-byte file")
        }
        dataStart = 8 + headerLength
        let headerData = Data(bytes[8..<dataStart])
        guard let json = try? JSONSerialization.jsonObject(with: headerData), let header = json as? [String: Any] else {
            throw CheckpointError.invalidHeader(file: name, reason: "header is not a JSON object")
        }
        let dataLength = bytes.count - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (tensor, value) in header {
            if tensor == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let info = value as? [String: Any], let dtypeName = info["dtype"] as? String,
                  let shapeValues = info["shape"] as? [Any], let offsets = info["data_offsets"] as? [Any],
                  offsets.count == 2 else {
                throw CheckpointError.inconsistentTensor(file: name, tensor: tensor, reason: "entry needs dtype, shape and two data_offsets")
            }
            guard let elementSize = SafeTensorsFile.elementSizes[dtypeName] else {
                throw CheckpointError.unsupportedDType(file: name, tensor: tensor, dtype: dtypeName)
            }
            let shape = try shapeValues.map { v -> Int in
                guard let n = (v as? NSNumber)?.intValue, n >= 0 else {
                    throw CheckpointError.inconsistentTensor(file: name, tensor: tensor, reason: "shape \(shapeValues) has a negative or non-integer dimension")
                }
                return n
            }
            guard let begin = (offsets[0] as? NSNumber)?.intValue, let end = (offsets[1] as? NSNumber)?.intValue,
                  begin >= 0, end >= begin else {
                throw CheckpointError.inconsistentTensor(file: name, tensor: tensor, reason: "bad data_offsets \(offsets)")
            }
            let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            guard !overflow, elements * elementSize == end - begin else {
                throw CheckpointError.inconsistentTensor(file: name, tensor: tensor,
                    reason: "shape \(shape) of \(dtypeName) needs \(overflow ? -1 : elements * elementSize) bytes but data_offsets span \(end - begin)")
            }
            guard end <= dataLength else {
                throw CheckpointError.truncated(file: name, tensor: tensor, needed: end, available: dataLength)
            }
            entries[tensor] = Entry(dtypeName: dtypeName, dtype: DType(rawValue: dtypeName), shape: shape, range: begin..<end)
        }
        self.entries = entries
        self.metadata = metadata
    }

    /// The bytes of tensor `name` whatever its dtype (e.g. quantised integers), and the mapping that keeps them alive.
    public func rawTensor(_ name: String) -> (entry: Entry, bytes: UnsafeRawBufferPointer, owner: AnyObject)? {
        guard let entry = entries[name] else { return nil }
        let start = file.bytes.baseAddress.map { $0 + dataStart + entry.range.lowerBound }
        return (entry, UnsafeRawBufferPointer(start: start, count: entry.range.count), file)
    }

    /// The tensor `name` as a ``Weight`` viewing the mapping, or nil when absent; a tensor of a dtype Loom does
    /// not compute with (integers, f64, f8) is an error naming it.
    public func weight(_ name: String) throws -> Weight? {
        guard let entry = entries[name] else { return nil }
        guard let dtype = entry.dtype else {
            throw CheckpointError.unsupportedDType(file: fileName, tensor: name, dtype: entry.dtypeName)
        }
        let start = file.bytes.baseAddress.map { $0 + dataStart + entry.range.lowerBound }
        return Weight(name: name, dtype: dtype, shape: entry.shape,
                      bytes: UnsafeRawBufferPointer(start: start, count: entry.range.count), owner: file)
    }
}

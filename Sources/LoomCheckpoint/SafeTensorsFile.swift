import Foundation
import LoomCore

/// One `.safetensors` file, memory-mapped. The header is validated in full before any tensor is handed out:
/// header length, JSON, dtypes, shapes, and that every tensor's byte range is consistent with its shape
/// and lies inside the file.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Where a tensor lives inside the file.
    public struct Entry: Sendable {
        public let dtype: DType
        public let shape: [Int]
        /// Byte range relative to the start of the data section.
        public let range: Range<Int>
    }

    /// The file's path.
    public let path: String
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
            guard let dtype = DType(rawValue: dtypeName) else {
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
            guard !overflow, elements * dtype.byteSize == end - begin else {
                throw CheckpointError.inconsistentTensor(file: name, tensor: tensor,
                    reason: "shape \(shape) of \(dtypeName) needs \(overflow ? -1 : elements * dtype.byteSize) bytes but data_offsets span \(end - begin)")
            }
            guard end <= dataLength else {
                throw CheckpointError.truncated(file: name, tensor: tensor, needed: end, available: dataLength)
            }
            entries[tensor] = Entry(dtype: dtype, shape: shape, range: begin..<end)
        }
        self.entries = entries
        self.metadata = metadata
    }

    /// The tensor `name` as a ``Weight`` viewing the mapping, or nil when absent.
    public func weight(_ name: String) -> Weight? {
        guard let entry = entries[name] else { return nil }
        let start = file.bytes.baseAddress.map { $0 + dataStart + entry.range.lowerBound }
        return Weight(name: name, dtype: entry.dtype, shape: entry.shape,
                      bytes: UnsafeRawBufferPointer(start: start, count: entry.range.count), owner: file)
    }
}

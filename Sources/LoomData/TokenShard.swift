import Foundation
import LoomJSON

/// Loom's binary form of tokenised training data (`loom data tokenize --shard-out`), read by `loom train`.
/// All integers little-endian:
///
/// | bytes | content |
/// |---|---|
/// | 8 | magic `LOOMTOK1` |
/// | 8 | record count `n` (u64) |
/// | 8 | byte offset of the index (u64) |
/// | 8 | byte offset of the metadata (u64) |
/// | … | per record: `length` ids then `length` labels, each i32 (`-200` = image sentinel unless expanded, `-100` = ignored) |
/// | 16·n | index: per record its data offset (u64) and length (u64) |
/// | … | metadata: UTF-8 JSON `{"preset", "expanded", "image_token_id", "records": [{"sample_id", "images", "video"}…]}` to the end of the file |
public enum TokenShard {
    public static let magic = Array("LOOMTOK1".utf8)
    static let headerSize = 32
}

/// Writes a token shard record by record (the index and metadata are kept until `finish()`: 16 bytes plus the
/// record's media paths each).
public final class TokenShardWriter {
    private let file: OutputFile
    private var index: [(offset: UInt64, length: UInt64)] = []
    private var records: [JSONValue] = []
    private var metadata: JSONObject
    private var offset = UInt64(TokenShard.headerSize)

    public init(path: String, metadata: JSONObject) throws {
        guard path != "-" else { throw RecordError("a token shard cannot be written to standard output") }
        file = try OutputFile(path: path)
        self.metadata = metadata
        try file.write([UInt8](repeating: 0, count: TokenShard.headerSize))
    }

    /// Appends one record with the media it reads.
    public func append(_ record: TokenizedRecord, images: [String], video: String?) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(record.inputIDs.count * 8)
        for value in record.inputIDs + record.labels { Self.append(Int32(value), to: &bytes) }
        try file.write(bytes)
        index.append((offset, UInt64(record.inputIDs.count)))
        offset += UInt64(bytes.count)
        var entry = JSONObject(["sample_id": .string(record.sampleID), "images": .array(images.map(JSONValue.string))])
        if let video { entry.append("video", .string(video)) }
        records.append(.object(entry))
    }

    /// Writes the index and metadata and moves the file into place. The header is written last, through a
    /// second handle, once the offsets are known.
    public func finish() throws {
        var tail: [UInt8] = []
        for entry in index {
            Self.append(entry.offset, to: &tail)
            Self.append(entry.length, to: &tail)
        }
        let indexOffset = offset
        let metadataOffset = indexOffset + UInt64(tail.count)
        metadata.append("records", .array(records))
        tail += JSONWriter.bytes(.object(metadata))
        try file.write(tail)
        try file.finish()
        var header = TokenShard.magic
        Self.append(UInt64(index.count), to: &header)
        Self.append(indexOffset, to: &header)
        Self.append(metadataOffset, to: &header)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file.path))
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: header)
        try handle.close()
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

/// A token shard opened for reading (memory-mapped).
public struct TokenShardReader: Sendable {
    private let data: Data
    /// The number of records.
    public let count: Int
    private let indexOffset: Int
    /// The metadata object (preset, expansion, per-record sample ids and media).
    public let metadata: JSONObject

    public init(path: String) throws {
        data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        guard data.count >= TokenShard.headerSize, Array(data.prefix(8)) == TokenShard.magic else {
            throw RecordError("\(path): not a Loom token shard (no LOOMTOK1 header)")
        }
        let count = Self.read(UInt64.self, data, at: 8)
        let indexOffset = Self.read(UInt64.self, data, at: 16)
        let metadataOffset = Self.read(UInt64.self, data, at: 24)
        guard count < UInt64(data.count / 16), indexOffset <= metadataOffset, metadataOffset <= UInt64(data.count),
              indexOffset + count * 16 == metadataOffset else {
            throw RecordError("\(path): inconsistent token shard header")
        }
        self.count = Int(count)
        self.indexOffset = Int(indexOffset)
        let json = try JSONParser.parse(data.subdata(in: Int(metadataOffset)..<data.count))
        guard let object = json.objectValue else { throw RecordError("\(path): token shard metadata is not an object") }
        metadata = object
    }

    /// Record `position`'s ids and labels.
    public func record(_ position: Int) throws -> (inputIDs: [Int], labels: [Int]) {
        precondition(position >= 0 && position < count, "TokenShardReader.record: \(position) of \(count)")
        let offset = Int(Self.read(UInt64.self, data, at: indexOffset + 16 * position))
        let length = Int(Self.read(UInt64.self, data, at: indexOffset + 16 * position + 8))
        guard offset >= TokenShard.headerSize, length <= (indexOffset - offset) / 8 else {
            throw RecordError("token shard record \(position) lies outside the data")
        }
        let ids = (0..<length).map { Int(Self.read(Int32.self, data, at: offset + 4 * $0)) }
        let labels = (0..<length).map { Int(Self.read(Int32.self, data, at: offset + 4 * (length + $0))) }
        return (ids, labels)
    }

    static func read<T: FixedWidthInteger>(_ type: T.Type, _ data: Data, at offset: Int) -> T {
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { target in
            data.copyBytes(to: target.bindMemory(to: UInt8.self), from: (data.startIndex + offset)..<(data.startIndex + offset + MemoryLayout<T>.size))
        }
        return T(littleEndian: value)
    }
}

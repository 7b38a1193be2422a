import Foundation

/// One record of a training-data file, as raw bytes: its 0-based position in the file and its byte offset.
public struct RawRecord: Sendable {
    public let index: Int
    public let offset: Int
    public let bytes: [UInt8]
}

/// A data file that cannot be read on: where and why. `recordIndex` is the record the reader was in (or about to
/// start), so a truncated file is reported against the record it cuts.
public struct DataFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let offset: Int
    public let recordIndex: Int
    public let reason: String

    public var description: String { "\(path): byte \(offset), record \(recordIndex): \(reason)" }
}

/// Reads the records of a training-data file one at a time without loading the file: a top-level JSON array (the
/// M4-Instruct annotation file is one 1 GB array) or JSON Lines (one record per line), told apart by the first
/// character. Memory stays at one read buffer plus the record being read. Record syntax is not checked here
/// (`DataRecord` parses each record), only the array's structure: brackets, strings and separators.
public final class RecordStream {
    /// The largest record accepted (a bigger one is an error, not an allocation).
    public static let maximumRecordBytes = 256 << 20

    public let path: String
    /// The file's size in bytes.
    public let fileSize: Int
    /// Bytes consumed so far (for progress).
    public private(set) var bytesRead = 0

    private enum Phase { case start, beforeValue, inValue, afterValue, end, lines }
    private let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var bufferCount = 0
    private var bufferPosition = 0
    private var bufferOffset = 0
    private var phase = Phase.start
    private var recordIndex = 0
    private var recordOffset = 0
    private var record: [UInt8] = []
    private var brackets: [UInt8] = []
    private var inString = false
    private var escaped = false
    private var sawComma = false
    private var finished = false

    /// Opens `path` for reading.
    public init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw DataFileError(path: path, offset: 0, recordIndex: 0, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw DataFileError(path: path, offset: 0, recordIndex: 0, reason: "not a regular file")
        }
        fileSize = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// The next record, `nil` after the last; throws where the file's structure is broken (truncated, a missing
    /// separator, mismatched brackets), after which the stream is finished.
    public func next() throws -> RawRecord? {
        if finished { return nil }
        do {
            return try scan()
        } catch {
            finished = true
            throw error
        }
    }

    private func fail(_ reason: String) -> DataFileError {
        DataFileError(path: path, offset: bufferOffset + bufferPosition, recordIndex: recordIndex, reason: reason)
    }

    private func refill() throws -> Bool {
        bufferOffset += bufferCount
        bufferPosition = 0
        bufferCount = 0
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw fail("read failed: \(String(cString: strerror(errno)))") }
        bufferCount = count
        bytesRead += count
        return count > 0
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private func emit() -> RawRecord {
        let raw = RawRecord(index: recordIndex, offset: recordOffset, bytes: record)
        record.removeAll(keepingCapacity: true)
        recordIndex += 1
        return raw
    }

    private func append(_ byte: UInt8) throws {
        record.append(byte)
        if record.count > Self.maximumRecordBytes {
            throw fail("record larger than \(Self.maximumRecordBytes >> 20) MiB")
        }
    }

    // The state machine: one structural byte per iteration, record bytes a buffer's worth at a time.
    private func scan() throws -> RawRecord? {
        while true {
            if bufferPosition == bufferCount {
                guard try refill() else { return try endOfFile() }
            }
            let byte = buffer[bufferPosition]
            let here = bufferOffset + bufferPosition
            switch phase {
            case .start:
                bufferPosition += 1
                if here == 0 && byte == 0xEF { try skipByteOrderMark(); continue }
                if Self.isSpace(byte) { continue }
                if byte == UInt8(ascii: "[") { phase = .beforeValue; continue }
                phase = .lines
                recordOffset = here
                try append(byte)
            case .lines:
                if record.isEmpty { recordOffset = here }
                let end = buffer[bufferPosition..<bufferCount].firstIndex(of: 0x0A) ?? bufferCount
                record.append(contentsOf: buffer[bufferPosition..<end])
                if record.count > Self.maximumRecordBytes { throw fail("record larger than \(Self.maximumRecordBytes >> 20) MiB") }
                bufferPosition = end
                if end < bufferCount {
                    bufferPosition += 1
                    if record.contains(where: { !Self.isSpace($0) }) { return emit() }
                    record.removeAll(keepingCapacity: true)
                }
            case .beforeValue:
                if Self.isSpace(byte) { bufferPosition += 1; continue }
                if byte == UInt8(ascii: "]") {
                    if sawComma { throw fail("a ',' after the last record (trailing comma)") }
                    bufferPosition += 1
                    phase = .end
                    continue
                }
                if byte == UInt8(ascii: ",") { throw fail("an empty record (two ',' in a row)") }
                phase = .inValue
                recordOffset = here
                inString = false
                escaped = false
                brackets.removeAll()
            case .inValue:
                if let done = try scanValue() { return done }
            case .afterValue:
                bufferPosition += 1
                if Self.isSpace(byte) { continue }
                if byte == UInt8(ascii: ",") { sawComma = true; phase = .beforeValue; continue }
                if byte == UInt8(ascii: "]") { phase = .end; continue }
                throw fail("expected ',' or ']' after record \(recordIndex - 1), found '\(Character(Unicode.Scalar(byte)))'")
            case .end:
                bufferPosition += 1
                if !Self.isSpace(byte) { throw fail("unexpected data after the array's closing ']'") }
            }
        }
    }

    /// Scans record bytes from the read position to the record's end or the buffer's end, whichever comes first,
    /// copying them into the record in one piece; returns the record when it is complete.
    private func scanValue() throws -> RawRecord? {
        let start = bufferPosition
        var position = start
        var complete = false
        buffer.withUnsafeBufferPointer { bytes in
            scanning: while position < bufferCount {
                let byte = bytes[position]
                if inString {
                    position += 1
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                        inString = false
                        if brackets.isEmpty { complete = true; break scanning }
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    brackets.append(byte)
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if brackets.isEmpty { complete = true; break scanning }
                    let open = brackets.removeLast()
                    if (open == UInt8(ascii: "{")) != (byte == UInt8(ascii: "}")) { brackets.append(open); break scanning }
                    if brackets.isEmpty { position += 1; complete = true; break scanning }
                case UInt8(ascii: ","), 0x20, 0x0A, 0x0D, 0x09:
                    if brackets.isEmpty { complete = true; break scanning }
                default:
                    break
                }
                position += 1
            }
        }
        record.append(contentsOf: buffer[start..<position])
        bufferPosition = position
        if record.count > Self.maximumRecordBytes { throw fail("record larger than \(Self.maximumRecordBytes >> 20) MiB") }
        if complete {
            if record.isEmpty { throw fail("unexpected '\(Character(Unicode.Scalar(buffer[position])))'") }
            return finishValue()
        }
        if position < bufferCount {
            let byte = buffer[position]
            if byte == UInt8(ascii: "}") && brackets.isEmpty { throw fail("unexpected '}'") }
            throw fail("mismatched '\(Character(Unicode.Scalar(byte)))' (opened with '\(Character(Unicode.Scalar(brackets.last!)))')")
        }
        return nil
    }

    private func finishValue() -> RawRecord {
        phase = .afterValue
        sawComma = false
        return emit()
    }

    private func skipByteOrderMark() throws {
        for expected: UInt8 in [0xBB, 0xBF] {
            if bufferPosition == bufferCount { guard try refill() else { throw fail("a file holding only part of a byte-order mark") } }
            guard buffer[bufferPosition] == expected else { throw fail("not a JSON array or JSON Lines file") }
            bufferPosition += 1
        }
    }

    private func endOfFile() throws -> RawRecord? {
        switch phase {
        case .end:
            finished = true
            return nil
        case .lines:
            finished = true
            return record.contains(where: { !Self.isSpace($0) }) ? emit() : nil
        case .start:
            finished = true
            return nil
        case .inValue:
            throw fail("the file ends inside record \(recordIndex) (truncated JSON)")
        case .beforeValue, .afterValue:
            throw fail("the file ends before the array's closing ']' (truncated JSON)")
        }
    }
}

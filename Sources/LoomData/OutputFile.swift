import Foundation
import LoomJSON

/// A file written through a buffer into `NAME.partial` and renamed to its name by `finish()`, so that an
/// interrupted run never leaves a file that looks complete. `-` writes to standard output.
public final class OutputFile {
    public let path: String
    private let temporaryPath: String?
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var finished = false
    /// Bytes written so far.
    public private(set) var bytesWritten = 0

    public init(path: String) throws {
        self.path = path
        if path == "-" {
            temporaryPath = nil
            handle = FileHandle.standardOutput
        } else {
            let partial = path + ".partial"
            guard FileManager.default.createFile(atPath: partial, contents: nil) else {
                throw RecordError("cannot create \(partial)")
            }
            temporaryPath = partial
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
        }
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if !finished, let temporaryPath {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporaryPath)
        }
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        bytesWritten += bytes.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends text as UTF-8.
    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, closes and moves the file into place.
    public func finish() throws {
        try flush()
        finished = true
        guard let temporaryPath else { return }
        try handle.close()
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporaryPath, toPath: path)
    }
}

/// Writes records as one JSON array, one record per line (the M4-Instruct files' schema, streamable by
/// `RecordStream`); `loom data convert` writes with it, and so can generators of new data.
public final class RecordArrayWriter {
    private let file: OutputFile
    public private(set) var count = 0

    public init(path: String) throws {
        file = try OutputFile(path: path)
        try file.write("[")
    }

    /// Appends one record.
    public func append(_ record: DataRecord) throws {
        try file.write(count == 0 ? "\n" : ",\n")
        try file.write(JSONWriter.bytes(.object(record.json)))
        count += 1
    }

    /// Closes the array and moves the file into place.
    public func finish() throws {
        try file.write(count == 0 ? "]\n" : "\n]\n")
        try file.finish()
    }
}

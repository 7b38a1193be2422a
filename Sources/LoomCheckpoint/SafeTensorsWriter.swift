import Foundation
import LoomCore

/// Writes `.safetensors` files: an 8-byte header length, a JSON header sorted by name, then the data,
/// each tensor 8-byte aligned as the reference writer does.
public enum SafeTensorsWriter {
    /// Bytes handed to the file per write (tensors are streamed from where they lie, not gathered first).
    static let writeChunk = 64 << 20

    /// One tensor to write: its safetensors dtype name (`F32`, `I8`, …), shape and raw bytes.
    public struct Tensor {
        public let name: String
        public let dtypeName: String
        public let shape: [Int]
        public let bytes: UnsafeRawBufferPointer

        public init(name: String, dtypeName: String, shape: [Int], bytes: UnsafeRawBufferPointer) {
            self.name = name
            self.dtypeName = dtypeName
            self.shape = shape
            self.bytes = bytes
        }
    }

    /// Writes `weights` (dense, in their stored dtypes) to `url`, with optional `__metadata__`.
    public static func write(_ weights: [Weight], to url: URL, metadata: [String: String] = [:]) throws {
        try write(weights.map { Tensor(name: $0.name, dtypeName: $0.dtype.rawValue, shape: $0.shape, bytes: $0.bytes) },
                  to: url, metadata: metadata)
    }

    /// Writes raw `tensors` to `url`, with optional `__metadata__`. With an `alignment` above 8 the header is
    /// padded so that the data starts on a multiple of it and the tensors whose sizes are multiples of it come
    /// first, so each of those starts aligned in the file (and in a mapping of it); the data has no gaps.
    public static func write(_ tensors: [Tensor], to url: URL, metadata: [String: String] = [:], alignment: Int = 8) throws {
        let byName = tensors.sorted { $0.name < $1.name }
        let sorted = byName.filter { $0.bytes.count % alignment == 0 } + byName.filter { $0.bytes.count % alignment != 0 }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for w in sorted {
            header[w.name] = ["dtype": w.dtypeName, "shape": w.shape, "data_offsets": [offset, offset + w.bytes.count]]
            offset += w.bytes.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % max(alignment, 8) != 0 { json.append(0x20) }
        var head = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { head.append(contentsOf: $0) }
        head.append(json)
        do {
            guard FileManager.default.createFile(atPath: url.path, contents: head) else {
                throw CheckpointError.unreadableFile(url.path, reason: "cannot create the file")
            }
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            for w in sorted {
                var start = 0
                while start < w.bytes.count, let base = w.bytes.baseAddress {
                    let count = min(writeChunk, w.bytes.count - start)
                    try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base + start), count: count,
                                                      deallocator: .none))
                    start += count
                }
            }
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.unreadableFile(url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}

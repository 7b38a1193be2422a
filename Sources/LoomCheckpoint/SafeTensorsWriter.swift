import Foundation
import LoomCore

/// Writes `.safetensors` files: an 8-byte header length, a JSON header sorted by name, then the data,
/// each tensor 8-byte aligned as the reference writer does.
public enum SafeTensorsWriter {
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

    /// Writes raw `tensors` to `url`, with optional `__metadata__`.
    public static func write(_ tensors: [Tensor], to url: URL, metadata: [String: String] = [:]) throws {
        let sorted = tensors.sorted { $0.name < $1.name }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for w in sorted {
            header[w.name] = ["dtype": w.dtypeName, "shape": w.shape, "data_offsets": [offset, offset + w.bytes.count]]
            offset += w.bytes.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data()
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for w in sorted where w.bytes.count > 0 { out.append(contentsOf: w.bytes) }
        do { try out.write(to: url) } catch {
            throw CheckpointError.unreadableFile(url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}

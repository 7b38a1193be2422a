import Foundation

/// NumPy's `.npy` format, version 1.0, for f32 tensors: what `numpy.save` writes for a C-ordered `<f4` array.
public enum NPY {
    /// The file bytes for `tensor`, identical to NumPy's: magic, version 1.0, the header dict, spaces (NumPy leaves
    /// room for the first dimension to grow to 21 digits, then pads to a multiple of 64 bytes) and a newline, then
    /// the elements as little-endian float32 in row-major order.
    public static func encode(_ tensor: Tensor) -> Data {
        let dims = tensor.shape.map(String.init)
        let shape = dims.count == 1 ? "(\(dims[0]),)" : "(\(dims.joined(separator: ", ")))"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        if let outer = dims.first { header += String(repeating: " ", count: max(0, 21 - outer.count)) }
        let preamble = 10  // magic (6) + version (2) + header length (2)
        let padded = (preamble + header.utf8.count + 1 + 63) / 64 * 64
        header += String(repeating: " ", count: padded - preamble - header.utf8.count - 1) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.reserveCapacity(data.count + tensor.count * 4)
        for value in tensor.data {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Writes `tensor` to `url` as a `.npy` file (replacing it).
    public static func write(_ tensor: Tensor, to url: URL) throws {
        try encode(tensor).write(to: url, options: .atomic)
    }
}

import Foundation
import LoomCore
import Testing

@Suite("NPY writes what numpy.save writes")
struct NPYTests {
    @Test("header and data match numpy 2's bytes for a [2, 3] float32 array")
    func matchesNumpy() throws {
        let tensor = Tensor(shape: [2, 3], data: [0, 1, -2.5, 0.1, 1e-8, 3.4e38])
        let data = NPY.encode(tensor)
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        let padding = String(repeating: " ", count: 128 - 10 - header.utf8.count - 1)
        // np.save(f, np.array([[0, 1, -2.5], [0.1, 1e-8, 3.4e38]], np.float32)) starts with exactly these bytes.
        #expect(Array(data.prefix(10)) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 118, 0])
        #expect(String(decoding: data[10..<128], as: UTF8.self) == header + padding + "\n")
        #expect(data.count == 128 + 6 * 4)
        let values = (0..<6).map { i in
            Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[128 + 4 * i + $1]) << (8 * $1) })
        }
        #expect(values == tensor.data)
    }

    @Test("one-dimensional shapes get a trailing comma; file writing round-trips")
    func vectorAndFile() throws {
        let tensor = Tensor(shape: [4], data: [1, 2, 3, 4])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-npy-\(UUID()).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try NPY.write(tensor, to: url)
        let data = try Data(contentsOf: url)
        #expect(data == NPY.encode(tensor))
        // np.save(f, np.array([1, 2, 3, 4], np.float32)): a 118-byte header, as for any small shape.
        #expect(Array(data.prefix(10)) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 118, 0])
        #expect(String(decoding: data[10..<128], as: UTF8.self).hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }  "))
        #expect(data[127] == 0x0A)
        #expect(data.count == 128 + 16)
    }
}

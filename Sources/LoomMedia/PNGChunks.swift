/// The checks Pillow's PNG plugin makes before the image data: the IHDR size, and the CRC of every chunk up to
/// the first IDAT (Pillow checks none from IDAT on; libpng is told to skip those).
enum PNGChunks {
    private static let signatureLength = 8

    /// Width and height from the IHDR chunk, which must come first.
    static func size(_ bytes: UnsafeRawBufferPointer) throws -> (width: Int, height: Int) {
        guard bytes.count >= signatureLength + 8 + 13 else {
            throw DecodeFailure(.truncated, "PNG ends inside its IHDR header")
        }
        guard readUInt32(bytes, at: 8) == 13, chunkType(bytes, at: 12) == "IHDR" else {
            throw DecodeFailure(.corrupt, "PNG does not start with a 13-byte IHDR chunk")
        }
        return (Int(readUInt32(bytes, at: 16)), Int(readUInt32(bytes, at: 20)))
    }

    /// Verifies the CRC of each chunk before the first IDAT.
    static func verifyHeaderChunks(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = signatureLength
        while true {
            guard offset + 8 <= bytes.count else {
                throw DecodeFailure(.truncated, "PNG ends before its image data (IDAT)")
            }
            let length = Int(readUInt32(bytes, at: offset))
            let type = chunkType(bytes, at: offset + 4)
            if type == "IDAT" { return }
            guard length <= bytes.count - offset - 12 else {
                throw DecodeFailure(.truncated, "PNG ends inside its \(type) chunk")
            }
            let stored = readUInt32(bytes, at: offset + 8 + length)
            let computed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 8 + length)]))
            guard stored == computed else {
                throw DecodeFailure(.corrupt, "PNG chunk \(type) has a bad CRC")
            }
            if type == "IEND" {
                throw DecodeFailure(.corrupt, "PNG has no image data (IEND before IDAT)")
            }
            offset += 12 + length
        }
    }

    private static func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }

    private static func chunkType(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> String {
        String(decoding: bytes[offset..<(offset + 4)].map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") },
               as: UTF8.self)
    }
}

/// CRC-32 (IEEE, reflected, as zlib and PNG use it).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }

    /// The CRC of `bytes`.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { crc, byte in table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    }
}

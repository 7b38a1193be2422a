/// GPT-2's reversible byte ↔ character mapping (`bytes_to_unicode`): byte-level BPE vocabularies spell every byte
/// as one printable character (e.g. space 0x20 is "Ġ", newline 0x0A is "Ċ").
enum ByteLevel {
    /// The character spelling each byte.
    static let scalarForByte: [Unicode.Scalar] = {
        var scalars = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(byte) {
                scalars[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                scalars[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return scalars
    }()

    /// The byte each character stands for, indexed by scalar value (`-1` for characters outside the mapping).
    static let byteForScalar: [Int16] = {
        var bytes = [Int16](repeating: -1, count: 256 + 68)
        for (byte, scalar) in scalarForByte.enumerated() { bytes[Int(scalar.value)] = Int16(byte) }
        return bytes
    }()

    /// Bytes that GPT-2 keeps as themselves: `!`…`~`, `¡`…`¬`, `®`…`ÿ`.
    private static func isPrintable(_ byte: Int) -> Bool {
        (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
    }

    /// The byte-level spelling of `bytes`.
    static func string(from bytes: some Sequence<UInt8>) -> String {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(scalarForByte[Int(byte)]) }
        return String(text)
    }

    /// Appends the bytes a vocabulary string spells. As HF's ByteLevel decoder does, a string with any character
    /// outside the mapping contributes its own UTF-8 bytes instead.
    static func appendBytes(of token: String, to bytes: inout [UInt8]) {
        let start = bytes.count
        for scalar in token.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteForScalar.count, byteForScalar[value] >= 0 else {
                bytes.removeSubrange(start...)
                bytes.append(contentsOf: token.utf8)
                return
            }
            bytes.append(UInt8(byteForScalar[value]))
        }
    }
}

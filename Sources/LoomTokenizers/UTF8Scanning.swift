/// UTF-8 helpers for encoding (scalar decoding of valid text) and streaming decoding (holding back an
/// incomplete trailing character).
enum UTF8Scanning {
    /// The scalar values of valid UTF-8 `bytes` and the byte offset where each starts (plus a final `bytes.count`).
    static func scalars(of bytes: [UInt8]) -> (values: [UInt32], offsets: [Int]) {
        var values: [UInt32] = []
        var offsets: [Int] = []
        values.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        var index = 0
        while index < bytes.count {
            let lead = UInt32(bytes[index])
            offsets.append(index)
            switch lead {
            case ..<0x80:
                values.append(lead)
                index += 1
            case ..<0xE0:
                values.append((lead & 0x1F) << 6 | continuation(bytes, index + 1))
                index += 2
            case ..<0xF0:
                values.append((lead & 0x0F) << 12 | continuation(bytes, index + 1) << 6 | continuation(bytes, index + 2))
                index += 3
            default:
                values.append((lead & 0x07) << 18 | continuation(bytes, index + 1) << 12
                              | continuation(bytes, index + 2) << 6 | continuation(bytes, index + 3))
                index += 4
            }
        }
        offsets.append(bytes.count)
        return (values, offsets)
    }

    @inline(__always)
    private static func continuation(_ bytes: [UInt8], _ index: Int) -> UInt32 {
        UInt32(bytes[index] & 0x3F)
    }

    /// The length of the longest prefix of `bytes` whose lossy decoding cannot change when more bytes follow:
    /// everything except a trailing, still-valid but incomplete multi-byte sequence.
    static func settledPrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        var start = count - 1
        while start >= 0, count - start <= 4, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0, count - start <= 4 else { return count }
        let lead = bytes[start]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return count
        }
        let available = count - start
        guard available < needed else { return count }
        if available >= 2, !secondByteRange(lead).contains(bytes[start + 1]) { return count }
        return start
    }

    /// The bytes allowed after a lead byte in well-formed UTF-8 (Unicode Table 3-7).
    private static func secondByteRange(_ lead: UInt8) -> ClosedRange<UInt8> {
        switch lead {
        case 0xE0: return 0xA0...0xBF
        case 0xED: return 0x80...0x9F
        case 0xF0: return 0x90...0xBF
        case 0xF4: return 0x80...0x8F
        default: return 0x80...0xBF
        }
    }
}

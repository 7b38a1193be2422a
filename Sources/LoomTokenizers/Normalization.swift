import Foundation

/// Unicode NFC as HF's `normalizers.NFC` computes it.
enum NFC {
    /// NFC of UTF-8 text. Text below U+0300 (every byte < 0xCC) has nothing to compose and is returned as is.
    static func normalize(_ raw: ArraySlice<UInt8>) -> [UInt8] {
        if !raw.contains(where: { $0 >= 0xCC }) { return Array(raw) }
        let composed = String(decoding: raw, as: UTF8.self).precomposedStringWithCanonicalMapping
        return composingHangulTrailingConsonants(composed)
    }

    /// Foundation on Linux leaves a precomposed Hangul LV syllable followed by a trailing consonant jamo
    /// (e.g. U+AC00 U+11A8) uncomposed; NFC makes it one LVT syllable (U+AC01). Applies that last step.
    private static func composingHangulTrailingConsonants(_ text: String) -> [UInt8] {
        let trailingConsonants: ClosedRange<UInt32> = 0x11A8...0x11C2
        guard text.unicodeScalars.contains(where: { trailingConsonants.contains($0.value) }) else { return Array(text.utf8) }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if trailingConsonants.contains(scalar.value), let last = scalars.last,
               (0xAC00...0xD7A3).contains(last.value), (last.value - 0xAC00) % 28 == 0 {
                scalars.removeLast()
                scalars.append(Unicode.Scalar(last.value + scalar.value - 0x11A7)!)
            } else {
                scalars.append(scalar)
            }
        }
        return Array(String(scalars).utf8)
    }
}

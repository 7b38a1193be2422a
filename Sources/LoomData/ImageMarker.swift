/// The `<image>` placeholder of LLaVA training text: counting and splitting, the one place that finds markers
/// (on UTF-8 bytes: a 1 GB file holds millions of turns).
public enum ImageMarker {
    public static let text = "<image>"
    private static let bytes = Array(text.utf8)

    /// How many markers `value` holds.
    public static func count(in value: String) -> Int {
        ranges(in: value).count
    }

    /// The text around the markers: `count(in:) + 1` pieces (`"a<image>b"` → `["a", "b"]`).
    public static func pieces(of value: String) -> [String] {
        let utf8 = Array(value.utf8)
        var pieces: [String] = []
        var start = 0
        for range in ranges(in: value) {
            pieces.append(String(decoding: utf8[start..<range.lowerBound], as: UTF8.self))
            start = range.upperBound
        }
        pieces.append(String(decoding: utf8[start...], as: UTF8.self))
        return pieces
    }

    /// Whether every marker of `value` stands at its start, back to back (`"<image><image>\nText"`): the front format.
    public static func allAtStart(of value: String) -> Bool {
        let markers = ranges(in: value)
        return markers.enumerated().allSatisfy { $0.element.lowerBound == $0.offset * bytes.count }
    }

    /// The UTF-8 byte ranges of the markers, left to right, not overlapping.
    static func ranges(in value: String) -> [Range<Int>] {
        var value = value
        return value.withUTF8 { utf8 in
            var found: [Range<Int>] = []
            var position = 0
            let last = utf8.count - bytes.count
            while position <= last {
                if utf8[position] == 0x3C, // "<"
                   utf8[position + 1] == 0x69, utf8[position + 2] == 0x6D, utf8[position + 3] == 0x61,
                   utf8[position + 4] == 0x67, utf8[position + 5] == 0x65, utf8[position + 6] == 0x3E {
                    found.append(position..<(position + bytes.count))
                    position += bytes.count
                } else {
                    position += 1
                }
            }
            return found
        }
    }
}

/// Writes `JSONValue`s as Python's `json.dumps(value, ensure_ascii=False)` does: `", "` and `": "` separators, members in
/// order, non-ASCII text as UTF-8, control characters escaped, integral numbers without a fraction.
public enum JSONWriter {
    /// The UTF-8 bytes of `value`.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        append(value, to: &out)
        return out
    }

    /// `value` as a string.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// Appends the UTF-8 bytes of `value` to `out`.
    public static func append(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .number(let number): appendNumber(number, to: &out)
        case .string(let text): appendString(text, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { out += [UInt8(ascii: ","), UInt8(ascii: " ")] }
                append(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for position in object.keys.indices {
                if position > 0 { out += [UInt8(ascii: ","), UInt8(ascii: " ")] }
                appendString(object.keys[position], to: &out)
                out += [UInt8(ascii: ":"), UInt8(ascii: " ")]
                append(object.values[position], to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends an integer array (`[1, 2, 3]`) without building `JSONValue`s: token ids are written this way.
    public static func appendIntegers(_ values: [Int], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (position, value) in values.enumerated() {
            if position > 0 { out += [UInt8(ascii: ","), UInt8(ascii: " ")] }
            out += Array(String(value).utf8)
        }
        out.append(UInt8(ascii: "]"))
    }

    static func appendNumber(_ number: Double, to out: inout [UInt8]) {
        if number.isFinite, number.rounded() == number, abs(number) < 9.0e15 {
            out += Array(String(Int(number)).utf8)
        } else if number.isFinite {
            out += Array(String(number).utf8)
        } else {
            out += Array("null".utf8)
        }
    }

    /// Appends `text` quoted, escaping `"`, `\`, the short escapes and other control characters as `json.dumps`
    /// does; with `asciiOnly` (`ensure_ascii=True`) also every character above `~` as `\uXXXX` (UTF-16 surrogate
    /// pairs beyond U+FFFF).
    public static func appendString(_ text: String, asciiOnly: Bool = false, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case "\\": out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case "\n": out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case "\r": out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case "\t": out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case "\u{08}": out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case "\u{0C}": out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            default:
                let value = scalar.value
                if value < 0x20 || (asciiOnly && value > 0x7E) {
                    if value >= 0x10000 {
                        appendEscape(0xD800 + ((value - 0x10000) >> 10), to: &out)
                        appendEscape(0xDC00 + ((value - 0x10000) & 0x3FF), to: &out)
                    } else {
                        appendEscape(value, to: &out)
                    }
                } else {
                    UTF8.encode(scalar) { out.append($0) }
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `\uXXXX` (lower-case hex) for one UTF-16 unit.
    private static func appendEscape(_ unit: UInt32, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out += [UInt8(ascii: "\\"), UInt8(ascii: "u")] + [12, 8, 4, 0].map { hex[Int((unit >> UInt32($0)) & 15)] }
    }
}

extension JSONWriter {
    /// The UTF-8 bytes of `value` indented as Python's `json.dumps(value, indent=2, ensure_ascii=False)` and Rust's
    /// `serde_json::to_string_pretty` write it (HF's `tokenizer.json`): one member or item per line, `": "` after
    /// keys, `{}` / `[]` when empty, no trailing newline.
    public static func indentedBytes(_ value: JSONValue, indent: Int = 2) -> [UInt8] {
        var out: [UInt8] = []
        appendIndented(value, indent: indent, level: 0, to: &out)
        return out
    }

    private static func appendIndented(_ value: JSONValue, indent: Int, level: Int, to out: inout [UInt8]) {
        func newline(_ level: Int) {
            out.append(UInt8(ascii: "\n"))
            out += [UInt8](repeating: UInt8(ascii: " "), count: indent * level)
        }
        switch value {
        case .array(let items) where !items.isEmpty:
            out.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                appendIndented(item, indent: indent, level: level + 1, to: &out)
            }
            newline(level)
            out.append(UInt8(ascii: "]"))
        case .object(let object) where !object.keys.isEmpty:
            out.append(UInt8(ascii: "{"))
            for position in object.keys.indices {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                appendString(object.keys[position], to: &out)
                out += [UInt8(ascii: ":"), UInt8(ascii: " ")]
                appendIndented(object.values[position], indent: indent, level: level + 1, to: &out)
            }
            newline(level)
            out.append(UInt8(ascii: "}"))
        default:
            append(value, to: &out)
        }
    }
}

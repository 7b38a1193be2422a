import Foundation
import LoomJSON

/// Python `str()` of a value: what `{{ x }}`, `~` and `|string` produce.
func pythonStr(_ value: Value) -> String {
    switch value {
    case .undefined: return ""
    case .string(let s): return s
    default: return pythonRepr(value)
    }
}

/// Python `repr()` of a value (strings quoted; containers print their items' reprs).
func pythonRepr(_ value: Value) -> String {
    switch value {
    case .undefined: return ""
    case .none: return "None"
    case .bool(let b): return b ? "True" : "False"
    case .int(let i): return String(i)
    case .float(let f): return pythonFloatRepr(f)
    case .string(let s): return pythonStringRepr(s)
    case .list(let l): return "[" + l.map(pythonRepr).joined(separator: ", ") + "]"
    case .tuple(let l):
        if l.count == 1 { return "(" + pythonRepr(l[0]) + ",)" }
        return "(" + l.map(pythonRepr).joined(separator: ", ") + ")"
    case .dict(let d):
        return "{" + zip(d.keys, d.values).map { pythonRepr($0) + ": " + pythonRepr($1) }.joined(separator: ", ") + "}"
    case .namespace(let n):
        return "<Namespace " + pythonRepr(.dict(n.attributes)) + ">"
    case .function(let f): return "<function \(f.name)>"
    case .loop(let l): return "<LoopContext \(l.index0 + 1)/\(l.items.count)>"
    }
}

/// Whether Python's `str.isprintable()` holds for a scalar (what `repr` leaves unescaped).
private func isPrintable(_ c: Unicode.Scalar) -> Bool {
    if c == " " { return true }
    switch c.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return false
    default:
        return true
    }
}

func pythonStringRepr(_ s: String) -> String {
    let useDouble = s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"")
    let quote: Unicode.Scalar = useDouble ? "\"" : "'"
    var out = String.UnicodeScalarView()
    out.append(quote)
    for c in s.unicodeScalars {
        switch c {
        case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
        case "\n": out.append(contentsOf: "\\n".unicodeScalars)
        case "\r": out.append(contentsOf: "\\r".unicodeScalars)
        case "\t": out.append(contentsOf: "\\t".unicodeScalars)
        default:
            if c == quote {
                out.append("\\")
                out.append(c)
            } else if isPrintable(c) {
                out.append(c)
            } else {
                let hex = String(c.value, radix: 16)
                let escaped: String
                if c.value < 0x100 {
                    escaped = "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                } else if c.value < 0x10000 {
                    escaped = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    escaped = "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
                }
                out.append(contentsOf: escaped.unicodeScalars)
            }
        }
    }
    out.append(quote)
    return String(out)
}

/// The shortest round-tripping decimal digits of `value` and the decimal exponent `e` with value = 0.d1d2… × 10^e.
private func shortestDigits(_ value: Double) -> (digits: String, exponent: Int) {
    let text = "\(abs(value))"  // Swift prints the shortest round-tripping form
    var mantissa = Substring(text)
    var exp10 = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = text[..<e]
        exp10 = Int(text[text.index(after: e)...]) ?? 0
    }
    var intPart = mantissa
    var fracPart: Substring = ""
    if let dot = mantissa.firstIndex(of: ".") {
        intPart = mantissa[..<dot]
        fracPart = mantissa[mantissa.index(after: dot)...]
    }
    var digits = String(intPart) + String(fracPart)
    var point = intPart.count + exp10
    while digits.count > 1, digits.first == "0" { digits.removeFirst(); point -= 1 }
    while digits.count > 1, digits.last == "0" { digits.removeLast() }
    return (digits, point)
}

/// Python `repr(float)`: shortest round-trip digits, fixed notation for 1e-4 ≤ |x| < 1e16, else `d.ddde±XX`.
func pythonFloatRepr(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
    let sign = value < 0 ? "-" : ""
    let (digits, point) = shortestDigits(value)
    if point > -4 && point <= 16 {
        if point <= 0 {
            return sign + "0." + String(repeating: "0", count: -point) + digits
        }
        if digits.count <= point {
            return sign + digits + String(repeating: "0", count: point - digits.count) + ".0"
        }
        let i = digits.index(digits.startIndex, offsetBy: point)
        return sign + digits[..<i] + "." + digits[i...]
    }
    let exponent = point - 1
    var mantissa = String(digits.first!)
    if digits.count > 1 { mantissa += "." + digits.dropFirst() }
    let expText = String(abs(exponent))
    return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (expText.count < 2 ? "0" + expText : expText)
}

/// `json.dumps(value, ensure_ascii=asciiOnly, indent=indent, separators=separators, sort_keys=False)`.
func pythonJSON(_ value: Value, indent: Int?, asciiOnly: Bool = false, separators: (String, String)? = nil) throws -> String {
    var out = ""
    let style = JSONStyle(indent: indent, asciiOnly: asciiOnly,
                          itemSeparator: separators?.0 ?? (indent == nil ? ", " : ","), keySeparator: separators?.1 ?? ": ")
    try writeJSON(value, style, level: 0, into: &out)
    return out
}

private struct JSONStyle {
    let indent: Int?
    let asciiOnly: Bool
    let itemSeparator: String
    let keySeparator: String
}

/// A JSON string as `json.dumps` writes it (LoomJSON's writer), `ensure_ascii` as `asciiOnly` says.
private func jsonString(_ s: String, asciiOnly: Bool, into out: inout String) {
    var bytes: [UInt8] = []
    JSONWriter.appendString(s, asciiOnly: asciiOnly, to: &bytes)
    out += String(decoding: bytes, as: UTF8.self)
}

private func writeJSON(_ value: Value, _ style: JSONStyle, level: Int, into out: inout String) throws {
    let indent = style.indent
    switch value {
    case .none: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .float(let f):
        if f.isNaN { out += "NaN" } else if f.isInfinite { out += f < 0 ? "-Infinity" : "Infinity" } else { out += pythonFloatRepr(f) }
    case .string(let s): jsonString(s, asciiOnly: style.asciiOnly, into: &out)
    case .list(let items), .tuple(let items):
        if items.isEmpty { out += "[]"; return }
        out += "["
        for (i, item) in items.enumerated() {
            if i > 0 { out += style.itemSeparator }
            if let indent { out += "\n" + String(repeating: " ", count: indent * (level + 1)) }
            try writeJSON(item, style, level: level + 1, into: &out)
        }
        if let indent { out += "\n" + String(repeating: " ", count: indent * level) }
        out += "]"
    case .dict(let d):
        if d.count == 0 { out += "{}"; return }
        out += "{"
        for (i, (k, v)) in zip(d.keys, d.values).enumerated() {
            if i > 0 { out += style.itemSeparator }
            if let indent { out += "\n" + String(repeating: " ", count: indent * (level + 1)) }
            let key: String
            switch k {
            case .string(let s): key = s
            case .none: key = "null"
            case .bool(let b): key = b ? "true" : "false"
            case .int(let n): key = String(n)
            case .float(let f): key = pythonFloatRepr(f)
            default: throw JinjaError.type("keys must be str, int, float, bool or None, not \(k.typeName)")
            }
            jsonString(key, asciiOnly: style.asciiOnly, into: &out)
            out += style.keySeparator
            try writeJSON(v, style, level: level + 1, into: &out)
        }
        if let indent { out += "\n" + String(repeating: " ", count: indent * level) }
        out += "}"
    default:
        throw JinjaError.type("Object of type \(value.typeName) is not JSON serializable")
    }
}

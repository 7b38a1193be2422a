import Foundation

/// Python's arithmetic, concatenation and comparison operators on template values.
enum Operators {
    static let maximumSequence = 16 << 20

    private static func unsupported(_ op: String, _ a: Value, _ b: Value) -> JinjaError {
        JinjaError.type("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
    }

    static func negate(_ v: Value) throws -> Value {
        if case .undefined(let u) = v { throw u.error }
        switch v.numeric {
        case .int(let i)?: return .int(-i)
        case .double(let d)?: return .float(-d)
        default: throw JinjaError.type("bad operand type for unary -: '\(v.typeName)'")
        }
    }

    static func positive(_ v: Value) throws -> Value {
        if case .undefined(let u) = v { throw u.error }
        switch v.numeric {
        case .int(let i)?: return .int(i)
        case .double(let d)?: return .float(d)
        default: throw JinjaError.type("bad operand type for unary +: '\(v.typeName)'")
        }
    }

    private static func checked(_ result: (Int, Bool)) throws -> Value {
        if result.1 { throw JinjaError("OverflowError", "integer result too large for this engine") }
        return .int(result.0)
    }

    private static func floorMod(_ a: Double, _ b: Double) -> Double {
        var m = fmod(a, b)
        if m != 0 && ((m < 0) != (b < 0)) { m += b }
        else if m == 0 { m = copysign(0, b) }
        return m
    }

    static func repeatSequence(_ v: Value, _ times: Int) throws -> Value {
        let n = max(0, times)
        switch v {
        case .string(let s):
            if s.utf8.count * n > maximumSequence { throw JinjaError("MemoryError", "repeated string too large") }
            return .string(String(repeating: s, count: n))
        case .list(let l):
            if l.count * n > maximumSequence { throw JinjaError("MemoryError", "repeated list too large") }
            return .list(Array([[Value]](repeating: l, count: n).joined()))
        case .tuple(let l):
            if l.count * n > maximumSequence { throw JinjaError("MemoryError", "repeated tuple too large") }
            return .tuple(Array([[Value]](repeating: l, count: n).joined()))
        default: fatalError("unreachable")
        }
    }

    static func binary(_ op: String, _ a: Value, _ b: Value) throws -> Value {
        if case .undefined(let u) = a { throw u.error }
        if case .undefined(let u) = b { throw u.error }
        switch op {
        case "+":
            switch (a, b) {
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.list(let x), .list(let y)): return .list(x + y)
            case (.tuple(let x), .tuple(let y)): return .tuple(x + y)
            case (.string, _): throw JinjaError.type("can only concatenate str (not \"\(b.typeName)\") to str")
            case (.list, _): throw JinjaError.type("can only concatenate list (not \"\(b.typeName)\") to list")
            case (.tuple, _): throw JinjaError.type("can only concatenate tuple (not \"\(b.typeName)\") to tuple")
            default: break
            }
            switch (a.numeric, b.numeric) {
            case (.int(let x)?, .int(let y)?): return try checked(x.addingReportingOverflow(y))
            case (let x?, let y?): return .float(x.double + y.double)
            default: throw unsupported("+", a, b)
            }
        case "-":
            switch (a.numeric, b.numeric) {
            case (.int(let x)?, .int(let y)?): return try checked(x.subtractingReportingOverflow(y))
            case (let x?, let y?): return .float(x.double - y.double)
            default: throw unsupported("-", a, b)
            }
        case "*":
            switch (a, b) {
            case (.string, _), (.list, _), (.tuple, _):
                guard case .int(let n)? = b.numeric else { throw JinjaError.type("can't multiply sequence by non-int of type '\(b.typeName)'") }
                return try repeatSequence(a, n)
            case (_, .string), (_, .list), (_, .tuple):
                guard case .int(let n)? = a.numeric else { throw JinjaError.type("can't multiply sequence by non-int of type '\(a.typeName)'") }
                return try repeatSequence(b, n)
            default: break
            }
            switch (a.numeric, b.numeric) {
            case (.int(let x)?, .int(let y)?): return try checked(x.multipliedReportingOverflow(by: y))
            case (let x?, let y?): return .float(x.double * y.double)
            default: throw unsupported("*", a, b)
            }
        case "/":
            guard let x = a.numeric, let y = b.numeric else { throw unsupported("/", a, b) }
            if y.double == 0 { throw JinjaError("ZeroDivisionError", "division by zero") }
            return .float(x.double / y.double)
        case "//":
            guard let x = a.numeric, let y = b.numeric else { throw unsupported("//", a, b) }
            switch (x, y) {
            case (.int(let i), .int(let j)):
                if j == 0 { throw JinjaError("ZeroDivisionError", "integer division or modulo by zero") }
                var q = i / j
                if (i % j != 0) && ((i < 0) != (j < 0)) { q -= 1 }
                return .int(q)
            default:
                if y.double == 0 { throw JinjaError("ZeroDivisionError", "float floor division by zero") }
                return .float(((x.double - floorMod(x.double, y.double)) / y.double).rounded())
            }
        case "%":
            if case .string(let format) = a { return .string(try percentFormat(format, b)) }
            guard let x = a.numeric, let y = b.numeric else { throw unsupported("%", a, b) }
            switch (x, y) {
            case (.int(let i), .int(let j)):
                if j == 0 { throw JinjaError("ZeroDivisionError", "integer modulo by zero") }
                var m = i % j
                if m != 0 && ((m < 0) != (j < 0)) { m += j }
                return .int(m)
            default:
                if y.double == 0 { throw JinjaError("ZeroDivisionError", "float modulo") }
                return .float(floorMod(x.double, y.double))
            }
        case "**":
            switch (a.numeric, b.numeric) {
            case (.int(let x)?, .int(let y)?) where y >= 0:
                var result = 1
                for _ in 0..<y {
                    let (r, o) = result.multipliedReportingOverflow(by: x)
                    if o { throw JinjaError("OverflowError", "integer result too large for this engine") }
                    result = r
                }
                return .int(result)
            case (let x?, let y?): return .float(pow(x.double, y.double))
            default: throw unsupported("** or pow()", a, b)
            }
        default:
            throw JinjaError.type("unknown operator \(op)")
        }
    }

    /// Python `<`-family comparison.
    static func less(_ a: Value, _ b: Value, orEqual: Bool) throws -> Bool {
        switch (a, b) {
        case (.undefined(let u), _): throw u.error
        case (_, .undefined(let u)): throw u.error
        case (.string(let x), .string(let y)):
            let l = Array(x.unicodeScalars.map(\.value)), r = Array(y.unicodeScalars.map(\.value))
            if l == r { return orEqual }
            return l.lexicographicallyPrecedes(r)
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
            for (p, q) in zip(x, y) where !pyEqual(p, q) { return try less(p, q, orEqual: false) }
            return orEqual ? x.count <= y.count : x.count < y.count
        default:
            if let x = a.numeric, let y = b.numeric {
                switch (x, y) {
                case (.int(let i), .int(let j)): return orEqual ? i <= j : i < j
                default: return orEqual ? x.double <= y.double : x.double < y.double
                }
            }
            throw JinjaError.type("'\(orEqual ? "<=" : "<")' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    static func contains(_ container: Value, _ item: Value) throws -> Bool {
        switch container {
        case .undefined: return false
        case .string(let s):
            guard case .string(let needle) = item else {
                if case .undefined(let u) = item { throw u.error }
                throw JinjaError.type("'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return scalarRange(of: needle, in: s) != nil
        case .list(let l), .tuple(let l): return l.contains { pyEqual($0, item) }
        case .dict(let d): return d.index(of: item) != nil
        case .namespace(let n): return n.attributes.index(of: item) != nil
        default: throw JinjaError.type("argument of type '\(container.typeName)' is not iterable")
        }
    }

    static func compare(_ op: String, _ a: Value, _ b: Value) throws -> Bool {
        switch op {
        case "==": return pyEqual(a, b)
        case "!=": return !pyEqual(a, b)
        case "<": return try less(a, b, orEqual: false)
        case "<=": return try less(a, b, orEqual: true)
        case ">": return try less(b, a, orEqual: false)
        case ">=": return try less(b, a, orEqual: true)
        case "in": return try contains(b, a)
        default: return !(try contains(b, a))
        }
    }

    /// Python `format % args` for `%s %r %d %i %f %x %%` (with flags, width and precision).
    static func percentFormat(_ format: String, _ args: Value) throws -> String {
        var items: [Value]
        if case .tuple(let t) = args { items = t } else { items = [args] }
        var out = ""
        let chars = Array(format.unicodeScalars)
        var i = 0
        var next = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "%" else { out.unicodeScalars.append(c); i += 1; continue }
            i += 1
            guard i < chars.count else { throw JinjaError.value("incomplete format") }
            var spec = ""
            while i < chars.count, "-+ #0123456789.".unicodeScalars.contains(chars[i]) { spec.unicodeScalars.append(chars[i]); i += 1 }
            guard i < chars.count else { throw JinjaError.value("incomplete format") }
            let conversion = chars[i]
            i += 1
            if conversion == "%" { out += "%"; continue }
            guard next < items.count else { throw JinjaError.type("not enough arguments for format string") }
            let v = items[next]
            next += 1
            var text: String
            switch conversion {
            case "s": text = pythonStr(v)
            case "r": text = pythonRepr(v)
            case "d", "i":
                guard let n = v.numeric else { throw JinjaError.type("%d format: a real number is required, not \(v.typeName)") }
                switch n {
                case .int(let x): text = String(x)
                case .double(let d): text = String(Int(d.rounded(.towardZero)))
                }
            case "f", "F", "e", "g", "x", "X", "o":
                guard let n = v.numeric else { throw JinjaError.type("must be real number, not \(v.typeName)") }
                let cspec = "%" + spec + String(conversion)
                if "xXo".unicodeScalars.contains(conversion) {
                    guard case .int(let x) = n else { throw JinjaError.type("%x format: an integer is required") }
                    text = String(format: cspec.replacingOccurrences(of: String(conversion), with: "l" + String(conversion)), x)
                } else {
                    text = String(format: cspec, n.double)
                }
                spec = ""
            default:
                throw JinjaError.value("unsupported format character '\(conversion)'")
            }
            if !spec.isEmpty, let width = Int(spec.filter { $0.isNumber && $0 != "." }.prefix(while: { _ in true })), !spec.contains(".") {
                let pad = max(0, width - text.unicodeScalars.count)
                text = spec.hasPrefix("-") ? text + String(repeating: " ", count: pad) : String(repeating: spec.hasPrefix("0") ? "0" : " ", count: pad) + text
            }
            out += text
        }
        if next < items.count, case .tuple = args {
            throw JinjaError.type("not all arguments converted during string formatting")
        }
        return out
    }
}

/// The scalar offset range of `needle` in `haystack`, searched code point by code point.
func scalarRange(of needle: String, in haystack: String, from: Int = 0) -> Range<Int>? {
    let h = Array(haystack.unicodeScalars), n = Array(needle.unicodeScalars)
    if n.isEmpty { return from <= h.count ? from..<from : nil }
    guard h.count >= n.count, from <= h.count - n.count else { return nil }
    var i = from
    while i <= h.count - n.count {
        if h[i] == n[0] && Array(h[i..<(i + n.count)]) == n { return i..<(i + n.count) }
        i += 1
    }
    return nil
}

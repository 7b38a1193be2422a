/// The Python methods templates call on strings, dicts and lists. Mutating list/dict methods exist but are
/// "unsafe": reading them gives an undefined that raises `SecurityError` when called (jinja2's ImmutableSandbox).
enum Methods {
    static let unsafeList: Set<String> = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"]
    static let unsafeDict: Set<String> = ["clear", "pop", "popitem", "setdefault", "update"]

    static func lookup(_ object: Value, _ name: String) throws -> Value? {
        switch object {
        case .string(let s): return stringMethod(s, name)
        case .dict(let d):
            if unsafeDict.contains(name) { return unsafe(name, object) }
            return dictMethod(d, name)
        case .list(let l), .tuple(let l):
            if case .list = object, unsafeList.contains(name) { return unsafe(name, object) }
            return listMethod(l, name, object)
        default: return nil
        }
    }

    private static func unsafe(_ name: String, _ object: Value) -> Value {
        .undefined(Undefined(kind: "SecurityError", message: "access to attribute '\(name)' of '\(object.typeName)' object is unsafe."))
    }

    private static func method(_ name: String, _ body: @escaping ([Value], [(String, Value)]) throws -> Value) -> Value {
        .function(Function(name, body))
    }

    private static func arg(_ args: [Value], _ kwargs: [(String, Value)], _ i: Int, _ name: String) -> Value? {
        if i < args.count { return args[i] }
        return kwargs.first { $0.0 == name }?.1
    }

    private static func string(_ v: Value?, _ what: String) throws -> String? {
        guard let v else { return nil }
        switch v {
        case .none: return nil
        case .string(let s): return s
        default: throw JinjaError.type("\(what) arg must be None or str")
        }
    }

    private static func int(_ v: Value?, default d: Int) throws -> Int {
        guard let v else { return d }
        guard case .int(let i)? = v.numeric else { throw JinjaError.type("'\(v.typeName)' object cannot be interpreted as an integer") }
        return i
    }

    static func dictMethod(_ d: PyDict, _ name: String) -> Value? {
        switch name {
        case "items": return method(name) { _, _ in .list(zip(d.keys, d.values).map { .tuple([$0, $1]) }) }
        case "keys": return method(name) { _, _ in .list(d.keys) }
        case "values": return method(name) { _, _ in .list(d.values) }
        case "copy": return method(name) { _, _ in .dict(d) }
        case "get":
            return method(name) { args, _ in
                guard let key = args.first else { throw JinjaError.type("get expected at least 1 argument, got 0") }
                return d[key] ?? (args.count > 1 ? args[1] : .none)
            }
        default: return nil
        }
    }

    static func listMethod(_ l: [Value], _ name: String, _ object: Value) -> Value? {
        switch name {
        case "index":
            return method(name) { args, _ in
                guard let x = args.first else { throw JinjaError.type("index expected at least 1 argument, got 0") }
                guard let i = l.firstIndex(where: { pyEqual($0, x) }) else { throw JinjaError.value("\(pythonRepr(x)) is not in list") }
                return .int(i)
            }
        case "count":
            return method(name) { args, _ in
                guard let x = args.first else { throw JinjaError.type("count() takes exactly one argument (0 given)") }
                return .int(l.filter { pyEqual($0, x) }.count)
            }
        case "copy":
            if case .list = object { return method(name) { _, _ in .list(l) } }
            return nil
        default: return nil
        }
    }

    static func stringMethod(_ s: String, _ name: String) -> Value? {
        let scalars = Array(s.unicodeScalars)
        switch name {
        case "strip", "lstrip", "rstrip":
            return method(name) { args, kwargs in
                let chars = try string(arg(args, kwargs, 0, "chars"), name)
                return .string(pyStrip(s, chars, left: name != "rstrip", right: name != "lstrip"))
            }
        case "split", "rsplit":
            return method(name) { args, kwargs in
                let sep = try string(arg(args, kwargs, 0, "sep"), name)
                let maxsplit = try int(arg(args, kwargs, 1, "maxsplit"), default: -1)
                return .list(try pySplit(s, sep, maxsplit, fromRight: name == "rsplit").map { .string($0) })
            }
        case "splitlines":
            return method(name) { args, kwargs in
                let keep = arg(args, kwargs, 0, "keepends")?.truthy ?? false
                return .list(pySplitLines(s, keepEnds: keep).map { .string($0) })
            }
        case "startswith", "endswith":
            return method(name) { args, _ in
                guard let p = args.first else { throw JinjaError.type("\(name) takes at least 1 argument (0 given)") }
                var candidates: [String] = []
                switch p {
                case .string(let x): candidates = [x]
                case .tuple(let t):
                    for item in t {
                        guard case .string(let x) = item else { throw JinjaError.type("tuple for \(name) must only contain str, not \(item.typeName)") }
                        candidates.append(x)
                    }
                default: throw JinjaError.type("\(name) first arg must be str or a tuple of str, not \(p.typeName)")
                }
                return .bool(candidates.contains { c in
                    let cs = Array(c.unicodeScalars)
                    guard cs.count <= scalars.count else { return false }
                    return name == "startswith" ? Array(scalars.prefix(cs.count)) == cs : Array(scalars.suffix(cs.count)) == cs
                })
            }
        case "upper": return method(name) { _, _ in .string(s.uppercased()) }
        case "lower": return method(name) { _, _ in .string(s.lowercased()) }
        case "casefold": return method(name) { _, _ in .string(s.lowercased()) }
        case "title": return method(name) { _, _ in .string(pyTitle(s)) }
        case "capitalize": return method(name) { _, _ in .string(pyCapitalize(s)) }
        case "swapcase":
            return method(name) { _, _ in
                var out = ""
                for c in s.unicodeScalars {
                    if c.properties.isUppercase { out += String(c).lowercased() }
                    else if c.properties.isLowercase { out += String(c).uppercased() }
                    else { out.unicodeScalars.append(c) }
                }
                return .string(out)
            }
        case "replace":
            return method(name) { args, kwargs in
                guard args.count >= 2, case .string(let old) = args[0], case .string(let new) = args[1] else {
                    throw JinjaError.type("replace expected at least 2 arguments")
                }
                let count = try int(arg(args, kwargs, 2, "count"), default: -1)
                return .string(pyReplace(s, old, new, count))
            }
        case "find", "rfind", "index", "rindex", "count":
            return method(name) { args, _ in
                guard case .string(let needle)? = args.first else { throw JinjaError.type("must be str") }
                if name == "count" {
                    var n = 0, from = 0
                    let step = max(1, needle.unicodeScalars.count)
                    while let r = scalarRange(of: needle, in: s, from: from) { n += 1; from = r.lowerBound + step; if needle.isEmpty && from > scalars.count { break } }
                    return .int(n)
                }
                var found: Int? = nil
                if name.hasPrefix("r") {
                    var from = 0
                    while let r = scalarRange(of: needle, in: s, from: from) { found = r.lowerBound; from = r.lowerBound + 1; if from > scalars.count { break } }
                } else {
                    found = scalarRange(of: needle, in: s)?.lowerBound
                }
                if found == nil && name.hasSuffix("index") { throw JinjaError.value("substring not found") }
                return .int(found ?? -1)
            }
        case "join":
            return method(name) { args, _ in
                guard let items = try args.first?.iterate() else { throw JinjaError.type("join() takes exactly one argument (0 given)") }
                var parts: [String] = []
                for (i, item) in items.enumerated() {
                    guard case .string(let x) = item else {
                        throw JinjaError.type("sequence item \(i): expected str instance, \(item.typeName) found")
                    }
                    parts.append(x)
                }
                return .string(parts.joined(separator: s))
            }
        case "format":
            return method(name) { args, kwargs in .string(try pyFormat(s, args, kwargs)) }
        case "isdigit", "isdecimal", "isnumeric":
            return method(name) { _, _ in .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.numericType != nil }) }
        case "isalpha":
            return method(name) { _, _ in .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic }) }
        case "isalnum":
            return method(name) { _, _ in .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil }) }
        case "isspace":
            return method(name) { _, _ in .bool(!scalars.isEmpty && scalars.allSatisfy(isPythonSpace)) }
        case "islower", "isupper":
            return method(name) { _, _ in
                let cased = scalars.filter { $0.properties.isCased }
                let ok = name == "islower" ? cased.allSatisfy { $0.properties.isLowercase } : cased.allSatisfy { $0.properties.isUppercase }
                return .bool(!cased.isEmpty && ok)
            }
        case "partition", "rpartition":
            return method(name) { args, _ in
                guard case .string(let sep)? = args.first, !sep.isEmpty else { throw JinjaError.value("empty separator") }
                var r: Range<Int>? = nil
                if name == "partition" { r = scalarRange(of: sep, in: s) } else {
                    var from = 0
                    while let x = scalarRange(of: sep, in: s, from: from) { r = x; from = x.lowerBound + 1 }
                }
                guard let r else {
                    return name == "partition" ? .tuple([.string(s), .string(""), .string("")]) : .tuple([.string(""), .string(""), .string(s)])
                }
                return .tuple([.string(scalarString(scalars[..<r.lowerBound])), .string(sep), .string(scalarString(scalars[r.upperBound...]))])
            }
        case "ljust", "rjust", "center":
            return method(name) { args, kwargs in
                let width = try int(arg(args, kwargs, 0, "width"), default: 0)
                let fill = try string(arg(args, kwargs, 1, "fillchar"), name) ?? " "
                return .string(pyJustify(s, width, fill, name))
            }
        case "zfill":
            return method(name) { args, _ in
                let width = try int(args.first, default: 0)
                let pad = max(0, width - scalars.count)
                if pad == 0 { return .string(s) }
                if let f = scalars.first, f == "+" || f == "-" {
                    return .string(String(f) + String(repeating: "0", count: pad) + scalarString(scalars.dropFirst()))
                }
                return .string(String(repeating: "0", count: pad) + s)
            }
        case "removeprefix", "removesuffix":
            return method(name) { args, _ in
                guard case .string(let affix)? = args.first else { throw JinjaError.type("\(name)() argument must be str") }
                let a = Array(affix.unicodeScalars)
                if name == "removeprefix", scalars.starts(with: a) { return .string(scalarString(scalars.dropFirst(a.count))) }
                if name == "removesuffix", !a.isEmpty, a.count <= scalars.count, Array(scalars.suffix(a.count)) == a {
                    return .string(scalarString(scalars.dropLast(a.count)))
                }
                return .string(s)
            }
        case "expandtabs":
            return method(name) { args, _ in
                let size = try int(args.first, default: 8)
                var out = String.UnicodeScalarView(), column = 0
                for c in scalars {
                    if c == "\t" {
                        let n = size > 0 ? size - column % size : 0
                        out.append(contentsOf: String(repeating: " ", count: n).unicodeScalars)
                        column += n
                    } else {
                        out.append(c)
                        column = (c == "\n" || c == "\r") ? 0 : column + 1
                    }
                }
                return .string(String(out))
            }
        default: return nil
        }
    }
}

func scalarString<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
    var v = String.UnicodeScalarView()
    v.append(contentsOf: scalars)
    return String(v)
}

/// Python `str.isspace()` for one scalar (White_Space plus the separators U+001C–U+001F).
func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
    c.properties.isWhitespace || (0x1C...0x1F).contains(c.value)
}

func pyStrip(_ s: String, _ chars: String?, left: Bool, right: Bool) -> String {
    let scalars = Array(s.unicodeScalars)
    let set = chars.map { Set($0.unicodeScalars) }
    func strip(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isPythonSpace(c) }
    var lo = 0, hi = scalars.count
    if left { while lo < hi, strip(scalars[lo]) { lo += 1 } }
    if right { while hi > lo, strip(scalars[hi - 1]) { hi -= 1 } }
    return scalarString(scalars[lo..<hi])
}

func pySplit(_ s: String, _ sep: String?, _ maxsplit: Int, fromRight: Bool) throws -> [String] {
    let scalars = Array(s.unicodeScalars)
    if let sep {
        let p = Array(sep.unicodeScalars)
        if p.isEmpty { throw JinjaError.value("empty separator") }
        var parts: [String] = []
        if !fromRight {
            var start = 0, i = 0
            while i + p.count <= scalars.count, maxsplit < 0 || parts.count < maxsplit {
                if Array(scalars[i..<(i + p.count)]) == p {
                    parts.append(scalarString(scalars[start..<i]))
                    i += p.count
                    start = i
                } else { i += 1 }
            }
            parts.append(scalarString(scalars[start...]))
            return parts
        }
        var end = scalars.count, i = scalars.count - p.count
        var reversed: [String] = []
        while i >= 0, maxsplit < 0 || reversed.count < maxsplit {
            if Array(scalars[i..<(i + p.count)]) == p {
                reversed.append(scalarString(scalars[(i + p.count)..<end]))
                end = i
                i -= p.count
            } else { i -= 1 }
        }
        reversed.append(scalarString(scalars[..<end]))
        return reversed.reversed()
    }
    // whitespace split
    var parts: [String] = []
    if !fromRight {
        var i = 0
        while i < scalars.count {
            while i < scalars.count, isPythonSpace(scalars[i]) { i += 1 }
            if i >= scalars.count { break }
            if maxsplit >= 0 && parts.count == maxsplit {
                var end = scalars.count
                while end > i, isPythonSpace(scalars[end - 1]) { end -= 1 }
                parts.append(scalarString(scalars[i..<end]))
                break
            }
            let start = i
            while i < scalars.count, !isPythonSpace(scalars[i]) { i += 1 }
            parts.append(scalarString(scalars[start..<i]))
        }
        return parts
    }
    var i = scalars.count
    while i > 0 {
        while i > 0, isPythonSpace(scalars[i - 1]) { i -= 1 }
        if i == 0 { break }
        if maxsplit >= 0 && parts.count == maxsplit {
            var start = 0
            while start < i, isPythonSpace(scalars[start]) { start += 1 }
            parts.append(scalarString(scalars[start..<i]))
            break
        }
        let end = i
        while i > 0, !isPythonSpace(scalars[i - 1]) { i -= 1 }
        parts.append(scalarString(scalars[i..<end]))
    }
    return parts.reversed()
}

func pySplitLines(_ s: String, keepEnds: Bool) -> [String] {
    let scalars = Array(s.unicodeScalars)
    let breaks: Set<UInt32> = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
    var lines: [String] = []
    var start = 0, i = 0
    while i < scalars.count {
        if breaks.contains(scalars[i].value) {
            var end = i + 1
            if scalars[i] == "\r", end < scalars.count, scalars[end] == "\n" { end += 1 }
            lines.append(scalarString(scalars[start..<(keepEnds ? end : i)]))
            start = end
            i = end
        } else { i += 1 }
    }
    if start < scalars.count { lines.append(scalarString(scalars[start...])) }
    return lines
}

func pyReplace(_ s: String, _ old: String, _ new: String, _ count: Int) -> String {
    let scalars = Array(s.unicodeScalars), o = Array(old.unicodeScalars)
    var out = String.UnicodeScalarView()
    var n = 0
    if o.isEmpty {
        for c in scalars {
            if count < 0 || n < count { out.append(contentsOf: new.unicodeScalars); n += 1 }
            out.append(c)
        }
        if count < 0 || n < count { out.append(contentsOf: new.unicodeScalars) }
        return String(out)
    }
    var i = 0
    while i < scalars.count {
        if (count < 0 || n < count), i + o.count <= scalars.count, Array(scalars[i..<(i + o.count)]) == o {
            out.append(contentsOf: new.unicodeScalars)
            i += o.count
            n += 1
        } else {
            out.append(scalars[i])
            i += 1
        }
    }
    return String(out)
}

/// Python `str.title()`: a cased character after an uncased one is titlecased, the others lowercased.
func pyTitle(_ s: String) -> String {
    var out = ""
    var previousCased = false
    for c in s.unicodeScalars {
        if c.properties.isCased {
            out += previousCased ? c.properties.lowercaseMapping : c.properties.titlecaseMapping
            previousCased = true
        } else {
            out.unicodeScalars.append(c)
            previousCased = false
        }
    }
    return out
}

/// Python `str.capitalize()`.
func pyCapitalize(_ s: String) -> String {
    guard let first = s.unicodeScalars.first else { return s }
    return first.properties.titlecaseMapping + scalarString(s.unicodeScalars.dropFirst()).lowercased()
}

func pyJustify(_ s: String, _ width: Int, _ fill: String, _ how: String) -> String {
    let n = s.unicodeScalars.count
    guard width > n else { return s }
    let pad = width - n
    switch how {
    case "ljust": return s + String(repeating: fill, count: pad)
    case "rjust": return String(repeating: fill, count: pad) + s
    default:
        let left = pad / 2 + (pad & width & 1)
        return String(repeating: fill, count: left) + s + String(repeating: fill, count: pad - left)
    }
}

/// `str.format` with `{}`, `{0}`, `{name}` fields (no format specs beyond none) and `{{`/`}}`.
func pyFormat(_ s: String, _ args: [Value], _ kwargs: [(String, Value)]) throws -> String {
    let scalars = Array(s.unicodeScalars)
    var out = "", i = 0, auto = 0
    while i < scalars.count {
        let c = scalars[i]
        if c == "{" {
            if i + 1 < scalars.count, scalars[i + 1] == "{" { out += "{"; i += 2; continue }
            guard let close = scalars[i...].firstIndex(of: "}") else { throw JinjaError.value("Single '{' encountered in format string") }
            let field = scalarString(scalars[(i + 1)..<close])
            let name = field.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            let value: Value
            if name.isEmpty {
                guard auto < args.count else { throw JinjaError("IndexError", "Replacement index \(auto) out of range for positional args tuple") }
                value = args[auto]; auto += 1
            } else if let n = Int(name) {
                guard n < args.count else { throw JinjaError("IndexError", "Replacement index \(n) out of range for positional args tuple") }
                value = args[n]
            } else {
                guard let v = kwargs.first(where: { $0.0 == name })?.1 else { throw JinjaError("KeyError", "'\(name)'") }
                value = v
            }
            out += pythonStr(value)
            i = close + 1
        } else if c == "}" {
            if i + 1 < scalars.count, scalars[i + 1] == "}" { out += "}"; i += 2; continue }
            throw JinjaError.value("Single '}' encountered in format string")
        } else {
            out.unicodeScalars.append(c)
            i += 1
        }
    }
    return out
}

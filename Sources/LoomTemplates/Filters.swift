import Foundation

/// jinja2's built-in filters (`jinja2/filters.py`), with transformers' `tojson`.
enum Filters {
    /// Every filter name jinja2 3.1 defines; the ones not implemented here raise at render time.
    static let known: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join",
        "last", "length", "list", "lower", "map", "max", "min", "pprint", "random", "reject", "rejectattr",
        "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags",
        "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount",
        "wordwrap", "xmlattr",
    ]

    /// Positional-then-keyword argument lookup.
    struct Arguments {
        let args: [Value]
        let kwargs: [(String, Value)]
        func get(_ i: Int, _ name: String) -> Value? {
            if i < args.count { return args[i] }
            return kwargs.first { $0.0 == name }?.1
        }
        func bool(_ i: Int, _ name: String, _ d: Bool) -> Bool { get(i, name)?.truthy ?? d }
        func int(_ i: Int, _ name: String, _ d: Int) throws -> Int {
            guard let v = get(i, name) else { return d }
            guard case .int(let n)? = v.numeric else { throw JinjaError.type("'\(v.typeName)' object cannot be interpreted as an integer") }
            return n
        }
        func string(_ i: Int, _ name: String) -> String? {
            if case .string(let s)? = get(i, name) { return s }
            return nil
        }
    }

    static func apply(_ name: String, _ value: Value, _ args: [Value], _ kwargs: [(String, Value)], _ ev: Evaluator) throws -> Value {
        let a = Arguments(args: args, kwargs: kwargs)
        switch name {
        case "length", "count":
            return .int(try value.length())
        case "string":
            return .string(pythonStr(value))
        case "list":
            return .list(try value.iterate())
        case "first":
            let items = try value.iterate()
            return items.first ?? .undefined(Undefined(message: "No first item, sequence was empty."))
        case "last":
            if case .dict = value { return (try value.iterate()).last ?? .undefined(Undefined(message: "No last item, sequence was empty.")) }
            let items = try value.iterate()
            return items.last ?? .undefined(Undefined(message: "No last item, sequence was empty."))
        case "join":
            var items = try value.iterate()
            if let attribute = a.get(1, "attribute") { items = try items.map { try itemGetter(attribute)($0, ev) } }
            let separator = a.string(0, "d") ?? ""
            return .string(items.map(pythonStr).joined(separator: separator))
        case "upper": return .string(pythonStr(value).uppercased())
        case "lower": return .string(pythonStr(value).lowercased())
        case "title": return .string(jinjaTitle(pythonStr(value)))
        case "capitalize": return .string(pyCapitalize(pythonStr(value)))
        case "trim":
            return .string(pyStrip(pythonStr(value), a.string(0, "chars"), left: true, right: true))
        case "default", "d":
            let fallback = a.get(0, "default_value") ?? .string("")
            if value.isUndefined || (a.bool(1, "boolean", false) && !value.truthy) { return fallback }
            return value
        case "replace":
            guard case .string(let old)? = a.get(0, "old"), case .string(let new)? = a.get(1, "new") else {
                throw JinjaError.type("replace() requires 'old' and 'new' strings")
            }
            let count: Int
            if let c = a.get(2, "count"), case .int(let n)? = c.numeric { count = n } else { count = -1 }
            return .string(pyReplace(pythonStr(value), old, new, count))
        case "tojson":
            // transformers: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
            let asciiOnly = a.get(0, "ensure_ascii")?.truthy ?? false
            var separators: (String, String)? = nil
            if let sep = a.get(2, "separators"), !sep.isNoneValue {
                let parts = try sep.iterate()
                guard parts.count == 2, case .string(let item) = parts[0], case .string(let key) = parts[1] else {
                    throw JinjaError.value("separators must be a pair of strings")
                }
                separators = (item, key)
            }
            var indent: Int? = nil
            if let i = a.get(1, "indent") {
                switch i {
                case .none: break
                case .int(let n): indent = n
                default: throw JinjaError.type("tojson indent must be an integer")
                }
            }
            var target = value
            if a.get(3, "sort_keys")?.truthy == true { target = sortKeys(value) }
            return .string(try pythonJSON(target, indent: indent, asciiOnly: asciiOnly, separators: separators))
        case "int":
            let fallback = a.get(0, "default") ?? .int(0)
            let base = try a.int(1, "base", 10)
            return toInt(value, base: base) ?? fallback
        case "float":
            let fallback = a.get(0, "default") ?? .float(0)
            switch value {
            case .string(let s):
                if let d = Double(pyStrip(s, nil, left: true, right: true).replacingOccurrences(of: "_", with: "")) { return .float(d) }
                return fallback
            default:
                if let n = value.numeric { return .float(n.double) }
                return fallback
            }
        case "abs":
            switch value.numeric {
            case .int(let i)?: return .int(abs(i))
            case .double(let d)?: return .float(abs(d))
            default: throw JinjaError.type("bad operand type for abs(): '\(value.typeName)'")
            }
        case "round":
            let precision = try a.int(0, "precision", 0)
            let method = a.string(1, "method") ?? "common"
            guard let n = value.numeric else { throw JinjaError.type("type \(value.typeName) doesn't define __round__ method") }
            let d = n.double
            switch method {
            case "common":
                if case .int = n { return value.isBoolValue ? .int(Int(d)) : value }
                if precision == 0 { return .float(d.rounded(.toNearestOrEven)) }
                return .float(Double(String(format: "%.\(max(0, precision))f", d)) ?? d)
            case "ceil", "floor":
                let scale = pow(10.0, Double(precision))
                let r = method == "ceil" ? (d * scale).rounded(.up) : (d * scale).rounded(.down)
                return .float(r / scale)
            default:
                throw JinjaError("FilterArgumentError", "method must be common, ceil or floor")
            }
        case "reverse":
            if case .string(let s) = value { return .string(scalarString(s.unicodeScalars.reversed())) }
            return .list((try value.iterate()).reversed())
        case "items":
            if value.isUndefined { return .list([]) }
            guard case .dict(let d) = value else { throw JinjaError.type("Can only get item pairs from a mapping.") }
            return .list(zip(d.keys, d.values).map { .tuple([$0, $1]) })
        case "dictsort":
            guard case .dict(let d) = value else { throw JinjaError("FilterArgumentError", "You can only sort by either \"key\" or \"value\"") }
            let caseSensitive = a.bool(0, "case_sensitive", false)
            let byValue = a.string(1, "by") == "value"
            let reverse = a.bool(2, "reverse", false)
            var pairs = zip(d.keys, d.values).map { ($0, $1) }
            try stableSort(&pairs, reverse: reverse) { x, y in
                let l = byValue ? x.1 : x.0, r = byValue ? y.1 : y.0
                return try Operators.less(foldCase(l, caseSensitive), foldCase(r, caseSensitive), orEqual: false)
            }
            return .list(pairs.map { .tuple([$0.0, $0.1]) })
        case "sort":
            var items = try value.iterate()
            let reverse = a.bool(0, "reverse", false)
            let caseSensitive = a.bool(1, "case_sensitive", false)
            let key = a.get(2, "attribute").map(itemGetter)
            try stableSort(&items, reverse: reverse) { x, y in
                let l = try key?(x, ev) ?? x, r = try key?(y, ev) ?? y
                return try Operators.less(foldCase(l, caseSensitive), foldCase(r, caseSensitive), orEqual: false)
            }
            return .list(items)
        case "unique":
            let caseSensitive = a.bool(0, "case_sensitive", false)
            let key = a.get(1, "attribute").map(itemGetter)
            var seen: [Value] = []
            var out: [Value] = []
            for item in try value.iterate() {
                let k = foldCase(try key?(item, ev) ?? item, caseSensitive)
                if !seen.contains(where: { pyEqual($0, k) }) { seen.append(k); out.append(item) }
            }
            return .list(out)
        case "max", "min":
            let items = try value.iterate()
            let caseSensitive = a.bool(0, "case_sensitive", false)
            let key = a.get(1, "attribute").map(itemGetter)
            guard var best = items.first else { return .undefined(Undefined(message: "No aggregated item, sequence was empty.")) }
            for item in items.dropFirst() {
                let l = foldCase(try key?(item, ev) ?? item, caseSensitive), r = foldCase(try key?(best, ev) ?? best, caseSensitive)
                if name == "max" ? try Operators.less(r, l, orEqual: false) : try Operators.less(l, r, orEqual: false) { best = item }
            }
            return best
        case "sum":
            let key = a.get(0, "attribute").map(itemGetter)
            var total = a.get(1, "start") ?? .int(0)
            for item in try value.iterate() { total = try Operators.binary("+", total, try key?(item, ev) ?? item) }
            return total
        case "map":
            let items = try value.iterate()
            if let attribute = a.kwargs.first(where: { $0.0 == "attribute" })?.1 {
                let getter = itemGetter(attribute)
                let fallback = a.kwargs.first { $0.0 == "default" }?.1
                return .list(try items.map { item in
                    let v = try getter(item, ev)
                    if v.isUndefined, let fallback { return fallback }
                    return v
                })
            }
            guard case .string(let filterName)? = args.first else { throw JinjaError("FilterArgumentError", "map requires a filter argument") }
            guard known.contains(filterName) else { throw JinjaError("TemplateRuntimeError", "No filter named '\(filterName)'.") }
            return .list(try items.map { try apply(filterName, $0, Array(args.dropFirst()), kwargs, ev) })
        case "select", "reject", "selectattr", "rejectattr":
            let items = try value.iterate()
            let byAttribute = name.hasSuffix("attr")
            var rest = args
            var getter: ((Value, Evaluator) throws -> Value)? = nil
            if byAttribute {
                guard let attribute = rest.first else { throw JinjaError.type("\(name) requires an attribute") }
                getter = itemGetter(attribute)
                rest.removeFirst()
            }
            let wanted = !name.hasPrefix("reject")
            var out: [Value] = []
            for item in items {
                let subject = try getter?(item, ev) ?? item
                var ok: Bool
                if case .string(let testName)? = rest.first {
                    guard JinjaTests.known.contains(testName) else { throw JinjaError("TemplateRuntimeError", "No test named '\(testName)'.") }
                    ok = try JinjaTests.apply(testName, subject, Array(rest.dropFirst()), kwargs, ev)
                } else {
                    ok = subject.truthy
                }
                if ok == wanted { out.append(item) }
            }
            return .list(out)
        case "batch":
            let size = try a.int(0, "linecount", 1)
            guard size > 0 else { throw JinjaError.value("batch size must be positive") }
            let fill = a.get(1, "fill_with")
            var out: [Value] = [], current: [Value] = []
            for item in try value.iterate() {
                current.append(item)
                if current.count == size { out.append(.list(current)); current = [] }
            }
            if !current.isEmpty {
                if let fill, !fill.isNoneValue { while current.count < size { current.append(fill) } }
                out.append(.list(current))
            }
            return .list(out)
        case "wordcount":
            var count = 0, inWord = false
            for c in pythonStr(value).unicodeScalars {
                let word = c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
                if word && !inWord { count += 1 }
                inWord = word
            }
            return .int(count)
        case "center":
            return .string(pyJustify(pythonStr(value), try a.int(0, "width", 80), " ", "center"))
        case "indent":
            let indentation: String
            if case .string(let s)? = a.get(0, "width") { indentation = s } else { indentation = String(repeating: " ", count: try a.int(0, "width", 4)) }
            let first = a.bool(1, "first", false), blank = a.bool(2, "blank", false)
            let s = pythonStr(value) + "\n"
            var rv: String
            if blank {
                rv = pySplitLines(s, keepEnds: false).joined(separator: "\n" + indentation)
            } else {
                var lines = pySplitLines(s, keepEnds: false)
                rv = lines.removeFirst()
                if !lines.isEmpty { rv += "\n" + lines.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n") }
            }
            if first { rv = indentation + rv }
            return .string(rv)
        case "truncate":
            let s = Array(pythonStr(value).unicodeScalars)
            let length = try a.int(0, "length", 255)
            let killwords = a.bool(1, "killwords", false)
            let end = a.string(2, "end") ?? "..."
            let leeway = try a.int(3, "leeway", 5)
            if s.count <= length + leeway { return .string(scalarString(s)) }
            let cut = scalarString(s.prefix(max(0, length - end.unicodeScalars.count)))
            if killwords { return .string(cut + end) }
            return .string((try pySplit(cut, " ", 1, fromRight: true)).first! + end)
        case "format":
            if !kwargs.isEmpty && args.isEmpty {
                throw JinjaError("NotImplementedError", "format with keyword arguments is not supported")
            }
            return .string(try Operators.percentFormat(pythonStr(value), .tuple(args)))
        case "escape", "e", "forceescape":
            var out = ""
            for c in pythonStr(value).unicodeScalars {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                default: out.unicodeScalars.append(c)
                }
            }
            return .string(out)
        case "safe":
            return value
        case "attr":
            guard case .string(let attribute)? = args.first else { throw JinjaError.type("attr requires a name") }
            return try ev.getAttribute(value, attribute)
        default:
            throw JinjaError("NotImplementedError", "the filter '\(name)' is not supported by LoomTemplates")
        }
    }

    /// jinja2's `title` filter: words begin after `-`, whitespace, `(`, `{`, `[` or `<`.
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atStart = true
        for c in s.unicodeScalars {
            let boundary = c == "-" || c == "(" || c == "{" || c == "[" || c == "<" || isPythonSpace(c)
            if boundary {
                out.unicodeScalars.append(c)
                atStart = true
            } else if atStart {
                out += String(c).uppercased()
                atStart = false
            } else {
                out += String(c).lowercased()
            }
        }
        return out
    }

    /// `make_attrgetter`: dotted paths, integer parts as indexes, `getitem` semantics.
    static func itemGetter(_ attribute: Value) -> (Value, Evaluator) throws -> Value {
        let parts: [Value]
        switch attribute {
        case .string(let s):
            parts = s.split(separator: ".", omittingEmptySubsequences: false).map { p in Int(p).map(Value.int) ?? .string(String(p)) }
        default:
            parts = [attribute]
        }
        return { item, ev in
            var v = item
            for p in parts {
                if case .undefined = v { return v }
                v = try ev.getItem(v, p)
            }
            return v
        }
    }

    static func foldCase(_ v: Value, _ caseSensitive: Bool) -> Value {
        if !caseSensitive, case .string(let s) = v { return .string(s.lowercased()) }
        return v
    }

    static func stableSort<T>(_ items: inout [T], reverse: Bool, _ less: (T, T) throws -> Bool) throws {
        var indexed = Array(items.enumerated())
        var failure: Error? = nil
        indexed.sort { x, y in
            if failure != nil { return false }
            do {
                if reverse {
                    if try less(y.element, x.element) { return true }
                    if try less(x.element, y.element) { return false }
                } else {
                    if try less(x.element, y.element) { return true }
                    if try less(y.element, x.element) { return false }
                }
                return x.offset < y.offset
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
        items = indexed.map(\.element)
    }

    static func sortKeys(_ v: Value) -> Value {
        switch v {
        case .dict(let d):
            var pairs = zip(d.keys, d.values).map { ($0, sortKeys($1)) }
            pairs.sort { pythonStr($0.0).unicodeScalars.map(\.value).lexicographicallyPrecedes(pythonStr($1.0).unicodeScalars.map(\.value)) }
            var out = PyDict()
            for (k, x) in pairs { out.set(k, x) }
            return .dict(out)
        case .list(let l): return .list(l.map(sortKeys))
        case .tuple(let l): return .tuple(l.map(sortKeys))
        default: return v
        }
    }

    /// jinja2's `int` filter: `int(value, base)` for strings (then `int(float(value))`), truncation for floats.
    static func toInt(_ value: Value, base: Int) -> Value? {
        switch value {
        case .string(let raw):
            var s = pyStrip(raw, nil, left: true, right: true).replacingOccurrences(of: "_", with: "")
            var negative = false
            if s.hasPrefix("-") { negative = true; s.removeFirst() } else if s.hasPrefix("+") { s.removeFirst() }
            var b = base
            let lower = s.lowercased()
            if (base == 16 || base == 0) && lower.hasPrefix("0x") { s.removeFirst(2); b = 16 }
            else if (base == 8 || base == 0) && lower.hasPrefix("0o") { s.removeFirst(2); b = 8 }
            else if (base == 2 || base == 0) && lower.hasPrefix("0b") { s.removeFirst(2); b = 2 }
            else if base == 0 { b = 10 }
            if let n = Int(s, radix: b) { return .int(negative ? -n : n) }
            if let d = Double(pyStrip(raw, nil, left: true, right: true)), d.isFinite { return .int(Int(d.rounded(.towardZero))) }
            return nil
        case .float(let d):
            return d.isFinite ? .int(Int(d.rounded(.towardZero))) : nil
        default:
            if case .int(let n)? = value.numeric { return .int(n) }
            return nil
        }
    }
}

extension Value {
    var isNoneValue: Bool { if case .none = self { return true }; return false }
}

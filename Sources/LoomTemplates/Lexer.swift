/// One lexical token of a template: text between tags, tag delimiters and the expression tokens inside them.
enum TokenKind: Equatable {
    case data(String)
    case variableBegin, variableEnd, blockBegin, blockEnd
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    case op(String)
    case eof
}

struct Token {
    var kind: TokenKind
    var line: Int
}

/// Splits a template into tokens the way jinja2's lexer does with `trim_blocks=True`, `lstrip_blocks=True`,
/// `keep_trailing_newline=False`: `\r\n` and `\r` become `\n`, one final newline is dropped, `{%-`/`-%}` strip
/// whitespace, `{%+`/`+%}` turn lstrip/trim off for that tag, comments vanish and `{% raw %}` bodies are literal.
struct Lexer {
    private let src: [Unicode.Scalar]
    private var pos = 0
    private var line = 1
    private var tokens: [Token] = []

    init(source: String) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(source.unicodeScalars.count)
        var iterator = source.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        while let c = pending {
            pending = iterator.next()
            if c == "\r" {
                scalars.append("\n")
                if pending == "\n" { pending = iterator.next() }
            } else {
                scalars.append(c)
            }
        }
        if scalars.last == "\n" { scalars.removeLast() }
        src = scalars
    }

    static func tokenize(_ source: String) throws -> [Token] {
        var lexer = Lexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private func at(_ i: Int) -> Unicode.Scalar? { i < src.count ? src[i] : nil }

    private func starts(_ s: String, at i: Int) -> Bool {
        var j = i
        for c in s.unicodeScalars {
            guard j < src.count, src[j] == c else { return false }
            j += 1
        }
        return true
    }

    private static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\u{0B}" || c == "\u{0C}" || c == "\r"
    }

    private func countLines(_ from: Int, _ to: Int) -> Int {
        var n = 0
        var i = from
        while i < to { if src[i] == "\n" { n += 1 }; i += 1 }
        return n
    }

    private mutating func emit(_ kind: TokenKind) { tokens.append(Token(kind: kind, line: line)) }

    /// Emits data `src[start..<end]`, optionally right-stripped (a `-` on the next tag) or lstripped (lstrip_blocks).
    private mutating func emitData(_ start: Int, _ end: Int, tagModifier: Unicode.Scalar?, lstripEligible: Bool) {
        var stop = end
        if tagModifier == "-" {
            while stop > start, Lexer.isSpace(src[stop - 1]) { stop -= 1 }
        } else if lstripEligible && tagModifier != "+" {
            var k = end
            while k > start, src[k - 1] == " " || src[k - 1] == "\t" { k -= 1 }
            let lineStart = (k == start) ? (start == 0 || src[start - 1] == "\n") : src[k - 1] == "\n"
            if lineStart { stop = k }
        }
        if stop > start {
            let text = String(String.UnicodeScalarView(src[start..<stop]))
            emit(.data(text))
        }
        line += countLines(start, end)
    }

    private mutating func run() throws {
        var dataStart = 0
        while pos < src.count {
            guard src[pos] == "{", let next = at(pos + 1), next == "{" || next == "%" || next == "#" else {
                pos += 1
                continue
            }
            let modifier: Unicode.Scalar? = at(pos + 2).flatMap { $0 == "-" || $0 == "+" ? $0 : nil }
            let isBlockOrComment = next != "{"
            // `{{+` is not a modifier for variables (jinja only knows `{{-`)
            let effectiveModifier: Unicode.Scalar? = (next == "{" && modifier == "+") ? nil : modifier
            emitData(dataStart, pos, tagModifier: effectiveModifier, lstripEligible: isBlockOrComment)
            pos += 2 + (effectiveModifier == nil ? 0 : 1)
            switch next {
            case "#":
                try lexComment()
            case "{":
                emit(.variableBegin)
                try lexExpression(end: "}")
            default:
                if try lexRawIfPresent() { break }
                emit(.blockBegin)
                try lexExpression(end: "%")
            }
            dataStart = pos
        }
        emitData(dataStart, pos, tagModifier: nil, lstripEligible: false)
        emit(.eof)
    }

    /// After a closing `%}`/`#}` (whose first scalar is at `pos`): handles `-` (strip all following whitespace), `+`
    /// (keep the newline) or trim_blocks (drop one newline).
    private mutating func finishTag(modifier: Unicode.Scalar?, closeLength: Int, trims: Bool) {
        pos += closeLength
        if modifier == "-" {
            let start = pos
            while pos < src.count, Lexer.isSpace(src[pos]) { pos += 1 }
            line += countLines(start, pos)
        } else if modifier != "+" && trims && at(pos) == "\n" {
            pos += 1
            line += 1
        }
    }

    private mutating func lexComment() throws {
        let startLine = line
        var i = pos
        while i < src.count {
            if src[i] == "#", at(i + 1) == "}" {
                let modifier: Unicode.Scalar? = (i > pos && src[i - 1] == "-") ? "-" : nil
                line += countLines(pos, i)
                pos = i
                finishTag(modifier: modifier, closeLength: 2, trims: true)
                return
            }
            i += 1
        }
        throw JinjaError.syntax("Missing end of comment tag", line: startLine)
    }

    /// `{% raw %}…{% endraw %}`: the body is emitted as data, untouched.
    private mutating func lexRawIfPresent() throws -> Bool {
        var i = pos
        while i < src.count, Lexer.isSpace(src[i]) { i += 1 }
        guard starts("raw", at: i) else { return false }
        i += 3
        while i < src.count, Lexer.isSpace(src[i]) { i += 1 }
        var beginStrip = false
        if at(i) == "-" { beginStrip = true; i += 1 }
        guard at(i) == "%", at(i + 1) == "}" else { return false }
        i += 2
        line += countLines(pos, i)
        var bodyStart = i
        if beginStrip { while bodyStart < src.count, Lexer.isSpace(src[bodyStart]) { bodyStart += 1 } }
        // find {% [-+]? endraw [-+]? %}
        var j = bodyStart
        while j < src.count {
            if src[j] == "{", at(j + 1) == "%" {
                var k = j + 2
                var mod: Unicode.Scalar? = nil
                if let c = at(k), c == "-" || c == "+" { mod = c; k += 1 }
                while k < src.count, Lexer.isSpace(src[k]) { k += 1 }
                if starts("endraw", at: k) {
                    k += 6
                    while k < src.count, Lexer.isSpace(src[k]) { k += 1 }
                    var endMod: Unicode.Scalar? = nil
                    if let c = at(k), c == "-" || c == "+" { endMod = c; k += 1 }
                    if at(k) == "%", at(k + 1) == "}" {
                        var stop = j
                        if mod == "-" { while stop > bodyStart, Lexer.isSpace(src[stop - 1]) { stop -= 1 } }
                        if stop > bodyStart { emit(.data(String(String.UnicodeScalarView(src[bodyStart..<stop])))) }
                        line += countLines(i, k)
                        pos = k
                        finishTag(modifier: endMod, closeLength: 2, trims: true)
                        return true
                    }
                }
            }
            j += 1
        }
        throw JinjaError.syntax("Missing end of raw directive", line: line)
    }

    private static let operators: [String] = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
                                              "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"]

    private mutating func lexExpression(end: Unicode.Scalar) throws {
        var depth = 0
        let startLine = line
        while true {
            while pos < src.count, Lexer.isSpace(src[pos]) {
                if src[pos] == "\n" { line += 1 }
                pos += 1
            }
            guard pos < src.count else {
                throw JinjaError.syntax(end == "}" ? "unexpected end of template, expected 'end of print statement'."
                                                   : "unexpected end of template, expected 'end of statement block'.",
                                        line: startLine)
            }
            let c = src[pos]
            if depth == 0 {
                // closing tag, with optional -/+ modifier
                if (c == "-" || c == "+"), at(pos + 1) == end, at(pos + 2) == "}" {
                    if end == "}" && c == "+" { /* `+}}` is not a thing: fall through to operator lexing */ } else {
                        pos += 1
                        emit(end == "}" ? .variableEnd : .blockEnd)
                        finishTag(modifier: c, closeLength: 2, trims: end == "%")
                        return
                    }
                }
                if c == end, at(pos + 1) == "}" {
                    emit(end == "}" ? .variableEnd : .blockEnd)
                    finishTag(modifier: nil, closeLength: 2, trims: end == "%")
                    return
                }
            }
            if c == "'" || c == "\"" {
                try lexString(quote: c)
                continue
            }
            if c.properties.numericType != nil, ("0"..."9").contains(c) {
                lexNumber()
                continue
            }
            if c == "_" || c.properties.isXIDStart {
                var j = pos + 1
                while j < src.count, src[j] == "_" || src[j].properties.isXIDContinue { j += 1 }
                emit(.name(String(String.UnicodeScalarView(src[pos..<j]))))
                pos = j
                continue
            }
            var matched: String? = nil
            for op in Lexer.operators where starts(op, at: pos) { matched = op; break }
            guard let op = matched else {
                throw JinjaError.syntax("unexpected char \(pythonRepr(.string(String(c)))) at \(pos)", line: line)
            }
            if op == "(" || op == "[" || op == "{" { depth += 1 }
            if op == ")" || op == "]" || op == "}" {
                if depth == 0 { throw JinjaError.syntax("unexpected '\(op)'", line: line) }
                depth -= 1
            }
            emit(.op(op))
            pos += op.unicodeScalars.count
        }
    }

    private mutating func lexNumber() {
        var j = pos
        func digits() {
            while j < src.count, ("0"..."9").contains(src[j]) || (src[j] == "_" && j + 1 < src.count && ("0"..."9").contains(src[j + 1])) { j += 1 }
        }
        digits()
        var isFloat = false
        if at(j) == ".", let d = at(j + 1), ("0"..."9").contains(d) {
            isFloat = true
            j += 1
            digits()
        }
        if let e = at(j), e == "e" || e == "E" {
            var k = j + 1
            if let s = at(k), s == "+" || s == "-" { k += 1 }
            if let d = at(k), ("0"..."9").contains(d) {
                isFloat = true
                j = k
                digits()
            }
        }
        let text = String(String.UnicodeScalarView(src[pos..<j])).replacingOccurrences(of: "_", with: "")
        if isFloat {
            emit(.float(Double(text) ?? 0))
        } else if let v = Int(text) {
            emit(.integer(v))
        } else {
            emit(.float(Double(text) ?? .infinity))
        }
        pos = j
    }

    /// A string literal, unescaped as Python's `unicode-escape` codec does (jinja2 `lexer.py`).
    private mutating func lexString(quote: Unicode.Scalar) throws {
        let startLine = line
        var j = pos + 1
        var out = String.UnicodeScalarView()
        while true {
            guard j < src.count else { throw JinjaError.syntax("unexpected char \(pythonRepr(.string(String(quote)))) at \(pos)", line: startLine) }
            let c = src[j]
            if c == quote { j += 1; break }
            if c == "\n" { line += 1 }
            if c != "\\" { out.append(c); j += 1; continue }
            guard let e = at(j + 1) else { out.append(c); j += 1; continue }
            j += 2
            switch e {
            case "\n": line += 1
            case "\\": out.append("\\")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "0"..."7":
                var value = Int(e.value - 48)
                var n = 1
                while n < 3, let d = at(j), ("0"..."7").contains(d) { value = value * 8 + Int(d.value - 48); j += 1; n += 1 }
                out.append(Unicode.Scalar(UInt32(value)) ?? "\u{FFFD}")
            case "x", "u", "U":
                let count = e == "x" ? 2 : (e == "u" ? 4 : 8)
                var value: UInt32 = 0
                for _ in 0..<count {
                    guard let d = at(j), let h = d.properties.numericType != nil || ("a"..."f").contains(d) || ("A"..."F").contains(d) ? UInt32(String(d), radix: 16) : nil else {
                        throw JinjaError.syntax("(unicode error) truncated \\\(e) escape", line: line)
                    }
                    value = value * 16 + h
                    j += 1
                }
                out.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            default:
                out.append("\\")
                out.append(e)
            }
        }
        emit(.string(String(out)))
        pos = j
    }
}

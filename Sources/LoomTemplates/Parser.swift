/// A recursive-descent parser with jinja2's grammar and operator precedence (`jinja2/parser.py`).
struct Parser {
    private var tokens: [Token]
    private var index = 0
    private var loopDepth = 0
    private var nesting = 0
    /// Deepest nesting of statements and expressions accepted (keeps hostile templates from exhausting the stack).
    static let maximumNesting = 200

    private mutating func enter() throws {
        nesting += 1
        if nesting > Parser.maximumNesting {
            throw JinjaError.syntax("template nesting deeper than \(Parser.maximumNesting) levels", line: current.line)
        }
    }

    init(tokens: [Token]) { self.tokens = tokens }

    static func parse(_ source: String) throws -> [Node] {
        var parser = Parser(tokens: try Lexer.tokenize(source))
        let (body, end) = try parser.parseBody(until: [])
        if let end { throw JinjaError.syntax("Encountered unknown tag '\(end)'.", line: parser.current.line) }
        return body
    }

    private var current: Token { tokens[index] }
    private var peekNext: Token { tokens[min(index + 1, tokens.count - 1)] }
    private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    private func describe(_ kind: TokenKind) -> String {
        switch kind {
        case .data: return "template data"
        case .variableBegin: return "begin of print statement"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .name(let n): return n
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .op(let o): return o
        case .eof: return "end of template"
        }
    }

    private func isOp(_ op: String) -> Bool { if case .op(op) = current.kind { return true }; return false }
    private func isName(_ name: String) -> Bool { if case .name(name) = current.kind { return true }; return false }

    private mutating func expectOp(_ op: String) throws {
        guard isOp(op) else { throw JinjaError.syntax("expected token '\(op)', got '\(describe(current.kind))'", line: current.line) }
        advance()
    }

    private mutating func expectName() throws -> String {
        guard case .name(let n) = current.kind else {
            throw JinjaError.syntax("expected token 'name', got '\(describe(current.kind))'", line: current.line)
        }
        advance()
        return n
    }

    private mutating func expectBlockEnd() throws {
        guard case .blockEnd = current.kind else {
            throw JinjaError.syntax("expected token 'end of statement block', got '\(describe(current.kind))'", line: current.line)
        }
        advance()
    }

    /// Parses nodes until a block tag whose name is in `until` (returned, with the parser positioned after the tag
    /// name) or the end of the template (returns nil; an error if `until` is not empty).
    private mutating func parseBody(until: Set<String>) throws -> ([Node], String?) {
        var nodes: [Node] = []
        while true {
            switch current.kind {
            case .data(let text):
                nodes.append(.text(text))
                advance()
            case .variableBegin:
                let line = current.line
                advance()
                let e = try parseTuple(allowEmpty: false)
                guard case .variableEnd = current.kind else {
                    throw JinjaError.syntax("expected token 'end of print statement', got '\(describe(current.kind))'", line: current.line)
                }
                advance()
                nodes.append(.output(e, line: line))
            case .blockBegin:
                advance()
                let line = current.line
                guard case .name(let tag) = current.kind else {
                    throw JinjaError.syntax("tag name expected", line: line)
                }
                if until.contains(tag) {
                    advance()
                    return (nodes, tag)
                }
                advance()
                nodes.append(try parseStatement(tag, line: line, enclosing: until))
            case .eof:
                if !until.isEmpty {
                    let names = until.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw JinjaError.syntax("Unexpected end of template. Jinja was looking for the following tags: \(names).", line: current.line)
                }
                return (nodes, nil)
            default:
                throw JinjaError.syntax("unexpected '\(describe(current.kind))'", line: current.line)
            }
        }
    }

    private static let knownTags: Set<String> = ["if", "for", "set", "macro", "call", "filter", "with", "generation",
                                                  "break", "continue"]

    private mutating func parseStatement(_ tag: String, line: Int, enclosing: Set<String>) throws -> Node {
        try enter()
        defer { nesting -= 1 }
        switch tag {
        case "if": return try parseIf(line: line)
        case "for": return try parseFor(line: line)
        case "set": return try parseSet(line: line)
        case "macro": return try parseMacro(line: line)
        case "call": return try parseCall(line: line)
        case "filter":
            let filters = try parseFilterChain()
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endfilter"])
            try expectBlockEnd()
            return .filterBlock(filters, body: body, line: line)
        case "with":
            var assignments: [(Target, Expr)] = []
            while !(current.kind == .blockEnd) {
                if !assignments.isEmpty { try expectOp(",") }
                let target = try parseAssignTarget()
                try expectOp("=")
                assignments.append((target, try parseExpression()))
            }
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endwith"])
            try expectBlockEnd()
            return .with(assignments, body: body, line: line)
        case "generation":
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endgeneration"])
            try expectBlockEnd()
            return .generation(body, line: line)
        case "break", "continue":
            if loopDepth == 0 { throw JinjaError.syntax("Encountered unknown tag '\(tag)'.", line: line) }
            try expectBlockEnd()
            return tag == "break" ? .breakLoop(line: line) : .continueLoop(line: line)
        default:
            if !enclosing.isEmpty {
                let names = enclosing.sorted().map { "'\($0)'" }.joined(separator: " or ")
                throw JinjaError.syntax("Encountered unknown tag '\(tag)'. Jinja was looking for the following tags: \(names).", line: line)
            }
            throw JinjaError.syntax("Encountered unknown tag '\(tag)'.", line: line)
        }
    }

    private mutating func parseIf(line: Int) throws -> Node {
        var branches: [(Expr, [Node])] = []
        var condition = try parseTuple(allowEmpty: false, withCondexpr: true)
        try expectBlockEnd()
        while true {
            let (body, end) = try parseBody(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseTuple(allowEmpty: false, withCondexpr: true)
                try expectBlockEnd()
            case "else":
                try expectBlockEnd()
                let (elseBody, _) = try parseBody(until: ["endif"])
                try expectBlockEnd()
                return .ifNode(branches, elseBody, line: line)
            default:
                try expectBlockEnd()
                return .ifNode(branches, nil, line: line)
            }
        }
    }

    private mutating func parseFor(line: Int) throws -> Node {
        let target = try parseAssignTarget(allowTuple: true)
        guard isName("in") else { throw JinjaError.syntax("expected token 'in', got '\(describe(current.kind))'", line: current.line) }
        advance()
        let iterable = try parseTuple(allowEmpty: false, withCondexpr: false)
        var filter: Expr? = nil
        if isName("if") {
            advance()
            filter = try parseExpression()
        }
        var recursive = false
        if isName("recursive") { advance(); recursive = true }
        try expectBlockEnd()
        loopDepth += 1
        let (body, end) = try parseBody(until: ["endfor", "else"])
        loopDepth -= 1
        var elseBody: [Node]? = nil
        if end == "else" {
            try expectBlockEnd()
            elseBody = try parseBody(until: ["endfor"]).0
        }
        try expectBlockEnd()
        return .forNode(target, iterable, filter: filter, body: body, elseBody: elseBody, recursive: recursive, line: line)
    }

    private mutating func parseSet(line: Int) throws -> Node {
        let target = try parseAssignTarget(allowTuple: true, allowAttribute: true)
        if isOp("=") {
            advance()
            let value = try parseTuple(allowEmpty: false)
            try expectBlockEnd()
            return .set(target, value, line: line)
        }
        var filters: [(String, [Expr], [(String, Expr)])] = []
        if isOp("|") { filters = try parseFilterChain(leadingPipe: true) }
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endset"])
        try expectBlockEnd()
        return .setBlock(target, filters: filters, body: body, line: line)
    }

    private mutating func parseSignature() throws -> [(String, Expr?)] {
        var params: [(String, Expr?)] = []
        try expectOp("(")
        while !isOp(")") {
            if !params.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let name = try expectName()
            var defaultValue: Expr? = nil
            if isOp("=") { advance(); defaultValue = try parseExpression() }
            params.append((name, defaultValue))
        }
        try expectOp(")")
        return params
    }

    private mutating func parseMacro(line: Int) throws -> Node {
        let name = try expectName()
        let params = try parseSignature()
        try expectBlockEnd()
        let savedDepth = loopDepth
        loopDepth = 0
        let (body, _) = try parseBody(until: ["endmacro"])
        loopDepth = savedDepth
        try expectBlockEnd()
        return .macro(MacroDefinition(name: name, params: params, body: body), line: line)
    }

    private mutating func parseCall(line: Int) throws -> Node {
        var callerParams: [(String, Expr?)] = []
        if isOp("(") { callerParams = try parseSignature() }
        let call = try parseExpression()
        guard case .call = call else { throw JinjaError.syntax("expected call", line: line) }
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endcall"])
        try expectBlockEnd()
        return .callBlock(call, callerParams: callerParams, body: body, line: line)
    }

    private mutating func parseFilterChain(leadingPipe: Bool = false) throws -> [(String, [Expr], [(String, Expr)])] {
        var filters: [(String, [Expr], [(String, Expr)])] = []
        var first = !leadingPipe
        while first || isOp("|") {
            if !first || leadingPipe { if isOp("|") { advance() } }
            first = false
            let line = current.line
            var name = try expectName()
            while isOp(".") { advance(); name += "." + (try expectName()) }
            try Parser.checkFilter(name, line: line)
            var args: [Expr] = []
            var kwargs: [(String, Expr)] = []
            if isOp("(") { (args, kwargs) = try parseCallArgs() }
            filters.append((name, args, kwargs))
        }
        return filters
    }

    private mutating func parseAssignTarget(allowTuple: Bool = true, allowAttribute: Bool = false) throws -> Target {
        func one(_ p: inout Parser) throws -> Target {
            let line = p.current.line
            let name = try p.expectName()
            if allowAttribute, p.isOp(".") {
                p.advance()
                return .attribute(name, try p.expectName())
            }
            if ["true", "false", "none", "True", "False", "None"].contains(name) {
                throw JinjaError.syntax("Can't assign to constant", line: line)
            }
            return .name(name)
        }
        if isOp("(") {
            advance()
            var items: [Target] = []
            while !isOp(")") {
                if !items.isEmpty { try expectOp(",") }
                if isOp(")") { break }
                items.append(try parseAssignTarget(allowTuple: true))
            }
            try expectOp(")")
            return .tuple(items)
        }
        let first = try one(&self)
        guard allowTuple, isOp(",") else { return first }
        var items = [first]
        while isOp(",") {
            advance()
            if !(current.kind == .name("in")) && !isOp("=") { items.append(try one(&self)) }
        }
        return .tuple(items)
    }

    // MARK: expressions

    /// An expression, or a comma-separated tuple of them (`{{ a, b }}`, `{% set a, b = 1, 2 %}`).
    private mutating func parseTuple(allowEmpty: Bool, withCondexpr: Bool = true) throws -> Expr {
        let line = current.line
        var items: [Expr] = []
        var sawComma = false
        while true {
            if !items.isEmpty {
                guard isOp(",") else { break }
                advance()
                sawComma = true
            }
            if case .variableEnd = current.kind { break }
            if case .blockEnd = current.kind { break }
            if isOp(")") || isName("in") && !items.isEmpty { break }
            items.append(withCondexpr ? try parseExpression() : try parseOr())
        }
        if items.isEmpty && !allowEmpty {
            throw JinjaError.syntax("Expected an expression, got '\(describe(current.kind))'", line: line)
        }
        if items.count == 1 && !sawComma { return items[0] }
        return .tuple(items)
    }

    mutating func parseExpression() throws -> Expr {
        try enter()
        defer { nesting -= 1 }
        let expr = try parseOr()
        if isName("if") {
            advance()
            let condition = try parseOr()
            var otherwise: Expr? = nil
            if isName("else") {
                advance()
                otherwise = try parseExpression()
            }
            return .conditional(condition, expr, otherwise)
        }
        return expr
    }

    private mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        while isName("or") { advance(); left = .or(left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        while isName("and") { advance(); left = .and(left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws -> Expr {
        try enter()
        defer { nesting -= 1 }
        if isName("not") {
            let line = current.line
            advance()
            return .unary("not", try parseNot(), line: line)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> Expr {
        let line = current.line
        let left = try parseMath1()
        var ops: [(String, Expr)] = []
        while true {
            if case .op(let o) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                advance()
                ops.append((o, try parseMath1()))
            } else if isName("in") {
                advance()
                ops.append(("in", try parseMath1()))
            } else if isName("not"), case .name("in") = peekNext.kind {
                advance(); advance()
                ops.append(("notin", try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? left : .compare(left, ops, line: line)
    }

    private mutating func parseMath1() throws -> Expr {
        var left = try parseConcat()
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            let line = current.line
            advance()
            left = .binary(o, left, try parseConcat(), line: line)
        }
        return left
    }

    private mutating func parseConcat() throws -> Expr {
        let line = current.line
        var args = [try parseMath2()]
        while isOp("~") { advance(); args.append(try parseMath2()) }
        return args.count == 1 ? args[0] : .concat(args, line: line)
    }

    private mutating func parseMath2() throws -> Expr {
        var left = try parsePow()
        while case .op(let o) = current.kind, ["*", "/", "//", "%"].contains(o) {
            let line = current.line
            advance()
            left = .binary(o, left, try parsePow(), line: line)
        }
        return left
    }

    private mutating func parsePow() throws -> Expr {
        var left = try parseUnary()
        while isOp("**") {
            let line = current.line
            advance()
            left = .binary("**", left, try parseUnary(), line: line)
        }
        return left
    }

    private mutating func parseUnary(withFilter: Bool = true) throws -> Expr {
        try enter()
        defer { nesting -= 1 }
        let line = current.line
        var node: Expr
        if isOp("-") {
            advance()
            node = .unary("-", try parseUnary(withFilter: false), line: line)
        } else if isOp("+") {
            advance()
            node = .unary("+", try parseUnary(withFilter: false), line: line)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpr(node) }
        return node
    }

    private mutating func parsePrimary() throws -> Expr {
        let token = current
        switch token.kind {
        case .name(let n):
            advance()
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n, line: token.line)
            }
        case .string(var s):
            advance()
            while case .string(let more) = current.kind { s += more; advance() }
            return .literal(.string(s))
        case .integer(let i):
            advance()
            return .literal(.int(i))
        case .float(let f):
            advance()
            return .literal(.float(f))
        case .op("("):
            advance()
            if isOp(")") { advance(); return .tuple([]) }
            let first = try parseExpression()
            if isOp(")") { advance(); return first }
            var items = [first]
            while isOp(",") {
                advance()
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return .tuple(items)
        case .op("["):
            advance()
            var items: [Expr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            advance()
            var items: [(Expr, Expr)] = []
            while !isOp("}") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                items.append((key, try parseExpression()))
            }
            try expectOp("}")
            return .dict(items)
        default:
            throw JinjaError.syntax("unexpected '\(describe(token.kind))'", line: token.line)
        }
    }

    private mutating func parsePostfix(_ start: Expr) throws -> Expr {
        var node = start
        while true {
            let line = current.line
            if isOp(".") {
                advance()
                switch current.kind {
                case .name(let n):
                    advance()
                    node = .attribute(node, n, line: line)
                case .integer(let i):
                    advance()
                    node = .item(node, .literal(.int(i)), line: line)
                default:
                    throw JinjaError.syntax("expected name or number", line: line)
                }
            } else if isOp("[") {
                advance()
                node = try parseSubscript(node, line: line)
            } else if isOp("(") {
                let (args, kwargs) = try parseCallArgs()
                node = .call(node, args, kwargs, line: line)
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ target: Expr, line: Int) throws -> Expr {
        var parts: [Expr?] = []
        var current: Expr? = nil
        var isSlice = false
        while !isOp("]") {
            if isOp(":") {
                isSlice = true
                parts.append(current)
                current = nil
                advance()
            } else {
                current = try parseExpression()
            }
        }
        advance()
        if !isSlice {
            guard let index = current else { throw JinjaError.syntax("expected subscript expression", line: line) }
            return .item(target, index, line: line)
        }
        parts.append(current)
        while parts.count < 3 { parts.append(nil) }
        return .slice(target, parts[0], parts[1], parts[2], line: line)
    }

    private mutating func parseCallArgs() throws -> ([Expr], [(String, Expr)]) {
        try expectOp("(")
        var args: [Expr] = []
        var kwargs: [(String, Expr)] = []
        while !isOp(")") {
            if !args.isEmpty || !kwargs.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            if case .name(let n) = current.kind, case .op("=") = peekNext.kind {
                advance(); advance()
                kwargs.append((n, try parseExpression()))
            } else {
                if !kwargs.isEmpty { throw JinjaError.syntax("positional argument follows keyword argument", line: current.line) }
                args.append(try parseExpression())
            }
        }
        try expectOp(")")
        return (args, kwargs)
    }

    private mutating func parseFilterExpr(_ start: Expr) throws -> Expr {
        var node = start
        while true {
            let line = current.line
            if isOp("|") {
                advance()
                var name = try expectName()
                while isOp(".") { advance(); name += "." + (try expectName()) }
                try Parser.checkFilter(name, line: line)
                var args: [Expr] = []
                var kwargs: [(String, Expr)] = []
                if isOp("(") { (args, kwargs) = try parseCallArgs() }
                node = .filter(node, name, args, kwargs, line: line)
            } else if isName("is") {
                advance()
                var negated = false
                if isName("not") { advance(); negated = true }
                var name = try expectName()
                while isOp(".") { advance(); name += "." + (try expectName()) }
                guard JinjaTests.known.contains(name) else {
                    throw JinjaError("TemplateAssertionError", "No test named '\(name)'.", line: line)
                }
                var args: [Expr] = []
                var kwargs: [(String, Expr)] = []
                if isOp("(") {
                    (args, kwargs) = try parseCallArgs()
                } else {
                    var takesArgument = false
                    switch current.kind {
                    case .name(let n): takesArgument = !["else", "or", "and"].contains(n)
                    case .string, .integer, .float, .op("("), .op("["), .op("{"): takesArgument = true
                    case .op("-"): takesArgument = false
                    default: break
                    }
                    if takesArgument {
                        var arg = try parsePrimary()
                        arg = try parsePostfix(arg)
                        args = [arg]
                    }
                }
                node = .test(node, name, args, kwargs, negated: negated, line: line)
            } else if isOp("(") {
                let (args, kwargs) = try parseCallArgs()
                node = .call(node, args, kwargs, line: line)
            } else {
                return node
            }
        }
    }

    private static func checkFilter(_ name: String, line: Int) throws {
        guard Filters.known.contains(name) else {
            throw JinjaError("TemplateAssertionError", "No filter named '\(name)'.", line: line)
        }
    }
}

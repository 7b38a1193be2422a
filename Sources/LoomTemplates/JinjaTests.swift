/// jinja2's built-in tests (`x is defined`, `x is string`, `x is equalto y`, …; `jinja2/tests.py`).
enum JinjaTests {
    static let known: Set<String> = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "==", "escaped", "even", "false", "filter",
        "float", "ge", ">=", "greaterthan", "gt", ">", "in", "integer", "iterable", "le", "<=", "lessthan", "lt", "<",
        "lower", "mapping", "ne", "!=", "none", "number", "odd", "sameas", "sequence", "string", "test", "true",
        "undefined", "upper",
    ]

    static func apply(_ name: String, _ v: Value, _ args: [Value], _ kwargs: [(String, Value)], _ ev: Evaluator) throws -> Bool {
        func other() throws -> Value {
            if let a = args.first { return a }
            if let k = kwargs.first { return k.1 }
            throw JinjaError.type("test '\(name)' requires an argument")
        }
        func integer(_ x: Value) throws -> Int {
            if case .undefined(let u) = x { throw u.error }
            guard case .int(let i)? = x.numeric else {
                if case .float(let d) = x { return Int(d) }
                throw JinjaError.type("not all arguments converted during string formatting")
            }
            return i
        }
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": if case .none = v { return true }; return false
        case "boolean": if case .bool = v { return true }; return false
        case "true": if case .bool(true) = v { return true }; return false
        case "false": if case .bool(false) = v { return true }; return false
        case "integer": if case .int = v { return true }; return false
        case "float": if case .float = v { return true }; return false
        case "number": return v.numeric != nil
        case "string": if case .string = v { return true }; return false
        case "mapping": if case .dict = v { return true }; return false
        case "sequence":
            switch v {
            case .string, .list, .tuple, .dict, .undefined: return true
            default: return false
            }
        case "iterable":
            switch v {
            case .string, .list, .tuple, .dict, .undefined, .namespace: return true
            default: return false
            }
        case "callable":
            switch v {
            case .function, .undefined: return true
            default: return false
            }
        case "escaped": return false
        case "lower":
            let s = pythonStr(v).unicodeScalars.filter { $0.properties.isCased }
            return !s.isEmpty && s.allSatisfy { $0.properties.isLowercase }
        case "upper":
            let s = pythonStr(v).unicodeScalars.filter { $0.properties.isCased }
            return !s.isEmpty && s.allSatisfy { $0.properties.isUppercase }
        case "even": return try integer(v) % 2 == 0
        case "odd": return try integer(v) % 2 != 0
        case "divisibleby":
            let d = try integer(try other())
            if d == 0 { throw JinjaError("ZeroDivisionError", "integer modulo by zero") }
            return try integer(v) % d == 0
        case "eq", "equalto", "==": return pyEqual(v, try other())
        case "ne", "!=": return !pyEqual(v, try other())
        case "lt", "lessthan", "<": return try Operators.less(v, try other(), orEqual: false)
        case "le", "<=": return try Operators.less(v, try other(), orEqual: true)
        case "gt", "greaterthan", ">": return try Operators.less(try other(), v, orEqual: false)
        case "ge", ">=": return try Operators.less(try other(), v, orEqual: true)
        case "in": return try Operators.contains(try other(), v)
        case "sameas":
            let o = try other()
            switch (v, o) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.int(let a), .int(let b)): return a == b && (-5...256).contains(a)
            case (.namespace(let a), .namespace(let b)): return a === b
            case (.function(let a), .function(let b)): return a === b
            default: return false
            }
        case "filter":
            if case .string(let s) = v { return Filters.known.contains(s) }
            return false
        case "test":
            if case .string(let s) = v { return known.contains(s) }
            return false
        default:
            throw JinjaError("TemplateRuntimeError", "No test named '\(name)'.")
        }
    }
}

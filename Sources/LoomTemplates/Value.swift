import LoomJSON

/// A runtime value, modelled on the Python objects jinja2 works with.
enum Value {
    /// jinja2's `Undefined`: prints as "", iterates as empty, is falsy; most other uses raise `error`.
    case undefined(Undefined)
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([Value])
    case tuple([Value])
    case dict(PyDict)
    case namespace(Namespace)
    case function(Function)
    case loop(LoopState)
}

/// Why a value is undefined, and the error using it raises (`UndefinedError`, or `SecurityError` for unsafe attributes).
struct Undefined {
    var kind: String = "UndefinedError"
    var message: String

    var error: JinjaError { JinjaError(kind, message) }

    static func named(_ name: String) -> Value { .undefined(Undefined(message: "'\(name)' is undefined")) }
    static func attribute(of object: Value, _ name: String) -> Value {
        .undefined(Undefined(message: "'\(object.typeName) object' has no attribute '\(name)'"))
    }
    static func element(of object: Value, _ key: Value) -> Value {
        .undefined(Undefined(message: "\(object.typeName) object has no element \(pythonRepr(key))"))
    }
}

/// An insertion-ordered dictionary with Python key equality (linear lookups: chat data is small).
struct PyDict {
    var keys: [Value] = []
    var values: [Value] = []

    func index(of key: Value) -> Int? { keys.firstIndex { pyEqual($0, key) } }
    subscript(key: Value) -> Value? { index(of: key).map { values[$0] } }
    subscript(string key: String) -> Value? {
        for (i, k) in keys.enumerated() { if case .string(let s) = k, stringsEqual(s, key) { return values[i] } }
        return nil
    }
    mutating func set(_ key: Value, _ value: Value) {
        if let i = index(of: key) { values[i] = value } else { keys.append(key); values.append(value) }
    }
    var count: Int { keys.count }
}

/// `namespace(...)`: the only mutable object templates get (`{% set ns.x = … %}`).
final class Namespace {
    var attributes = PyDict()
}

/// A callable: globals (`range`, `namespace`, …), bound methods (`'a'.upper`), macros and `caller`.
final class Function {
    let name: String
    let body: (_ args: [Value], _ kwargs: [(String, Value)]) throws -> Value

    init(_ name: String, _ body: @escaping (_ args: [Value], _ kwargs: [(String, Value)]) throws -> Value) {
        self.name = name
        self.body = body
    }
}

/// The `loop` variable of a `for` loop.
final class LoopState {
    let items: [Value]
    var index0 = 0
    let depth0: Int

    init(items: [Value], depth0: Int) {
        self.items = items
        self.depth0 = depth0
    }
}

extension Value {
    /// The Python type name (`NoneType`, `int`, `str`, …) used in error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .function: return "function"
        case .loop: return "LoopContext"
        }
    }

    var isUndefined: Bool { if case .undefined = self { return true }; return false }

    /// Python truthiness.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let f): return f != 0
        case .string(let s): return !s.isEmpty
        case .list(let l), .tuple(let l): return !l.isEmpty
        case .dict(let d): return d.count > 0
        case .namespace, .function, .loop: return true
        }
    }

    /// The value converted from JSON input. Numbers without a fractional part (and below 2^53) become ints:
    /// JSON cannot tell `1` from `1.0` once parsed into `JSONValue`.
    init(json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .number(let d):
            if d.rounded() == d, abs(d) < 9.007_199_254_740_992e15 { self = .int(Int(d)) } else { self = .float(d) }
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(Value.init(json:)))
        case .object(let o):
            var d = PyDict()
            for (k, v) in zip(o.keys, o.values) { d.set(.string(k), Value(json: v)) }
            self = .dict(d)
        }
    }

    /// The elements of an iterable (list/tuple items, dict keys, string scalars); `TypeError` otherwise.
    func iterate() throws -> [Value] {
        switch self {
        case .undefined: return []
        case .list(let l), .tuple(let l): return l
        case .dict(let d): return d.keys
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .namespace(let n): return n.attributes.keys
        default: throw JinjaError.type("'\(typeName)' object is not iterable")
        }
    }

    /// Python `len()`.
    func length() throws -> Int {
        switch self {
        case .undefined: return 0
        case .list(let l), .tuple(let l): return l.count
        case .dict(let d): return d.count
        case .string(let s): return s.unicodeScalars.count
        default: throw JinjaError.type("object of type '\(typeName)' has no len()")
        }
    }
}

/// Scalar-wise string equality (Python compares code points; Swift's `==` uses canonical equivalence).
func stringsEqual(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }

/// Python `==`.
func pyEqual(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.undefined, .undefined): return true
    case (.undefined, _), (_, .undefined): return false
    case (.none, .none): return true
    case (.string(let x), .string(let y)): return stringsEqual(x, y)
    case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { pyEqual($0, $1) }
    case (.dict(let x), .dict(let y)):
        guard x.count == y.count else { return false }
        for (k, v) in zip(x.keys, x.values) {
            guard let other = y[k], pyEqual(v, other) else { return false }
        }
        return true
    case (.namespace(let x), .namespace(let y)): return x === y
    case (.function(let x), .function(let y)): return x === y
    case (.loop(let x), .loop(let y)): return x === y
    default:
        if let x = a.numeric, let y = b.numeric {
            switch (x, y) {
            case (.int(let i), .int(let j)): return i == j
            default: return x.double == y.double
            }
        }
        return false
    }
}

enum Numeric {
    case int(Int)
    case double(Double)
    var double: Double {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        }
    }
}

extension Value {
    /// The value as a Python number (bools are ints), or nil.
    var numeric: Numeric? {
        switch self {
        case .bool(let b): return .int(b ? 1 : 0)
        case .int(let i): return .int(i)
        case .float(let f): return .double(f)
        default: return nil
        }
    }
}

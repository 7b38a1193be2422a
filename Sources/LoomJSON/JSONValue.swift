/// A parsed JSON node, read by `JSONParser`, written by `JSONWriter`.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    public var stringValue: String? {
        if case let .string(value) = self { return value }
        return nil
    }

    /// The value as an integer, if it is a number without a fractional part.
    public var intValue: Int? {
        guard case let .number(value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }

    public var boolValue: Bool? {
        if case let .bool(value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case let .array(value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case let .object(value) = self { return value }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A JSON object with its members in document order (lookups are linear; big objects are iterated instead).
public struct JSONObject: Sendable, Equatable {
    public var keys: [String] = []
    public var values: [JSONValue] = []

    /// An empty object.
    public init() {}

    /// The value of the last member named `key`.
    public subscript(key: String) -> JSONValue? {
        guard let index = keys.lastIndex(of: key) else { return nil }
        return values[index]
    }
}

/// A parsed JSON node (the subset of a document the tokenizer files need, read by `JSONParser`).
enum JSONValue {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name, for error messages.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    var stringValue: String? {
        if case let .string(value) = self { return value }
        return nil
    }

    /// The value as an integer, if it is a number without a fractional part.
    var intValue: Int? {
        guard case let .number(value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }

    var boolValue: Bool? {
        if case let .bool(value) = self { return value }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case let .array(value) = self { return value }
        return nil
    }

    var objectValue: JSONObject? {
        if case let .object(value) = self { return value }
        return nil
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A JSON object with its members in document order (lookups are linear; big objects are iterated instead).
struct JSONObject {
    var keys: [String] = []
    var values: [JSONValue] = []

    /// The value of the last member named `key`.
    subscript(key: String) -> JSONValue? {
        guard let index = keys.lastIndex(of: key) else { return nil }
        return values[index]
    }
}

extension JSONObject {
    /// An object with `members` in the given order.
    public init(_ members: KeyValuePairs<String, JSONValue>) {
        for (key, value) in members { append(key, value) }
    }

    /// Adds a member at the end (or replaces the value of an existing `key` in place, keeping its position).
    public mutating func append(_ key: String, _ value: JSONValue) {
        if let index = keys.lastIndex(of: key) {
            values[index] = value
        } else {
            keys.append(key)
            values.append(value)
        }
    }

    /// Removes the member named `key`, if there is one.
    public mutating func remove(_ key: String) {
        while let index = keys.lastIndex(of: key) {
            keys.remove(at: index)
            values.remove(at: index)
        }
    }
}

extension JSONValue {
    /// An integer number.
    public static func int(_ value: Int) -> JSONValue { .number(Double(value)) }
}

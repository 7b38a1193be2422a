/// Decoding helpers shared by the `preprocessor_config.json` mirrors, where an absent key takes the class default.
extension KeyedDecodingContainer {
    /// The value under `key`, or `fallback` when the key is absent or null.
    func decode<T: Decodable>(_ key: Key, or fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// A list of per-channel values under `key`, or one number meaning the same for all three channels (as
    /// transformers allows); `fallback` when the key is absent or null.
    func decodePerChannel(_ key: Key, or fallback: [Double]) throws -> [Double] {
        if let single = try? decodeIfPresent(Double.self, forKey: key) { return [single, single, single] }
        return try decodeIfPresent([Double].self, forKey: key) ?? fallback
    }
}

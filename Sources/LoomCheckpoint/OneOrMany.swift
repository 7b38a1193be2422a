extension KeyedDecodingContainer {
    /// A field that transformers writes either as one integer or as a list (`eos_token_id`, `vision_feature_layer`):
    /// always a list, or nil when the field is absent or null.
    public func decodeOneOrMany(_ key: Key) throws -> [Int]? {
        if let single = try? decodeIfPresent(Int.self, forKey: key) { return [single] }
        return try decodeIfPresent([Int].self, forKey: key)
    }
}

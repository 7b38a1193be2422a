/// Decodes ids one at a time for streaming output. Each `push` returns only complete characters: the bytes of a
/// multi-byte character split across tokens are held until it is whole. The concatenation of every `push` and the
/// final `finish` equals `Tokenizer.decode` of all the ids.
public struct StreamingDecoder: Sendable {
    private let tokenizer: Tokenizer
    private let skipSpecialTokens: Bool
    private var pending: [UInt8] = []

    init(tokenizer: Tokenizer, skipSpecialTokens: Bool) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one id and returns the text that is now complete (possibly empty).
    public mutating func push(_ id: Int) -> String {
        tokenizer.appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &pending)
        let settled = UTF8Scanning.settledPrefixLength(pending)
        guard settled > 0 else { return "" }
        let text = String(decoding: pending[..<settled], as: UTF8.self)
        pending.removeSubrange(..<settled)
        return text
    }

    /// Returns whatever is held back (an incomplete character decodes to U+FFFD) and empties the decoder.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }
}

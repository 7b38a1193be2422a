/// A token's log-probability and the most likely alternatives at its position.
public struct TokenLogprob: Sendable, Equatable, Codable {
    /// An alternative token and its log-probability.
    public struct Alternative: Sendable, Equatable, Codable {
        public let tokenID: Int
        public let logprob: Float
        enum CodingKeys: String, CodingKey { case tokenID = "token_id", logprob }
    }
    public let tokenID: Int
    public let logprob: Float
    public let top: [Alternative]
    enum CodingKeys: String, CodingKey { case tokenID = "token_id", logprob, top }
}

/// One generated token as it streams out.
public struct GeneratedToken: Sendable, Equatable {
    /// The token id.
    public let id: Int
    /// Text that became printable with this token (may be empty while a character or a possible stop string is incomplete).
    public let text: String
    /// Its log-probability, when requested.
    public let logprob: TokenLogprob?
}

/// Why generation ended.
public enum FinishReason: String, Sendable, Codable {
    /// An end-of-sequence token was produced.
    case endOfSequence = "eos"
    /// A stop string appeared in the text.
    case stopString = "stop"
    /// The token budget was spent.
    case maxTokens = "length"
    /// The model's context is full.
    case contextFull = "context"
}

/// Wall-clock time of each stage, in milliseconds.
public struct GenerationTimings: Sendable, Equatable, Codable {
    public var loadMs: Double = 0
    /// Time a request waited before it was admitted to run.
    public var queueMs: Double = 0
    /// Time from submission to the first generated token.
    public var firstTokenMs: Double = 0
    /// Time spent on inputs other than text (e.g. encoding images), part of the time to first token.
    public var encodeMs: Double = 0
    public var prefillMs: Double = 0
    public var decodeMs: Double = 0
    public var prefillTokens = 0
    public var decodeTokens = 0

    public init() {}

    /// Prompt positions processed per second.
    public var prefillTokensPerSecond: Double { prefillMs > 0 ? Double(prefillTokens) / (prefillMs / 1000) : 0 }
    /// Tokens generated per second after the first.
    public var decodeTokensPerSecond: Double { decodeMs > 0 ? Double(decodeTokens) / (decodeMs / 1000) : 0 }
}

/// The outcome of one generation.
public struct GenerationResult: Sendable, Equatable {
    /// The generated text, cut before any stop string.
    public var text: String
    /// Generated token ids (the end-of-sequence token excluded).
    public var tokenIDs: [Int]
    /// Log-probabilities of the generated tokens, when requested.
    public var logprobs: [TokenLogprob]
    public var finishReason: FinishReason
    public var timings: GenerationTimings
}

/// How to pick tokens and when to stop.
public struct GenerationParameters: Sendable, Equatable {
    /// Most tokens to generate.
    public var maxNewTokens = 256
    /// Softmax temperature; 0 means greedy (arg-max) decoding.
    public var temperature: Float = 0
    /// Keep only the `topK` most likely tokens when sampling (0 = all).
    public var topK = 0
    /// Keep the smallest set of tokens whose probability reaches `topP` when sampling (1 = all).
    public var topP: Float = 1
    /// Seed of the sampler; the same seed, model and prompt give the same tokens.
    public var seed: UInt64 = 0
    /// Token ids that end generation (not emitted as text).
    public var eosTokenIDs: [Int] = []
    /// Strings that end generation; the text stops before the first occurrence.
    public var stopStrings: [String] = []
    /// How many most-likely alternatives to report with each token's log-probability (nil = no log-probabilities).
    public var topLogprobs: Int?

    public init(maxNewTokens: Int = 256, temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0,
                eosTokenIDs: [Int] = [], stopStrings: [String] = [], topLogprobs: Int? = nil) {
        self.maxNewTokens = maxNewTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.eosTokenIDs = eosTokenIDs
        self.stopStrings = stopStrings
        self.topLogprobs = topLogprobs
    }

    /// Checks the values are usable, naming the first that is not.
    public func validate() throws {
        guard maxNewTokens >= 0 else { throw GenerationError.invalidParameter("max new tokens must be ≥ 0, is \(maxNewTokens)") }
        guard temperature >= 0, temperature.isFinite else { throw GenerationError.invalidParameter("temperature must be ≥ 0, is \(temperature)") }
        guard topK >= 0 else { throw GenerationError.invalidParameter("top-k must be ≥ 0, is \(topK)") }
        guard topP > 0, topP <= 1 else { throw GenerationError.invalidParameter("top-p must be in (0, 1], is \(topP)") }
        if let k = topLogprobs, k < 0 || k > 20 { throw GenerationError.invalidParameter("logprobs must be in 0...20, is \(k)") }
    }
}

/// Why generation could not run.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
    case invalidParameter(String)
    case emptyPrompt
    case promptTooLong(tokens: Int, limit: Int)

    public var description: String {
        switch self {
        case .invalidParameter(let reason): return reason
        case .emptyPrompt: return "empty prompt: nothing to generate from"
        case .promptTooLong(let tokens, let limit):
            return "prompt has \(tokens) tokens but the model's context holds \(limit)"
        }
    }
}

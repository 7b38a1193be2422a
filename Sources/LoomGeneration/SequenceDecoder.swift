import Foundation
import LoomCore
import LoomTokenizers

/// The token-by-token state of one generating sequence: its sampler (and random state), streaming detokenizer,
/// stop strings, end-of-sequence ids, log-probabilities and finish reason. Whoever runs the decoder feeds it one
/// row of logits per step; it never touches the model, so many sequences can advance in one batched step.
public struct SequenceDecoder: Sendable {
    public let parameters: GenerationParameters
    /// Prompt positions before the first generated token.
    public let promptPositions: Int
    /// The model's context length.
    public let contextLength: Int
    /// Generated token ids (the end-of-sequence token excluded).
    public private(set) var ids: [Int] = []
    /// Log-probabilities of the generated tokens, when requested.
    public private(set) var logprobs: [TokenLogprob] = []
    /// The text so far, cut before any stop string.
    public private(set) var text = ""
    /// Why generation ended; nil while it goes on.
    public private(set) var finishReason: FinishReason?
    private var sampler: Sampler
    private var detokenizer: StreamingDecoder?
    private var stops: StopStringFilter
    private let eos: Set<Int>

    /// A decoder for a prompt of `promptPositions` positions; `tokenizer` nil streams no text (stop strings need one).
    public init(parameters: GenerationParameters, promptPositions: Int, contextLength: Int, tokenizer: Tokenizer?) throws {
        try parameters.validate()
        guard promptPositions > 0 else { throw GenerationError.emptyPrompt }
        guard promptPositions <= contextLength else {
            throw GenerationError.promptTooLong(tokens: promptPositions, limit: contextLength)
        }
        if tokenizer == nil && !parameters.stopStrings.isEmpty {
            throw GenerationError.invalidParameter("stop strings need a tokenizer")
        }
        self.parameters = parameters
        self.promptPositions = promptPositions
        self.contextLength = contextLength
        sampler = Sampler(parameters: parameters)
        detokenizer = tokenizer?.makeStreamingDecoder(skipSpecialTokens: true)
        stops = StopStringFilter(stops: parameters.stopStrings)
        eos = Set(parameters.eosTokenIDs)
        if parameters.maxNewTokens == 0 { finishReason = .maxTokens }
    }

    /// Positions the sequence will hold at most: the prompt plus every token it may generate, within the context.
    public var reservedPositions: Int { min(promptPositions + parameters.maxNewTokens, contextLength) }

    /// Whether the sequence wants another row of logits.
    public var isFinished: Bool { finishReason != nil }

    /// Takes the logits after the last position: picks the next token and returns what it added to the stream
    /// (nil for an end-of-sequence token). When generation ends here ``finishReason`` is set and ``finish()`` gives
    /// the text still held back.
    public mutating func accept(_ logits: ArraySlice<Float>) -> GeneratedToken? {
        precondition(finishReason == nil, "SequenceDecoder: generation has ended")
        let id = sampler.next(logits)
        if eos.contains(id) {
            finishReason = .endOfSequence
            return nil
        }
        let logprob = parameters.topLogprobs.map { SequenceDecoder.logprob(of: id, in: logits, top: $0) }
        ids.append(id)
        if let logprob { logprobs.append(logprob) }
        let piece = stops.push(detokenizer?.push(id) ?? "")
        text += piece
        if stops.stopped {
            finishReason = .stopString
        } else if ids.count == parameters.maxNewTokens {
            finishReason = .maxTokens
        } else if promptPositions + ids.count - 1 >= contextLength {
            finishReason = .contextFull
        }
        return GeneratedToken(id: id, text: piece, logprob: logprob)
    }

    /// The text held back once generation has ended (an incomplete character, the start of a possible stop string),
    /// as a token of id −1; nil when there is none.
    public mutating func finish() -> GeneratedToken? {
        guard finishReason != .stopString else { return nil }
        let tail = stops.push(detokenizer?.finish() ?? "") + stops.flush()
        if stops.stopped { finishReason = .stopString }
        guard !tail.isEmpty else { return nil }
        text += tail
        return GeneratedToken(id: -1, text: tail, logprob: nil)
    }

    /// The outcome so far, with `timings`.
    public func result(timings: GenerationTimings) -> GenerationResult {
        GenerationResult(text: text, tokenIDs: ids, logprobs: logprobs, finishReason: finishReason ?? .maxTokens, timings: timings)
    }

    /// The log-probability of `id` and the `top` most likely tokens under `logits`.
    static func logprob(of id: Int, in logits: ArraySlice<Float>, top: Int) -> TokenLogprob {
        let logSoftmax = Ops.logSoftmax(logits)
        var best: [TokenLogprob.Alternative] = []
        if top > 0 {
            let order = logSoftmax.indices.sorted { logSoftmax[$0] > logSoftmax[$1] || (logSoftmax[$0] == logSoftmax[$1] && $0 < $1) }
            best = order.prefix(top).map { TokenLogprob.Alternative(tokenID: $0, logprob: logSoftmax[$0]) }
        }
        return TokenLogprob(tokenID: id, logprob: logSoftmax[id], top: best)
    }
}

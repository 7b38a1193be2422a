import Foundation
import LoomCore
import LoomModels
import LoomTokenizers

/// Drives a ``LanguageModel``: prefill of the prompt, then token-by-token decoding with sampling,
/// stop conditions, streaming text and log-probabilities.
public struct Generator: Sendable {
    public let model: any LanguageModel
    public let tokenizer: Tokenizer

    public init(model: any LanguageModel, tokenizer: Tokenizer) {
        self.model = model
        self.tokenizer = tokenizer
    }

    /// Generates after a prompt of token ids.
    public func generate(promptIDs: [Int], parameters: GenerationParameters,
                         onToken: (GeneratedToken) -> Void = { _ in }) throws -> GenerationResult {
        for id in promptIDs where id < 0 || id >= model.vocabularySize {
            throw GenerationError.invalidParameter("token id \(id) is outside the model's vocabulary of \(model.vocabularySize)")
        }
        return try generate(prompt: model.embed(promptIDs), parameters: parameters, onToken: onToken)
    }

    /// Generates after a prompt given as embedding rows (`[positions, hiddenSize]`), e.g. text with image features.
    public func generate(prompt: Tensor, parameters: GenerationParameters,
                         onToken: (GeneratedToken) -> Void = { _ in }) throws -> GenerationResult {
        try parameters.validate()
        guard prompt.rows > 0, prompt.count > 0 else { throw GenerationError.emptyPrompt }
        guard prompt.rows <= model.contextLength else {
            throw GenerationError.promptTooLong(tokens: prompt.rows, limit: model.contextLength)
        }
        var timings = GenerationTimings()
        let cache = model.makeCache()
        cache.reserve(min(prompt.rows + parameters.maxNewTokens, model.contextLength))
        var sampler = Sampler(parameters: parameters)
        var decoder = tokenizer.makeStreamingDecoder(skipSpecialTokens: true)
        var stops = StopStringFilter(stops: parameters.stopStrings)
        let eos = Set(parameters.eosTokenIDs)
        var text = ""
        var ids: [Int] = []
        var logprobs: [TokenLogprob] = []
        var finish = FinishReason.maxTokens

        let prefillStart = DispatchTime.now()
        var logits = model.logits(model.prefill(prompt, cache: cache))
        timings.prefillMs = millisecondsSince(prefillStart)
        timings.prefillTokens = prompt.rows

        let decodeStart = DispatchTime.now()
        while ids.count < parameters.maxNewTokens {
            let row = logits.row(0)
            let id = sampler.next(row)
            if eos.contains(id) { finish = .endOfSequence; break }
            let logprob = parameters.topLogprobs.map { Generator.logprob(of: id, in: row, top: $0) }
            ids.append(id)
            if let logprob { logprobs.append(logprob) }
            let piece = stops.push(decoder.push(id))
            text += piece
            onToken(GeneratedToken(id: id, text: piece, logprob: logprob))
            if stops.stopped { finish = .stopString; break }
            if ids.count == parameters.maxNewTokens { break }
            if cache.length >= model.contextLength { finish = .contextFull; break }
            logits = model.logits(model.forward(model.embed([id]), cache: cache))
            timings.decodeTokens += 1
        }
        if finish != .stopString {
            let tail = stops.push(decoder.finish()) + stops.flush()
            if !tail.isEmpty {
                text += tail
                onToken(GeneratedToken(id: -1, text: tail, logprob: nil))
            }
            if stops.stopped { finish = .stopString }
        }
        timings.decodeMs = millisecondsSince(decodeStart)
        return GenerationResult(text: text, tokenIDs: ids, logprobs: logprobs, finishReason: finish, timings: timings)
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

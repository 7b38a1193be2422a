import Foundation
import LoomGeneration
import LoomTokenizers

/// What one choice produced, built from the engine's events, in the shapes the OpenAI API returns.
struct ChoiceOutput {
    let index: Int
    var text = ""
    var tokens: [GeneratedToken] = []
    var result: GenerationResult?

    /// `stop` (end of sequence or a stop string) or `length`.
    var finishReason: String? {
        guard let result else { return nil }
        switch result.finishReason {
        case .endOfSequence, .stopString: return "stop"
        case .maxTokens, .contextFull: return "length"
        }
    }

    /// Generated tokens (not counting the held-back text that ends a stream).
    var completionTokens: Int { result?.tokenIDs.count ?? tokens.filter { $0.id >= 0 }.count }

    /// A token's entry of chat `logprobs.content`.
    static func chatLogprob(_ logprob: TokenLogprob, tokenizer: Tokenizer) -> [String: Any] {
        func entry(_ id: Int, _ value: Float) -> [String: Any] {
            let bytes = tokenizer.bytes(of: id)
            return ["token": String(decoding: bytes, as: UTF8.self), "logprob": Double(value), "bytes": bytes.map(Int.init)]
        }
        var out = entry(logprob.tokenID, logprob.logprob)
        out["top_logprobs"] = logprob.top.map { entry($0.tokenID, $0.logprob) }
        return out
    }

    /// Chat `logprobs` of `tokens`: `{"content": […], "refusal": null}`.
    static func chatLogprobs(_ tokens: [GeneratedToken], tokenizer: Tokenizer) -> Any {
        let entries = tokens.compactMap { $0.logprob.map { chatLogprob($0, tokenizer: tokenizer) } }
        return entries.isEmpty ? NSNull() : ["content": entries, "refusal": NSNull()] as [String: Any]
    }

    /// Completion `logprobs` of `tokens` (legacy shape), text offsets counted from `offset`.
    static func completionLogprobs(_ tokens: [GeneratedToken], tokenizer: Tokenizer, offset: Int) -> Any {
        let scored = tokens.filter { $0.logprob != nil }
        guard !scored.isEmpty else { return NSNull() }
        var offsets: [Int] = [], position = offset
        for token in scored {
            offsets.append(position)
            position += String(decoding: tokenizer.bytes(of: token.id), as: UTF8.self).count
        }
        return [
            "tokens": scored.map { String(decoding: tokenizer.bytes(of: $0.id), as: UTF8.self) },
            "token_logprobs": scored.map { Double($0.logprob!.logprob) },
            "top_logprobs": scored.map { token -> [String: Double] in
                Dictionary(token.logprob!.top.map { (String(decoding: tokenizer.bytes(of: $0.tokenID), as: UTF8.self), Double($0.logprob)) },
                           uniquingKeysWith: { first, _ in first })
            },
            "text_offset": offsets,
        ] as [String: Any]
    }
}

/// JSON bytes of a JSONSerialization object.
func jsonBytes(_ object: Any) -> Data {
    (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8)
}

import Foundation
import Testing
import LoomCore
import LoomEngine
import LoomModels
import LoomPrompt
import LoomTestSupport
import LoomTokenizers
@testable import LoomGeneration

/// A tiny reference checkpoint with its tokenizer and generation defaults.
struct TinyModel {
    let directory: URL
    let model: any LanguageModel
    let tokenizer: Tokenizer
    let reference: [String: Any]
    let parameters: GenerationParameters

    init(_ name: String) throws {
        directory = Fixtures.url("qwen2/\(name)")
        model = try ModelRegistry.load(directory: directory, compute: .f32).languageModel
        tokenizer = try Tokenizer(directory: directory)
        reference = try Fixtures.referenceJSON(directory)
        parameters = try GenerationConfiguration.load(from: directory).parameters(fallbackEOS: model.eosTokenIDs)
    }

    /// Generates after `promptIDs` through an engine of its own.
    func generate(promptIDs: [Int], parameters: GenerationParameters,
                  onToken: (GeneratedToken) -> Void = { _ in }) throws -> GenerationResult {
        let engine = try Engine(model: model, tokenizer: tokenizer)
        defer { engine.shutdown() }
        return try engine.generate(EngineRequest(prompt: [.tokens(promptIDs)], parameters: parameters), onToken: onToken)
    }
    var chat: [String: Any] { reference["chat"] as! [String: Any] }
}

@Suite struct GenerationTests {
    /// The ChatML prompt tokenizes as transformers' chat template does, and greedy decoding reproduces
    /// `generate(do_sample=False)` token for token (stopping at the same end-of-sequence token).
    @Test(arguments: ["mha-f32", "gqa-f32", "gqa-bf16", "mqa-sharded"])
    func chatGreedyMatchesTransformers(name: String) throws {
        let tiny = try TinyModel(name)
        let text = ChatML.render([.init(role: "user", content: tiny.chat["prompt"] as! String)])
        #expect(text == tiny.chat["rendered"] as? String)
        let ids = tiny.tokenizer.encode(text)
        #expect(ids == Fixtures.ints(tiny.chat, "prompt_ids"))
        var parameters = tiny.parameters
        parameters.maxNewTokens = 32
        let result = try tiny.generate(promptIDs: ids, parameters: parameters)
        var expected = Fixtures.ints(tiny.chat, "greedy_ids")
        if let last = expected.last, tiny.model.eosTokenIDs.contains(last) || parameters.eosTokenIDs.contains(last) {
            expected.removeLast()
            #expect(result.finishReason == .endOfSequence)
        } else {
            #expect(result.finishReason == .maxTokens)
        }
        #expect(result.tokenIDs == expected)
        #expect(result.text == tiny.tokenizer.decode(expected, skipSpecialTokens: true))
    }

    @Test func samplingIsReproducibleBySeed() throws {
        let tiny = try TinyModel("mha-f32")
        let ids = Fixtures.ints(tiny.reference, "prompt_ids")
        var parameters = GenerationParameters(maxNewTokens: 24, temperature: 1.5, topK: 40, topP: 0.95, seed: 7)
        let first = try tiny.generate(promptIDs: ids, parameters: parameters)
        let again = try tiny.generate(promptIDs: ids, parameters: parameters)
        parameters.seed = 8
        let other = try tiny.generate(promptIDs: ids, parameters: parameters)
        #expect(first.tokenIDs.count == 24)
        #expect(first.tokenIDs == again.tokenIDs)
        #expect(first.tokenIDs != other.tokenIDs)
    }

    @Test func topKOfOneIsGreedy() throws {
        let tiny = try TinyModel("gqa-f32")
        let ids = Fixtures.ints(tiny.reference, "prompt_ids")
        let sampled = try tiny.generate(promptIDs: ids, parameters: .init(maxNewTokens: 12, temperature: 0.8, topK: 1, seed: 3))
        let greedy = try tiny.generate(promptIDs: ids, parameters: .init(maxNewTokens: 12))
        #expect(sampled.tokenIDs == greedy.tokenIDs)
        #expect(greedy.tokenIDs == Array(Fixtures.ints(tiny.reference, "greedy_ids").prefix(12)))
    }

    @Test func stopStringCutsTheText() throws {
        let tiny = try TinyModel("mha-f32")
        let ids = Fixtures.ints(tiny.reference, "prompt_ids")
        let full = try tiny.generate(promptIDs: ids, parameters: .init(maxNewTokens: 32))
        let characters = Array(full.text)
        #expect(characters.count > 6)
        let stop = String(characters[4..<6])
        let expected = String(full.text[..<full.text.range(of: stop)!.lowerBound])
        var streamed = ""
        let cut = try tiny.generate(promptIDs: ids, parameters: .init(maxNewTokens: 32, stopStrings: [stop])) {
            streamed += $0.text
        }
        #expect(cut.finishReason == .stopString)
        #expect(cut.text == expected)
        #expect(streamed == expected)
    }

    /// Log-probabilities of the first generated token equal log-softmax of transformers' last-position logits.
    @Test func logprobsMatchReferenceLogits() throws {
        let tiny = try TinyModel("gqa-f32")
        let ids = Fixtures.ints(tiny.reference, "prompt_ids")
        let reference = try Fixtures.referenceTensor(tiny.directory, "logits")
        let last = reference.row(reference.rows - 1).map(Double.init)
        let m = last.max()!
        let logZ = log(last.reduce(0) { $0 + exp($1 - m) }) + m
        let result = try tiny.generate(promptIDs: ids, parameters: .init(maxNewTokens: 3, topLogprobs: 5))
        #expect(result.logprobs.count == 3)
        let first = result.logprobs[0]
        #expect(first.tokenID == result.tokenIDs[0])
        #expect(abs(Double(first.logprob) - (last[first.tokenID] - logZ)) < 1e-4)
        #expect(first.top.count == 5)
        #expect(first.top[0].tokenID == first.tokenID)
        #expect(zip(first.top, first.top.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
        for alternative in first.top {
            #expect(abs(Double(alternative.logprob) - (last[alternative.tokenID] - logZ)) < 1e-4)
        }
    }

    @Test func refusesBadRequests() throws {
        let tiny = try TinyModel("gqa-f32")
        #expect(throws: GenerationError.emptyPrompt) { try tiny.generate(promptIDs: [], parameters: .init()) }
        let long = [Int](repeating: 5, count: tiny.model.contextLength + 1)
        #expect(throws: GenerationError.promptTooLong(tokens: 513, limit: 512)) {
            try tiny.generate(promptIDs: long, parameters: .init())
        }
        #expect(throws: GenerationError.self) { try tiny.generate(promptIDs: [1], parameters: .init(topP: 0)) }
        #expect(throws: EngineError.self) { try tiny.generate(promptIDs: [99_999], parameters: .init()) }
    }

    @Test func stopFilterHoldsBackPossiblePrefixes() {
        var filter = StopStringFilter(stops: ["END"])
        #expect(filter.push("abc E") == "abc ")
        #expect(filter.push("N") == "")
        #expect(filter.push("x") == "ENx")
        #expect(filter.push("yEND tail") == "y")
        #expect(filter.stopped)
        #expect(filter.flush() == "")
    }

    @Test func samplerArgmaxTakesFirstOnTies() {
        #expect(Sampler.argmax([1, 3, 3, 2][...]) == 1)
    }
}

import Foundation
import Testing
import LoomCore
import LoomGeneration
import LoomKit
import LoomMedia
import LoomPrompt
import LoomTestSupport
@testable import LoomEngine

/// A conversation answered in a crowd is answered exactly as alone: the tiny LLaVA fixture, sixteen conversations
/// with different images, lengths, templates, greedy and seeded sampling, stop strings and log-probabilities, some
/// cancelled half-way, against each conversation run by itself — token ids and log-probabilities bit for bit.
@Suite struct CrowdTests {
    static let images = ["astronaut.jpg", "coffee.jpg", "chelsea.jpg", "rocket.jpg", "camera.png"]

    struct Case {
        let conversation: Conversation
        let template: PromptTemplate
        let parameters: GenerationParameters
        /// Cancel after this many tokens.
        let cancelAfter: Int?
    }

    static func image(_ index: Int) -> ImageSource { .file(Fixtures.url("llava/images/\(images[index % images.count])")) }

    static func cases(_ count: Int) -> [Case] {
        (0..<count).map { i in
            let words = Array(repeating: "and then", count: i % 4).joined(separator: " ")
            let parts: [ContentPart] = switch i % 3 {
            case 0: [.text("Describe "), .image(image(i)), .text(" briefly \(words).")]
            case 1: [.text("Compare "), .image(image(i)), .text(" with "), .image(image(i + 2)), .text("? \(words)")]
            default: [.text("Say something \(words) about numbers.")]
            }
            let template: PromptTemplate = [.interleaved, .hf, .llava][i % 3]
            let conversation = template == .hf
                ? Conversation.user(parts.map { if case .text(let t) = $0 { .text(t.trimmingCharacters(in: .whitespaces)) } else { $0 } })
                : Conversation.user(parts)
            var parameters = GenerationParameters(maxNewTokens: 6 + i % 5, topLogprobs: i % 2 == 0 ? 3 : nil)
            if i % 2 == 1 {
                parameters.temperature = 0.9
                parameters.topP = 0.95
                parameters.seed = UInt64(100 + i)
            }
            if i % 4 == 3 { parameters.stopStrings = ["e", "a"] }
            return Case(conversation: conversation, template: template, parameters: parameters, cancelAfter: i % 5 == 4 ? 2 : nil)
        }
    }

    static func compute(_ mode: String) -> ComputeOptions {
        switch mode {
        case "bf16": ComputeOptions(dtype: .bf16)
        case "int8": ComputeOptions(dtype: .bf16, weights: .int8)
        case "int4": ComputeOptions(dtype: .bf16, weights: .int4)
        default: ComputeOptions(dtype: .f32)
        }
    }

    @Test(arguments: ["f32", "bf16", "int8", "int4"])
    func crowdEqualsAlone(mode: String) throws {
        let loom = try LoomModel(directory: Fixtures.url("llava/tiny-84"), compute: Self.compute(mode))
        let cases = Self.cases(16)
        let prompts = try cases.map { try loom.prompt($0.conversation, template: $0.template) }
        let alone = try zip(cases, prompts).map { try loom.generate($1, parameters: $0.parameters) }
        #expect(alone.contains { $0.tokenIDs.count >= 4 })

        let collectors = cases.map { _ in Collector() }
        var ids: [RequestID] = []
        for (index, item) in cases.enumerated() {
            let collector = collectors[index]
            let request = EngineRequest(prompt: try loom.engineInput(prompts[index]), parameters: item.parameters)
            let id = try loom.engine.submit(request) { collector.handle($0) }
            ids.append(id)
            if let limit = item.cancelAfter { collector.onToken = { count in if count == limit { loom.engine.cancel(id) } } }
        }
        for collector in collectors { #expect(collector.wait(seconds: 300)) }
        for (index, item) in cases.enumerated() {
            let collector = collectors[index], solo = alone[index]
            if item.cancelAfter != nil, collector.result == nil {
                #expect(collector.error as? EngineError == .cancelled)
                #expect(Array(solo.tokenIDs.prefix(collector.ids.count)) == collector.ids, "case \(index): cancelled answer is not a prefix")
                continue
            }
            let crowd = try #require(collector.result, "case \(index): \(String(describing: collector.error))")
            #expect(crowd.tokenIDs == solo.tokenIDs, "case \(index) (\(mode))")
            #expect(crowd.logprobs == solo.logprobs, "case \(index) (\(mode))")
            #expect(crowd.text == solo.text && crowd.finishReason == solo.finishReason, "case \(index) (\(mode))")
        }
        #expect(cases.contains { $0.cancelAfter != nil })
        #expect(eventually { loom.engine.reservedBytes == 0 && loom.engine.runningRequests == 0 })
    }

    /// The library example of the README compiles and streams tokens, then the result.
    @Test func readmeLibraryExample() async throws {
        let loom = try LoomModel(directory: Fixtures.url("llava/tiny-84"))
        let chat = Conversation.user([.text("What differs between "), .image(.file(Fixtures.url("llava/images/coffee.jpg"))),
                                      .text(" and "), .image(.file(Fixtures.url("llava/images/chelsea.jpg"))), .text("?")])
        var text = "", finished: GenerationResult?
        for try await event in loom.generate(chat, template: .interleaved, parameters: .init(maxNewTokens: 5)) {
            switch event {
            case .token(let token): text += token.text
            case .finished(_, let result): finished = result
            }
        }
        let result = try #require(finished)
        #expect(result.text == text && !result.tokenIDs.isEmpty)
        #expect(eventually { loom.engine.reservedBytes == 0 })
    }

    /// A prompt prefilled in several chunks encodes each of its images once (no feature cache to hide a second
    /// encoding), and answers as with one chunk.
    @Test func imagesAreEncodedOncePerPrompt() throws {
        func run(chunk: Int) throws -> (GenerationResult, [EngineStepReport]) {
            var scheduling = EngineConfiguration()
            scheduling.prefillChunk = chunk
            scheduling.featureCacheBytes = 0
            let loom = try LoomModel(directory: Fixtures.url("llava/tiny-84"), engine: scheduling)
            let steps = StepRecorder()
            loom.engine.onStep = { steps.record($0) }
            let chat = Conversation.user([.image(Self.image(0)), .text("and"), .image(Self.image(1)), .text("Compare them.")])
            let result = try loom.generate(try loom.prompt(chat), parameters: .init(maxNewTokens: 4))
            return (result, steps.steps)
        }
        let (chunked, steps) = try run(chunk: 8)
        #expect(steps.filter { $0.prefillRows > 0 }.count > 2)
        #expect(steps.reduce(0) { $0 + $1.encodedImages } == 2)
        let (whole, _) = try run(chunk: 4096)
        #expect(chunked.tokenIDs == whole.tokenIDs && !whole.tokenIDs.isEmpty)
    }
}

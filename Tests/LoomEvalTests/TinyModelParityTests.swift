import Foundation
import LoomCore
import LoomKit
import LoomTestSupport
import Testing
@testable import LoomEval

/// The model Loom trained itself (`models/tiny-m4`) is a genuine llava-hf checkpoint: transformers'
/// `LlavaForConditionalGeneration` gives the same logits (every row) and greedy answers on ten held-out samples asked
/// in the checkpoint's own chat template, the prompts built as `loom eval run --template checkpoint` builds them
/// (fixture of `tools/reference/make_tiny_m4_fixtures.py`).
@Suite struct TinyModelParityTests {
    static let fixture = Fixtures.url("tiny-m4")

    @Test func logitsAndAnswersEqualTransformers() throws {
        let loom = try LoomModel(directory: Fixtures.repositoryRoot.appendingPathComponent("models/tiny-m4"), compute: .f32)
        let backend = LocalBackend(loom: loom)
        let reference = try Fixtures.referenceJSON(Self.fixture)
        let cases = try #require(reference["cases"] as? [[String: Any]])
        var checked = 0
        for format in ["front", "interleaved"] {
            let folder = Self.fixture.appendingPathComponent(format)
            var settings = EvalSettings(mediaRoot: folder)
            settings.template = .checkpoint
            settings.videoFrames = try #require(reference["video_frames"] as? Int)
            for sample in try BenchFile(path: folder.appendingPathComponent("data.json").path).samples {
                let name = "\(format)-\(sample.sampleID)"
                let expected = try #require(cases.first { $0["name"] as? String == name }, "no reference case \(name)")
                let prompt = try backend.firstPrompt(sample, protocol: .authors, settings: settings)
                #expect(prompt.ids == Fixtures.ints(expected, "input_ids"), "\(name): rendered ids differ")
                let (embeddings, _) = try loom.embed(prompt)
                let decoder = loom.languageModel
                let logits = decoder.logits(decoder.forward(embeddings, cache: decoder.makeCache()))
                let want = try Fixtures.referenceTensor(Self.fixture, "logits.\(name)")
                #expect(logits.data.count == want.data.count)
                #expect(maxAbsDifference(logits.data, want.data) < 1e-4, "\(name): logits differ")
                var parameters = loom.defaultParameters
                parameters.maxNewTokens = 12
                parameters.temperature = 0
                let result = try loom.generate(prompt, parameters: parameters)
                #expect(result.tokenIDs == Fixtures.greedyIDs(Fixtures.ints(expected, "greedy_ids"), droppingFinal: parameters.eosTokenIDs),
                        "\(name): greedy answer differs")
                checked += 1
            }
        }
        #expect(checked == 10)
    }
}

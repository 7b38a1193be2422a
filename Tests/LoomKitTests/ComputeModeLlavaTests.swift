import Foundation
import Testing
import LoomCore
import LoomTestSupport
@testable import LoomKit

/// LLaVA in bf16 (vision tower, projector and decoder through the bf16 paths) against the f32 reference.
@Suite struct ComputeModeLlavaTests {
    /// Loom in bf16 is at least as close to the f32 reference logits as transformers in bf16 is.
    @Test func bf16ErrorIsNoLargerThanTransformersBF16() throws {
        let dir = Fixtures.url("llava/tiny-84-bf16")
        let loom = try LoomModel(directory: dir, compute: .bf16)
        let item = try #require(try LlavaCase.all(in: "tiny-84-bf16").first { $0.name == "hf-1img" })
        let prompt = try loom.prompt(item.conversation, template: item.template)
        let (embeddings, _) = try loom.embed(prompt)
        let decoder = loom.languageModel
        #expect(decoder.makeCache().layers[0].precision == (Capabilities.packedBF16 ? .bf16 : .f32))
        let logits = decoder.logits(decoder.forward(embeddings, cache: decoder.makeCache()))
        let reference = try Fixtures.referenceTensor(dir, "logits.hf-1img")
        let transformers = try Fixtures.referenceTensor(dir, "logits_bf16.hf-1img")
        #expect(logits.shape == reference.shape)
        let ours = maxAbsDifference(logits.data, reference.data), theirs = maxAbsDifference(transformers.data, reference.data)
        #expect(ours <= theirs, "Loom bf16 max error \(ours), transformers bf16 \(theirs)")
    }
}

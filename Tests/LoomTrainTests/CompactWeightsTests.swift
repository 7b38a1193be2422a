import Foundation
import Testing
import LoomCore
import LoomTestSupport
@testable import LoomTrain

/// `--dtype bf16`: frozen matrices held in bf16 give what f32 copies of the same (bf16-stored) values give.
@Suite struct CompactWeightsTests {
    @Test func bf16FrozenWeightsMatchTheirF32Copies() throws {
        let fixture = try StepParityTests.load("lora-interleaved")
        let sample = try StepParityTests.samples(fixture)[0]
        func run(_ compact: Bool) throws -> (loss: Double, grads: [String: [Float]]) {
            let model = try LlavaTrainingModel(directory: Fixtures.url("llava/tiny-84-bf16"))
            model.tune([.projector])
            try model.attachLoRA(rank: 4, scale: 2, dropout: 0, targets: DecoderLayerTraining.projectionNames, seed: 3)
            for parameter in model.trainable where parameter.name.hasSuffix("lora_B.weight") {
                parameter.values = parameter.values.indices.map { Float(($0 % 7) - 3) * 0.01 }
            }
            if compact { model.compactFrozen(as: .bf16) }
            let (loss, tokens) = try model.accumulateGradients(sample, gradScale: 1 / Float(sample.supervisedCount))
            return (loss / Double(tokens), Dictionary(uniqueKeysWithValues: model.trainable.map { ($0.name, $0.grad!) }))
        }
        let f32 = try run(false), bf16 = try run(true)
        #expect(abs(bf16.loss - f32.loss) / f32.loss < 1e-6, "loss \(bf16.loss) vs \(f32.loss)")
        #expect(bf16.grads.keys.sorted() == f32.grads.keys.sorted())
        for (name, grad) in f32.grads {
            let scale = grad.map(abs).max()!
            let error = zip(bf16.grads[name]!, grad).map { abs($0 - $1) }.max()! / scale
            #expect(error < 1e-5, "\(name): \(error)")
        }
    }
}

/// Per-layer recomputation changes memory, not numbers: the same loss and gradients bit for bit.
@Suite struct RecomputationTests {
    @Test func recomputedLayersGiveTheSameGradients() throws {
        let fixture = try StepParityTests.load("lora-interleaved")
        let sample = try StepParityTests.samples(fixture)[0]
        func run(_ recomputation: Recomputation) throws -> (Double, [[Float]]) {
            let model = try LlavaTrainingModel(directory: Fixtures.url("llava/tiny-84"))
            model.tune([.projector, .languageModel])
            try model.attachLoRA(rank: 2, scale: 1, dropout: 0.2, targets: ["q_proj", "down_proj"], seed: 5)
            model.recomputation = recomputation
            let (loss, _) = try model.accumulateGradients(sample, gradScale: 0.01, dropoutSeed: 11)
            return (loss, model.trainable.map { $0.grad! })
        }
        let kept = try run(.never), recomputed = try run(.always)
        #expect(kept.0 == recomputed.0)
        #expect(kept.1 == recomputed.1)
    }
}

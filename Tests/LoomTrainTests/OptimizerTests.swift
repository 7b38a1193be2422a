import Foundation
import Testing
import LoomTestSupport
@testable import LoomTrain

/// AdamW, clipping and the learning-rate schedules against PyTorch and transformers
/// (`tools/reference/make_train_fixtures.py`: `optimizer.json`, `schedules.json`).
@Suite struct OptimizerTests {
    struct Step: Decodable { let grads: [[Float]]; let norm: Double; let params: [[Float]] }
    struct Optimizer: Decodable {
        let shapes: [[Int]]; let lr: Double; let weight_decay: [Double]; let max_grad_norm: Double
        let initial: [[Float]]; let steps: [Step]
    }

    @Test func adamWAndClippingMatchPyTorch() throws {
        let fixture: Optimizer = Fixtures.decodeJSON("train/optimizer.json")
        // Tensor 0 decays (0.01), tensor 1 does not: the names follow the decay rule (no decay on biases).
        let parameters = [TrainingParameter(name: "w.weight", shape: fixture.shapes[0], values: fixture.initial[0], trainable: true),
                          TrainingParameter(name: "w.bias", shape: fixture.shapes[1], values: fixture.initial[1], trainable: true)]
        #expect(parameters.map(\.decays) == [true, false])
        let optimizer = AdamW(configuration: .init(weightDecay: fixture.weight_decay[0]))
        for (index, step) in fixture.steps.enumerated() {
            for (parameter, grad) in zip(parameters, step.grads) { parameter.grad = grad }
            let norm = clipGradients(parameters, maxNorm: fixture.max_grad_norm)
            #expect(abs(norm - step.norm) / step.norm < 1e-6, "step \(index + 1): norm \(norm), PyTorch \(step.norm)")
            optimizer.update(parameters, lr: fixture.lr)
            for (parameter, expected) in zip(parameters, step.params) {
                let error = zip(parameter.values, expected).map { abs($0 - $1) }.max()!
                #expect(error <= 2e-7, "step \(index + 1) \(parameter.name): max difference \(error)")
            }
        }
        #expect(optimizer.step == fixture.steps.count)
    }

    struct Schedules: Decodable {
        struct Schedule: Decodable { let name: String; let warmup_steps: Int; let lrs: [Double] }
        let base_lr: Double; let total_steps: Int; let schedules: [Schedules.Schedule]
    }

    @Test func schedulesMatchTransformers() throws {
        let fixture: Schedules = Fixtures.decodeJSON("train/schedules.json")
        for schedule in fixture.schedules {
            let shape = LearningRateSchedule.Shape(rawValue: schedule.name)!
            let ours = LearningRateSchedule(shape: shape, peak: fixture.base_lr, warmupSteps: schedule.warmup_steps,
                                            totalSteps: fixture.total_steps)
            for (index, expected) in schedule.lrs.enumerated() {
                #expect(abs(ours.rate(atStep: index + 1) - expected) <= 1e-15,
                        "\(schedule.name) warmup \(schedule.warmup_steps) step \(index + 1): \(ours.rate(atStep: index + 1)) vs \(expected)")
            }
        }
    }

    @Test func badOptionsAreNamed() {
        var options = TrainingOptions(model: "m", data: "d", out: "o")
        #expect(throws: TrainError.invalidOption("nothing to train: give --tune PARTS and/or --lora-rank R")) { try options.validate() }
        options.loraRank = 8
        options.loraDropout = 1
        #expect(throws: TrainError.invalidOption("--lora-dropout must lie in [0, 1)")) { try options.validate() }
        options.loraDropout = 0
        options.lr = -1
        #expect(throws: TrainError.invalidOption("--lr must be a positive number")) { try options.validate() }
    }
}

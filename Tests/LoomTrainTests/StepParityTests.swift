import Foundation
import Testing
import LoomCheckpoint
import LoomCore
import LoomTestSupport
@testable import LoomTrain

/// Whole-model training steps against PyTorch + PEFT 0.21.2 (`tools/reference/make_train_fixtures.py`): the same
/// start (tiny-84, the same adapter with B ≠ 0), three AdamW steps on the same batch give the loss of each step, the
/// step-1 gradients, the clipping norms and the parameters after steps 1 and 3.
@Suite struct StepParityTests {
    struct Case {
        let name: String
        let json: [String: Any]
        let tensors: SafeTensorsFile
    }

    static func load(_ name: String) throws -> Case {
        let directory = Fixtures.url("train/steps")
        let data = try Data(contentsOf: directory.appendingPathComponent(name + ".json"))
        return Case(name: name, json: try JSONSerialization.jsonObject(with: data) as! [String: Any],
                    tensors: try SafeTensorsFile(path: directory.appendingPathComponent(name + ".safetensors").path))
    }

    /// The fixture's samples: ids, labels and the reference pixels of their images.
    static func samples(_ fixture: Case) throws -> [TrainingSample] {
        let pixelFile = try SafeTensorsFile(path: Fixtures.repositoryRoot.appendingPathComponent(fixture.json["pixel_values_file"] as! String).path)
        return try (fixture.json["samples"] as! [[String: Any]]).map { sample in
            let pixels = try (sample["pixel_values"] as! [String]).flatMap { try pixelFile.weight($0)!.floats() }
            return TrainingSample(inputIDs: sample["input_ids"] as! [Int], labels: sample["labels"] as! [Int], pixels: pixels,
                                  images: sample["images"] as! Int)
        }
    }

    /// tiny-84 set up as the case trains it.
    static func model(_ fixture: Case) throws -> LlavaTrainingModel {
        let model = try LlavaTrainingModel(directory: Fixtures.url("llava/tiny-84"))
        switch fixture.json["mode"] as! String {
        case "lora":
            let lora = fixture.json["lora"] as! [String: Any]
            let saved = (lora["modules_to_save"] as? [String]) ?? []
            model.tune(saved.contains("multi_modal_projector") ? [.projector] : [])
            let rank = lora["r"] as! Int
            try model.attachLoRA(rank: rank, scale: Float((lora["lora_alpha"] as! Double) / Double(rank)), dropout: 0,
                                 targets: DecoderLayerTraining.projectionNames, seed: 0)
            let adapter = try SafeTensorsFile(path: Fixtures.url("train/steps").appendingPathComponent(fixture.json["adapter"] as! String)
                .appendingPathComponent("adapter_model.safetensors").path)
            for name in adapter.entries.keys {
                let parameter = model[parameterName(name)]!
                parameter.values = try adapter.weight(name)!.floats()
            }
        case "full-lm": model.tune([.projector, .languageModel])
        case "full-all": model.tune([.projector, .languageModel, .visionTower])
        case let mode: Issue.record("unknown mode \(mode)")
        }
        return model
    }

    /// Loom's name for a fixture name: LoRA matrices keep PEFT's key, saved modules take their hub name.
    static func parameterName(_ name: String) -> String {
        LoRANames.isLoRA(name) || !name.hasPrefix("base_model.model.model.") ? name : String(name.dropFirst("base_model.model.model.".count))
    }

    /// max |a − b| / max |b| over the fixture's stored elements of `values` (all, or every `stride`-th).
    static func relative(_ values: [Float], _ fixture: Case, _ key: String, name: String) throws -> Float {
        let expected = try fixture.tensors.weight(key)!.floats()
        let stride = ((fixture.json["sampled"] as? [String: Any])?["stride"] as? [String: Int])?[name] ?? 1
        let picked = stride == 1 ? values : Swift.stride(from: 0, to: values.count, by: stride).map { values[$0] }
        #expect(picked.count == expected.count, "\(key): \(picked.count) values, fixture \(expected.count)")
        let scale = max(expected.map(abs).max() ?? 0, .leastNormalMagnitude)
        return zip(picked, expected).map { abs($0 - $1) }.max()! / scale
    }

    @Test(arguments: ["lora-interleaved", "full-interleaved", "lora-video", "full-all", "accum"])
    func threeStepsMatchPyTorch(_ name: String) throws {
        let fixture = try Self.load(name)
        let model = try Self.model(fixture)
        let samples = try Self.samples(fixture)
        let expectedTrainable = Set((fixture.json["trainable"] as! [String]).map(Self.parameterName))
        #expect(Set(model.trainable.map(\.name)) == expectedTrainable)
        let decaying = Set((fixture.json["decay"] as! [String]).map(Self.parameterName))
        #expect(Set(model.trainable.filter(\.decays).map(\.name)) == decaying)
        let betas = fixture.json["betas"] as! [Double]
        let optimizer = AdamW(configuration: .init(beta1: betas[0], beta2: betas[1], epsilon: fixture.json["eps"] as! Double,
                                                   weightDecay: fixture.json["weight_decay"] as! Double))
        let losses = fixture.json["losses"] as! [Double], norms = fixture.json["grad_norms"] as! [Double]
        let lr = fixture.json["lr"] as! Double, maxNorm = fixture.json["max_grad_norm"] as! Double
        let tokens = samples.reduce(0) { $0 + $1.supervisedCount }
        #expect(tokens == (fixture.json["samples"] as! [[String: Any]]).reduce(0) { $0 + ($1["n_targets"] as! Int) })
        for step in 1...3 {
            model.zeroGradients()
            var sum = 0.0
            for sample in samples { sum += try model.accumulateGradients(sample, gradScale: 1 / Float(tokens)).lossSum }
            let loss = sum / Double(tokens)
            #expect(abs(loss - losses[step - 1]) / losses[step - 1] <= 1e-5, "\(name) step \(step): loss \(loss), PyTorch \(losses[step - 1])")
            if step == 1 {
                // A gradient that is zero in exact arithmetic (SigLIP's key biases: softmax ignores a per-query
                // constant) is rounding noise in both: it only has to be as small in Loom.
                let largest = try model.trainable.map { try fixture.tensors.weight("grad1." + Self.fixtureName($0.name, fixture))!.floats()
                    .map(abs).max() ?? 0 }.max() ?? 0
                for parameter in model.trainable {
                    let key = "grad1." + Self.fixtureName(parameter.name, fixture)
                    if try fixture.tensors.weight(key)!.floats().map(abs).max()! < 1e-5 * largest {
                        #expect(parameter.grad!.map(abs).max()! < 1e-4 * largest, "\(name) \(key) should vanish")
                        continue
                    }
                    let error = try Self.relative(parameter.grad!, fixture, key, name: Self.fixtureName(parameter.name, fixture))
                    #expect(error <= 1e-4, "\(name) \(key): max relative error \(error)")
                }
            }
            let norm = clipGradients(model.trainable, maxNorm: maxNorm)
            #expect(abs(norm - norms[step - 1]) / norms[step - 1] <= 1e-5, "\(name) step \(step): grad norm \(norm), PyTorch \(norms[step - 1])")
            optimizer.update(model.trainable, lr: lr)
            if step == 1 || step == 3 {
                for parameter in model.trainable {
                    let key = "step\(step)." + Self.fixtureName(parameter.name, fixture)
                    let error = try Self.relative(parameter.values, fixture, key, name: Self.fixtureName(parameter.name, fixture))
                    #expect(error <= 1e-5, "\(name) \(key): max relative error \(error)")
                }
            }
        }
    }

    /// The fixture's name for a Loom parameter (PEFT keys for the LoRA cases' saved modules).
    static func fixtureName(_ name: String, _ fixture: Case) -> String {
        fixture.json["names"] as! String == "peft" && !LoRANames.isLoRA(name) ? "base_model.model.model." + name : name
    }
}

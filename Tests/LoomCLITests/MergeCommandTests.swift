import Foundation
import Testing
import LoomCheckpoint
import LoomTestSupport

/// `loom merge` and `loom generate --adapter` with the PEFT-written adapter of the tiny LLaVA fixture.
@Suite struct MergeCommandTests {
    let model = Fixtures.url("llava/tiny-84").path
    let adapter = Fixtures.url("train/peft-adapter").path
    let prompt = ["--prompt", "What is in <image>?", "--image", Fixtures.url("llava/images/chelsea.jpg").path,
                  "--max-tokens", "16", "--output", "json", "--dtype", "f32", "--logprobs", "1"]

    /// Log-probabilities of the generated tokens in a `generate --output json` document.
    func logprobs(_ json: [String: Any]) -> [Float] {
        (json["logprobs"] as? [[String: Any]] ?? []).compactMap { ($0["logprob"] as? NSNumber)?.floatValue }
    }

    /// The merged checkpoint (llava-hf layout, companion files copied) generates what the adapter generates unmerged,
    /// which is not what the model generates alone.
    @Test func mergedCheckpointGeneratesAsTheUnmergedAdapter() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-merged-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let merge = try CLI.run(["merge", "--model", model, "--adapter", adapter, "--out", out.path])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(merge.stderr.contains("merged 14 LoRA pairs and 4 saved tensors"), "\(merge.stderr)")
        let weights = try SafeTensorsFile(path: out.appendingPathComponent("model.safetensors").path)
        #expect(weights.metadata == ["format": "pt"])
        #expect(weights.entries.keys.allSatisfy { ["language_model.model.", "multi_modal_projector.", "vision_tower.vision_model."]
            .contains(where: $0.hasPrefix) })
        for file in ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.json",
                     "preprocessor_config.json", "processor_config.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }

        let unmerged = try CLI.run(["generate", "--model", model, "--adapter", adapter] + prompt)
        let merged = try CLI.run(["generate", "--model", out.path] + prompt)
        let plain = try CLI.run(["generate", "--model", model] + prompt)
        #expect(unmerged.status == 0 && merged.status == 0 && plain.status == 0, "\(unmerged.stderr) \(merged.stderr) \(plain.stderr)")
        let ids = Fixtures.ints(try unmerged.json(), "token_ids")
        #expect(!ids.isEmpty)
        #expect(Fixtures.ints(try merged.json(), "token_ids") == ids)
        #expect(Fixtures.ints(try plain.json(), "token_ids") != ids)
        let difference = maxAbsDifference(logprobs(try unmerged.json()), logprobs(try merged.json()))
        print("loom generate --adapter vs merged: max abs log-probability difference \(difference)")
        #expect(difference < 1e-4)
    }

    /// An adapter that does not fit the model, or is missing, stops `generate` and `merge` with a one-line error
    /// naming the cause, before anything is generated or written.
    @Test func adapterProblemsAreOneLineErrors() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-merged-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let absent = FileManager.default.temporaryDirectory.appendingPathComponent("loom-absent-\(UUID().uuidString)").path
        let cases: [([String], String)] = [
            // 4 query heads but 2 key-value heads in the adapter's model; 4 and 4 in this one.
            (["generate", "--model", Fixtures.url("qwen2/mha-f32").path, "--adapter", adapter, "--prompt", "hi"], "k_proj.lora_B.weight"),
            (["generate", "--model", model, "--adapter", absent, "--prompt", "hi"], "adapter_config.json"),
            (["merge", "--model", model, "--adapter", absent, "--out", out.path], "adapter_config.json"),
            (["merge", "--model", Fixtures.url("qwen2/mha-f32").path, "--adapter", adapter, "--out", out.path], "qwen2"),
        ]
        for (arguments, mention) in cases {
            let run = try CLI.run(arguments)
            #expect(run.status != 0, "\(arguments)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(mention), "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(arguments): \(run.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}

import Foundation
import Testing
import LoomCheckpoint
import LoomCore
import LoomModels
import LoomTestSupport

/// PEFT LoRA adapters: the file format, unmerged application, merging and full checkpoints, on the tiny-84 LLaVA
/// fixture; parity with PEFT itself on `Tests/Fixtures/train/peft-adapter` (tools/reference/make_adapter_fixtures.py).
@Suite struct LoRAAdapterTests {
    static let tiny = Fixtures.url("llava/tiny-84")
    static let peft = Fixtures.url("train/peft-adapter")

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("loom-lora-\(UUID().uuidString)")
    }

    static func loadLlava(_ directory: URL) throws -> LlavaModel {
        try #require(try ModelRegistry.load(directory: directory, compute: .f32) as? LlavaModel)
    }

    /// The message of the error `body` throws ("" when it throws none).
    static func failure(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return ""
    }

    /// Values N(0, std) from a seeded generator (Box–Muller).
    static func normal(_ count: Int, std: Float, _ generator: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in
            let u = max(generator.unit(), 1e-12), v = generator.unit()
            return std * Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
        }
    }

    /// A random adapter for `model`: B ≠ 0 on all seven projections of every layer, and a projector replacement (the
    /// model's projector plus noise) when `projector` is true.
    static func randomAdapter(for model: LlavaModel, rank: Int = 4, alpha: Double = 8, projector: Bool = true,
                              seed: UInt64 = 7) throws -> LoRAAdapter {
        var generator = SplitMix64(seed: seed)
        let text = model.configuration.textConfig
        let reader = try HubTensorReader(directory: tiny)
        var pairs: [LoRATarget: LoRAPair] = [:]
        for layer in 0..<text.numHiddenLayers {
            for projection in LoRAConfiguration.defaultTargets {
                let target = LoRATarget(layer: layer, projection: projection)
                let shape = try reader.tensor(LoRAAdapter.hubWeightName(target)).shape
                pairs[target] = LoRAPair(a: normal(rank * shape[1], std: 0.2, &generator), b: normal(shape[0] * rank, std: 0.3, &generator),
                                         rank: rank, inFeatures: shape[1], outFeatures: shape[0])
            }
        }
        var saved: [String: Tensor] = [:]
        if projector {
            for name in reader.names where name.hasPrefix("multi_modal_projector.") {
                let base = try reader.tensor(name)
                saved[name] = Tensor(shape: base.shape, data: zip(base.values, normal(base.values.count, std: 0.05, &generator)).map(+))
            }
        }
        let configuration = LoRAConfiguration(r: rank, loraAlpha: alpha, loraDropout: 0, modulesToSave: projector ? ["multi_modal_projector"] : nil,
                                              baseModelNameOrPath: "tiny-84")
        return LoRAAdapter(configuration: configuration, pairs: pairs, savedModules: saved)
    }

    /// Logits of every position of the PEFT fixture's case (tiny-84 `interleaved-1`: text, one image, text) through
    /// `model`, from the ids and pixel values transformers used.
    static func caseLogits(_ model: LlavaModel) throws -> Tensor {
        let ids = Fixtures.ints(try Fixtures.referenceJSON(peft), "input_ids")
        let pixels = try Fixtures.referenceTensor(tiny, "pixel_values.chelsea.jpg")
        let features = try model.imageFeatures(pixels.reshaped([1] + pixels.shape))
        let first = try #require(ids.firstIndex(of: 515)), last = try #require(ids.lastIndex(of: 515))
        #expect(last - first + 1 == features.rows)
        let inputs: [DecoderInput] = [.tokens(Array(ids[..<first])), .features(features), .tokens(Array(ids[(last + 1)...]))]
        let decoder = model.decoder
        return decoder.logits(decoder.forward(decoder.embed(inputs, positions: 0..<ids.count), cache: decoder.makeCache()))
    }

    /// Largest difference relative to the largest magnitude of `expected`.
    static func relativeDifference(_ actual: Tensor, _ expected: Tensor) -> Float {
        maxAbsDifference(actual.data, expected.data) / expected.data.reduce(0) { max($0, abs($1)) }
    }

    @Test func saveThenLoadGivesTheSameAdapterInPEFTsLayout() throws {
        let adapter = try Self.randomAdapter(for: try Self.loadLlava(Self.tiny))
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try adapter.save(to: directory)
        let loaded = try LoRAAdapter.load(from: directory)
        #expect(loaded.configuration == adapter.configuration)
        #expect(loaded.pairs == adapter.pairs)
        #expect(loaded.savedModules == adapter.savedModules)

        // The same tensor names, dtype, metadata and config keys as the adapter PEFT wrote.
        let written = try SafeTensorsFile(path: directory.appendingPathComponent(LoRAAdapter.weightsFile).path)
        let peft = try SafeTensorsFile(path: Self.peft.appendingPathComponent(LoRAAdapter.weightsFile).path)
        #expect(Set(written.entries.keys) == Set(peft.entries.keys))
        #expect(written.entries.values.allSatisfy { $0.dtypeName == "F32" })
        #expect(written.metadata == ["format": "pt"])
        func keys(_ directory: URL) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(LoRAAdapter.configurationFile))) as! [String: Any]
        }
        let config = try keys(directory), peftConfig = try keys(Self.peft)
        #expect(Set(config.keys) == Set(peftConfig.keys))
        #expect(config["target_modules"] as? String == peftConfig["target_modules"] as? String)
        #expect(config["modules_to_save"] as? [String] == ["multi_modal_projector"])
        #expect(config["task_type"] as? String == "CAUSAL_LM" && config["peft_type"] as? String == "LORA")
    }

    /// The pre-4.52 layout, a plain causal LM's, and names that keep the adapter name (`lora_A.default.weight`) read
    /// as the same pairs.
    @Test(arguments: ["base_model.model.language_model.model.", "base_model.model.model.", "named"])
    func otherKeyLayoutsLoad(layout: String) throws {
        let adapter = try LoRAAdapter.load(from: Self.peft)
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.peft.appendingPathComponent(LoRAAdapter.configurationFile),
                                         to: directory.appendingPathComponent(LoRAAdapter.configurationFile))
        let file = try SafeTensorsFile(path: Self.peft.appendingPathComponent(LoRAAdapter.weightsFile).path)
        let v5 = "base_model.model.model.language_model."
        let weights = try file.entries.keys.filter { $0.hasPrefix(v5) }.map { key -> Weight in
            let renamed = layout == "named" ? key.replacingOccurrences(of: ".weight", with: ".default.weight")
                : layout + key.dropFirst(v5.count)
            let weight = try #require(try file.weight(key))
            return Weight(name: renamed, shape: weight.shape, values: weight.floats())
        }
        try SafeTensorsWriter.write(weights, to: directory.appendingPathComponent(LoRAAdapter.weightsFile))
        let loaded = try LoRAAdapter.load(from: directory)
        #expect(loaded.pairs.count == 14)
        #expect(loaded.pairs == adapter.pairs)
    }

    /// The adapter applied unmerged (two small products per linear) gives the logits of the checkpoint `loom merge`
    /// writes, with B ≠ 0 on all seven projections and the projector replaced.
    @Test func unmergedLogitsEqualMergedLogits() throws {
        let base = try Self.loadLlava(Self.tiny)
        let adapter = try Self.randomAdapter(for: base)
        let adapterDirectory = Self.temporaryDirectory(), merged = Self.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: adapterDirectory)
            try? FileManager.default.removeItem(at: merged)
        }
        try adapter.save(to: adapterDirectory)
        let summary = try LoRAMerge.merge(model: Self.tiny, adapter: adapterDirectory, to: merged)
        #expect(summary.pairs == 14 && summary.savedTensors == 4)

        let unmerged = try Self.caseLogits(try base.adapted(by: LoRAAdapter.load(from: adapterDirectory)))
        let mergedLogits = try Self.caseLogits(try Self.loadLlava(merged))
        let baseLogits = try Self.caseLogits(base)
        let difference = Self.relativeDifference(unmerged, mergedLogits)
        print("LoRA unmerged vs merged: max relative difference \(difference), max abs \(maxAbsDifference(unmerged.data, mergedLogits.data))")
        #expect(maxAbsDifference(unmerged.data, baseLogits.data) > 1)
        #expect(difference <= 1e-5)
    }

    /// Prefilled a few rows at a time (the per-row path of the LoRA products) the adapter gives the last position's
    /// logits of one pass over the whole prompt.
    @Test func chunkedPrefillWithAnAdapterMatchesOnePass() throws {
        let base = try Self.loadLlava(Self.tiny)
        let decoder = try base.decoder.adapted(by: try Self.randomAdapter(for: base, projector: false))
        let ids = Array(Fixtures.ints(try Fixtures.referenceJSON(Self.peft), "input_ids").filter { $0 != 515 })
        let whole = decoder.logits(decoder.prefill([.tokens(ids)], cache: decoder.makeCache(), chunkRows: ids.count))
        let chunked = decoder.logits(decoder.prefill([.tokens(ids)], cache: decoder.makeCache(), chunkRows: 3))
        #expect(maxAbsDifference(chunked.data, whole.data) < 1e-4)
    }

    /// Loom applying the adapter PEFT wrote (LoRA on every decoder linear, projector in modules_to_save) gives the
    /// logits of PEFT's own model.
    @Test func peftAdapterGivesPEFTsLogits() throws {
        let adapter = try LoRAAdapter.load(from: Self.peft)
        #expect(adapter.configuration.r == 4 && adapter.configuration.loraAlpha == 8 && adapter.configuration.scale == 2)
        #expect(adapter.configuration.targetModulesIsRegex
            && adapter.configuration.targetModules == [LoRAConfiguration.languageModelRegex(LoRAConfiguration.defaultTargets)])
        #expect(adapter.configuration.modulesToSave == ["multi_modal_projector"])
        #expect(adapter.pairs.count == 14 && adapter.savedModules.count == 4)
        let logits = try Self.caseLogits(try Self.loadLlava(Self.tiny).adapted(by: adapter))
        let expected = try Fixtures.referenceTensor(Self.peft, "logits")
        #expect(logits.shape == expected.shape)
        let difference = maxAbsDifference(logits.data, expected.data)
        print("LoRA Loom unmerged vs PEFT: max abs difference \(difference)")
        #expect(difference <= 1e-4)
    }

    /// Merging the PEFT adapter gives PEFT's logits too.
    @Test func mergedPEFTAdapterGivesPEFTsLogits() throws {
        let merged = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: merged) }
        _ = try LoRAMerge.merge(model: Self.tiny, adapter: Self.peft, to: merged)
        let logits = try Self.caseLogits(try Self.loadLlava(merged))
        let difference = maxAbsDifference(logits.data, try Fixtures.referenceTensor(Self.peft, "logits").data)
        print("LoRA Loom merged vs PEFT: max abs difference \(difference)")
        #expect(difference <= 1e-4)
    }

    @Test func adaptersThatDoNotFitAreErrorsNamingTheProblem() throws {
        let base = try Self.loadLlava(Self.tiny)
        var adapter = try LoRAAdapter.load(from: Self.peft)

        // A layer the model does not have.
        var beyond = adapter
        beyond.pairs[LoRATarget(layer: 5, projection: "q_proj")] = adapter.pairs[LoRATarget(layer: 0, projection: "q_proj")]
        let layerMessage = Self.failure { _ = try base.adapted(by: beyond) }
        #expect(layerMessage.contains("layers.5.self_attn.q_proj.lora_A.weight") && layerMessage.contains("2 layers"), "\(layerMessage)")

        // Features that do not match: a k_proj pair as wide as q_proj (this model has 2 key-value heads, not 4).
        adapter.pairs[LoRATarget(layer: 1, projection: "k_proj")] = adapter.pairs[LoRATarget(layer: 1, projection: "q_proj")]
        let shapeMessage = Self.failure { try adapter.validate(against: base.configuration.textConfig) }
        #expect(shapeMessage.contains("layers.1.self_attn.k_proj.lora_B.weight") && shapeMessage.contains("32"), "\(shapeMessage)")

        // A saved projector of the wrong width.
        var projector = try LoRAAdapter.load(from: Self.peft)
        projector.savedModules["multi_modal_projector.linear_1.weight"] = Tensor(zeros: [64, 16])
        let projectorMessage = Self.failure { _ = try base.adapted(by: projector) }
        #expect(projectorMessage.contains("multi_modal_projector.linear_1.weight"), "\(projectorMessage)")
    }

    /// Files that are missing or hold what Loom cannot apply are errors naming the file or tensor.
    @Test func badAdapterFilesAreErrorsNamingTheProblem() throws {
        let directory = try Fixtures.copy(Self.peft)
        defer { try? FileManager.default.removeItem(at: directory) }
        let weightsURL = directory.appendingPathComponent(LoRAAdapter.weightsFile)
        let configURL = directory.appendingPathComponent(LoRAAdapter.configurationFile)
        let file = try SafeTensorsFile(path: Self.peft.appendingPathComponent(LoRAAdapter.weightsFile).path)
        func rewrite(_ change: (inout [Weight]) -> Void) throws {
            var weights = try file.entries.keys.sorted().map { key -> Weight in
                let weight = try #require(try file.weight(key))
                return Weight(name: key, shape: weight.shape, values: weight.floats())
            }
            change(&weights)
            try SafeTensorsWriter.write(weights, to: weightsURL)
        }
        let q = "base_model.model.model.language_model.layers.0.self_attn.q_proj."

        // Rank 3 in a rank-4 adapter.
        try rewrite { weights in
            let i = weights.firstIndex { $0.name == q + "lora_B.weight" }!
            weights[i] = Weight(name: weights[i].name, shape: [64, 3], values: [Float](repeating: 0.1, count: 192))
        }
        var message = Self.failure { _ = try LoRAAdapter.load(from: directory) }
        #expect(message.contains(q + "lora_B.weight") && message.contains("r = 4"), "\(message)")

        // A lora_A without its lora_B.
        try rewrite { weights in weights.removeAll { $0.name == q + "lora_B.weight" } }
        message = Self.failure { _ = try LoRAAdapter.load(from: directory) }
        #expect(message.contains(q + "lora_A.weight") && message.contains("lora_B"), "\(message)")

        // LoRA on the vision tower (what a bare target_modules list gives).
        let vision = "base_model.model.model.vision_tower.encoder.layers.0.self_attn.q_proj.lora_A.weight"
        try rewrite { weights in weights.append(Weight(name: vision, shape: [4, 32], values: [Float](repeating: 0, count: 128))) }
        message = Self.failure { _ = try LoRAAdapter.load(from: directory) }
        #expect(message.contains(vision), "\(message)")

        // DoRA.
        try FileManager.default.removeItem(at: weightsURL)
        try FileManager.default.copyItem(at: Self.peft.appendingPathComponent(LoRAAdapter.weightsFile), to: weightsURL)
        let config = try String(contentsOf: configURL, encoding: .utf8)
        try config.replacingOccurrences(of: "\"use_dora\": false", with: "\"use_dora\": true").write(to: configURL, atomically: true, encoding: .utf8)
        message = Self.failure { _ = try LoRAAdapter.load(from: directory) }
        #expect(message.contains("use_dora"), "\(message)")

        // Missing files.
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: weightsURL)
        message = Self.failure { _ = try LoRAAdapter.load(from: directory) }
        #expect(message.contains(LoRAAdapter.weightsFile), "\(message)")
        try FileManager.default.removeItem(at: configURL)
        message = Self.failure { _ = try LoRAAdapter.load(from: directory) }
        #expect(message.contains(LoRAAdapter.configurationFile), "\(message)")
    }

    /// The reader gives the same hub-named tensors whatever layout a checkpoint uses; the writer's checkpoint reads
    /// back identically (dtype kept) with the companion files beside it.
    @Test(arguments: [("tiny-84-v5names", "tiny-84"), ("tiny-84-bf16-v5save", "tiny-84-bf16")])
    func hubCheckpointsRoundTrip(directory: String, sameAs: String) throws {
        let renamed = try HubTensorReader(directory: Fixtures.url("llava/\(directory)")).readAll()
        let hub = try HubTensorReader(directory: Fixtures.url("llava/\(sameAs)")).readAll()
        #expect(renamed == hub)
        #expect(renamed.keys.contains("vision_tower.vision_model.embeddings.patch_embedding.weight"))
        #expect(!renamed.keys.contains("language_model.lm_head.weight"))

        let out = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        try HubCheckpointWriter.write(tensors: renamed, copyingFrom: Fixtures.url("llava/\(directory)"), to: out)
        #expect(try HubTensorReader(directory: out).readAll() == hub)
        let written = try SafeTensorsFile(path: out.appendingPathComponent("model.safetensors").path)
        #expect(written.metadata == ["format": "pt"])
        #expect(Set(written.entries.keys) == Set(hub.keys))
        for file in ["config.json", "generation_config.json", "tokenizer.json", "chat_template.json", "preprocessor_config.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        let stray = Self.failure {
            try HubCheckpointWriter.write(tensors: ["model.layers.0.x": HubTensor(shape: [1], values: [0])], copyingFrom: Self.tiny, to: out)
        }
        #expect(stray.contains("model.layers.0.x"), "\(stray)")
    }
}

import Foundation
import Testing
import LoomCheckpoint
import LoomCore
import LoomModels
import LoomTestSupport

/// Qwen2 decoder against transformers' `Qwen2ForCausalLM` on the tiny reference checkpoints.
@Suite struct Qwen2ParityTests {
    static let configs = ["mha-f32", "gqa-f32", "gqa-bf16", "mqa-sharded"]

    func load(_ name: String) throws -> (Qwen2Model, URL) {
        let dir = Fixtures.url("qwen2/\(name)")
        let model = try #require(try ModelRegistry.load(directory: dir, compute: .f32) as? Qwen2Model)
        return (model, dir)
    }

    @Test(arguments: configs)
    func logitsOfEveryPositionMatch(name: String) throws {
        let (model, dir) = try load(name)
        let reference = try Fixtures.referenceJSON(dir)
        let ids = Fixtures.ints(reference, "prompt_ids")
        let expected = try Fixtures.referenceTensor(dir, "logits")
        let logits = model.logits(model.forward(model.embed(ids), cache: model.makeCache()))
        #expect(logits.shape == expected.shape)
        #expect(maxAbsDifference(logits.data, expected.data) < 1e-4)
    }

    /// Prefill then one token at a time through the KV cache reproduces the teacher-forced reference logits.
    @Test(arguments: configs)
    func incrementalDecodingMatchesTeacherForcedLogits(name: String) throws {
        let (model, dir) = try load(name)
        let reference = try Fixtures.referenceJSON(dir)
        let prompt = Fixtures.ints(reference, "prompt_ids")
        let continuation = Fixtures.ints(reference, "greedy_ids")
        let expected = try Fixtures.referenceTensor(dir, "greedy_logits")
        let cache = model.makeCache()
        var rows = model.logits(model.forward(model.embed(prompt), cache: cache)).data
        for id in continuation.dropLast() {
            rows += model.logits(model.forward(model.embed([id]), cache: cache)).data
        }
        let width = model.vocabularySize
        #expect(rows.count == (prompt.count + continuation.count - 1) * width)
        #expect(maxAbsDifference(rows, expected.data.prefix(rows.count)) < 1e-4)
    }

    /// A prompt prefilled in chunks (3 positions at a time, against the growing cache) ends in the same logits as
    /// one pass and leaves the same cache, in f32 (where they also match the reference's last position) and in bf16 (packed weights, bf16 cache).
    @Test(arguments: configs, [ComputeOptions.f32, .bf16])
    func chunkedPrefillMatchesWholePrompt(name: String, compute: ComputeOptions) throws {
        let dir = Fixtures.url("qwen2/\(name)")
        let model = try ModelRegistry.load(directory: dir, compute: compute).languageModel
        let ids = Fixtures.ints(try Fixtures.referenceJSON(dir), "prompt_ids")
        let whole = model.logits(model.prefill([.tokens(ids)], cache: model.makeCache(), chunkRows: ids.count))
        let cache = model.makeCache()
        let chunked = model.logits(model.prefill([.tokens(ids)], cache: cache, chunkRows: 3))
        #expect(ids.count > 6 && cache.length == ids.count)
        #expect(maxAbsDifference(chunked.data, whole.data) < (compute == .f32 ? 1e-4 : 1e-3))
        // The cache a prefill leaves (its last layer ran attention and the MLP for one row only, none in the chunks
        // before) decodes the next token as the cache of an every-row pass does.
        let everyRow = model.makeCache()
        _ = model.forward(model.embed(ids), cache: everyRow)
        let next = model.embed([ids[0]])
        let decoded = model.logits(model.forward(next, cache: cache)).data
        #expect(maxAbsDifference(decoded, model.logits(model.forward(next, cache: everyRow)).data) < (compute == .f32 ? 1e-4 : 1e-3))
        if compute == .f32 {
            let expected = try Fixtures.referenceTensor(dir, "logits").data.suffix(model.vocabularySize)
            #expect(maxAbsDifference(chunked.data, Array(expected)) < 1e-4)
        }
    }

    @Test(arguments: configs)
    func greedyContinuationIsIdentical(name: String) throws {
        let (model, dir) = try load(name)
        let reference = try Fixtures.referenceJSON(dir)
        let prompt = Fixtures.ints(reference, "prompt_ids")
        let expected = Fixtures.ints(reference, "greedy_ids")
        let eos = Set(model.eosTokenIDs)
        let cache = model.makeCache()
        var logits = model.logits(model.forward(model.embed(prompt), cache: cache).rows((prompt.count - 1)..<prompt.count))
        var generated: [Int] = []
        while generated.count < expected.count {
            let next = logits.data.indices.max { logits.data[$0] < logits.data[$1] || (logits.data[$0] == logits.data[$1] && $0 > $1) }!
            generated.append(next)
            if eos.contains(next) { break }
            logits = model.logits(model.forward(model.embed([next]), cache: cache))
        }
        #expect(generated == expected)
    }

    @Test func defaultsApplyToFieldsAbsentFromConfig() throws {
        let config = try ConfigFile.decode(Qwen2Configuration.self, from: Data(#"{"model_type":"qwen2"}"#.utf8), file: "config.json")
        #expect(config.vocabSize == 151_936)
        #expect(config.hiddenSize == 4096 && config.numHiddenLayers == 32 && config.kvHeads == 32)
        #expect(config.ropeTheta == 10_000 && config.rmsNormEps == 1e-6 && !config.tieWordEmbeddings)
        let v5 = try ConfigFile.decode(Qwen2Configuration.self,
                                       from: Data(#"{"rope_parameters":{"rope_theta":1000000.0,"rope_type":"default"},"eos_token_id":[1,2]}"#.utf8),
                                       file: "config.json")
        #expect(v5.ropeTheta == 1_000_000 && v5.eosTokenIDs == [1, 2])
    }
}

/// Loading failures give one-line errors naming the cause.
@Suite struct ModelLoadingErrorTests {
    func brokenCopy(_ edit: (inout [String: Any]) -> Void) throws -> URL {
        let dir = try Fixtures.copy(Fixtures.url("qwen2/mha-f32"))
        let url = dir.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        return dir
    }

    @Test func unknownModelType() throws {
        let dir = try brokenCopy { $0["model_type"] = "mamba" }
        #expect(throws: ModelError.unknownModelType("mamba", known: ModelRegistry.supportedTypes)) {
            try ModelRegistry.load(directory: dir)
        }
    }

    @Test func configDisagreeingWithTensorShapes() throws {
        let dir = try brokenCopy { $0["intermediate_size"] = 128 }
        do {
            _ = try ModelRegistry.load(directory: dir)
            Issue.record("loaded a model whose config disagrees with its tensors")
        } catch let error as CheckpointError {
            guard case .shapeMismatch(let tensor, let expected, let actual) = error else { Issue.record("\(error)"); return }
            #expect(tensor == "model.layers.0.mlp.gate_proj.weight")
            #expect(expected == [128, 64] && actual == [160, 64])
        }
    }

    @Test func layerCountBeyondTheCheckpointIsAnError() throws {
        let dir = try brokenCopy { $0["num_hidden_layers"] = 1_000_000_000 }
        #expect(throws: ModelError.invalidConfiguration("num_hidden_layers 1000000000: 1000000000 layers needed but the checkpoint holds 2 (model.layers.0…)")) {
            try ModelRegistry.load(directory: dir)
        }
        let llava = try Fixtures.copy(Fixtures.url("llava/tiny-84"))
        let url = llava.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var vision = config["vision_config"] as! [String: Any]
        vision["num_hidden_layers"] = 1_000_000_000
        config["vision_config"] = vision
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        do {
            _ = try ModelRegistry.load(directory: llava)
            Issue.record("loaded a vision tower of a billion layers")
        } catch let error as ModelError {
            #expect("\(error)".contains("vision_config.num_hidden_layers 1000000000: 1000000000 layers needed but the checkpoint holds 2"), "\(error)")
        }
    }

    @Test(arguments: ["../outside.safetensors", "/etc/passwd", "sub/model.safetensors", ".."])
    func shardNamesArePlainFileNames(_ shard: String) throws {
        let dir = try Fixtures.copy(Fixtures.url("qwen2/mqa-sharded"))
        let url = dir.appendingPathComponent("model.safetensors.index.json")
        var index = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var map = index["weight_map"] as! [String: String]
        map[map.keys.sorted()[0]] = shard
        index["weight_map"] = map
        try JSONSerialization.data(withJSONObject: index).write(to: url)
        #expect(throws: CheckpointError.invalidIndex(file: "model.safetensors.index.json",
                                                     reason: "shard '\(shard)' is not a plain file name in the model directory")) {
            try ModelRegistry.load(directory: dir)
        }
    }

    @Test func invalidConfigValue() throws {
        let dir = try brokenCopy { $0["num_key_value_heads"] = 3 }
        #expect(throws: ModelError.self) { try ModelRegistry.load(directory: dir) }
        let typo = try brokenCopy { $0["hidden_size"] = "sixty-four" }
        #expect(throws: CheckpointError.invalidConfig(file: "config.json", reason: "field hidden_size should be Int")) {
            try ModelRegistry.load(directory: typo)
        }
    }

    @Test func missingFiles() throws {
        let dir = try Fixtures.copy(Fixtures.url("qwen2/mha-f32"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model.safetensors"))
        #expect(throws: CheckpointError.missingFile(dir.appendingPathComponent("model.safetensors").path)) {
            try ModelRegistry.load(directory: dir)
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("config.json"))
        #expect(throws: CheckpointError.missingFile(dir.appendingPathComponent("config.json").path)) {
            try ModelRegistry.load(directory: dir)
        }
    }
}

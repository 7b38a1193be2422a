import Foundation
import Testing
import LoomCheckpoint
import LoomCore
import LoomModels
import LoomTestSupport

/// Mean KL(p ‖ q) of the next-token distributions of two `[rows, vocabulary]` logit tensors.
func meanKL(_ p: Tensor, _ q: Tensor) -> Double {
    var total = 0.0
    for r in 0..<p.rows {
        let lp = Ops.logSoftmax(p.row(r)), lq = Ops.logSoftmax(q.row(r))
        total += zip(lp, lq).reduce(0.0) { $0 + Double(exp($1.0)) * Double($1.0 - $1.1) }
    }
    return total / Double(p.rows)
}

/// Root-mean-square difference.
func rmsDifference(_ a: [Float], _ b: [Float]) -> Double {
    (zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(a.count)).squareRoot()
}

/// bf16, int8 and int4 compute modes against the f32 reference on the Qwen2 fixtures.
@Suite struct ComputeModeParityTests {
    /// Bounds on the mean next-token KL divergence from f32 on these fixtures (README, "Compute modes"). Their
    /// weights are about 12× larger than a trained checkpoint's (std 0.25), which magnifies quantisation error.
    static let klBound: [ComputeOptions.WeightFormat: Double] = [.int8: 0.012, .int4: 2.1]
    /// The same quantisation simulated in PyTorch (`tools/reference/quantized_kl.py`).
    static let pytorchKL: [String: Double] = ["gqa-f32 int8": 0.0068717, "gqa-f32 int4": 1.7720367,
                                              "mha-f32 int8": 0.0110367, "mha-f32 int4": 2.0214107]

    func logits(_ name: String, _ compute: ComputeOptions) throws -> Tensor {
        let dir = Fixtures.url("qwen2/\(name)")
        let model = try #require(try ModelRegistry.load(directory: dir, compute: compute) as? Qwen2Model)
        let ids = Fixtures.ints(try Fixtures.referenceJSON(dir), "prompt_ids")
        return model.logits(model.forward(model.embed(ids), cache: model.makeCache()))
    }

    /// Loom in bf16 is at least as close to the f32 reference as transformers in bf16 is.
    @Test func bf16ErrorIsNoLargerThanTransformersBF16() throws {
        let dir = Fixtures.url("qwen2/gqa-bf16")
        let reference = try Fixtures.referenceTensor(dir, "logits")
        let transformers = try Fixtures.referenceTensor(dir, "logits_bf16")
        let ours = try logits("gqa-bf16", ComputeOptions())
        #expect(ours.shape == reference.shape)
        #expect(maxAbsDifference(ours.data, reference.data) <= maxAbsDifference(transformers.data, reference.data))
        #expect(rmsDifference(ours.data, reference.data) <= rmsDifference(transformers.data, reference.data))
    }

    @Test(arguments: [ComputeOptions.WeightFormat.int8, .int4], ["gqa-f32", "mha-f32"])
    func quantizedKLIsBounded(format: ComputeOptions.WeightFormat, name: String) throws {
        let reference = try logits(name, .f32)
        let quantized = try logits(name, ComputeOptions(dtype: .f32, weights: format))
        let kl = meanKL(reference, quantized)
        #expect(kl < Self.klBound[format]!)
        let simulated = Self.pytorchKL["\(name) \(format.rawValue)"]!
        #expect(abs(kl - simulated) < 0.01 * simulated)
    }

    /// `loom quantize` output loads directly and computes what quantising at load time computes.
    @Test(arguments: [QuantizedMatrix.Bits.int8, .int4])
    func quantizedCheckpointLoadsDirectly(bits: QuantizedMatrix.Bits) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-quantized-\(bits.rawValue)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        try QuantizedCheckpointWriter.write(from: Fixtures.url("qwen2/gqa-f32"), to: out, bits: bits)
        let file = try SafeTensorsFile(path: out.appendingPathComponent("model.safetensors").path)
        #expect(file.metadata["loom.quantization"] == (bits == .int8 ? "int8" : "int4"))
        #expect(file.entries["model.layers.0.mlp.up_proj.weight.q"]?.dtypeName == (bits == .int8 ? "I8" : "U8"))
        #expect(file.entries["model.layers.0.mlp.up_proj.weight.scales"]?.dtypeName == "F16")
        #expect(file.entries["model.norm.weight"]?.dtypeName == "F32")
        let model = try #require(try ModelRegistry.load(directory: out, compute: .f32) as? Qwen2Model)
        let ids = Fixtures.ints(try Fixtures.referenceJSON(Fixtures.url("qwen2/gqa-f32")), "prompt_ids")
        let loaded = model.logits(model.forward(model.embed(ids), cache: model.makeCache()))
        let atLoad = try logits("gqa-f32", ComputeOptions(dtype: .f32, weights: bits == .int8 ? .int8 : .int4))
        #expect(loaded.data == atLoad.data)
    }

    /// `loom quantize --weights bf16` output maps its packed matrices at load and computes exactly what packing at
    /// load computes: a decoder (q/k/v and gate/up stacked, tied head) and a LLaVA model (vision tower, projector).
    @Test(.enabled(if: Capabilities.packedBF16, Capabilities.packedBF16Reason)) func packedCheckpointComputesAsPackingAtLoad() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-packed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let source = Fixtures.url("qwen2/gqa-bf16")
        try PackedModelWriter.write(from: source, to: out.appendingPathComponent("qwen2"))
        let file = try SafeTensorsFile(path: out.appendingPathComponent("qwen2/model.safetensors").path)
        #expect(file.metadata["loom.packing"] == "bf16-BA16a64b2a")
        let qkv = ["q", "k", "v"].map { "model.layers.0.self_attn.\($0)_proj.weight" }.joined(separator: "+") + ".bf16_blocks"
        #expect(file.entries[qkv]?.dtypeName == "BF16")
        #expect(file.entries["model.layers.0.self_attn.q_proj.weight"] == nil)
        #expect(file.entries["model.layers.0.self_attn.q_proj.bias"] != nil && file.entries["model.norm.weight"] != nil)
        func decoderLogits(_ directory: URL) throws -> Tensor {
            let model = try #require(try ModelRegistry.load(directory: directory) as? Qwen2Model)
            let ids = Fixtures.ints(try Fixtures.referenceJSON(source), "prompt_ids")
            return model.logits(model.forward(model.embed(ids), cache: model.makeCache()))
        }
        #expect(try decoderLogits(out.appendingPathComponent("qwen2")).data == decoderLogits(source).data)

        let llavaSource = Fixtures.url("llava/tiny-84-bf16")
        try PackedModelWriter.write(from: llavaSource, to: out.appendingPathComponent("llava"))
        func llavaOutputs(_ directory: URL) throws -> (features: [Float], logits: [Float]) {
            let model = try #require(try ModelRegistry.load(directory: directory) as? LlavaModel)
            let size = model.configuration.visionConfig.imageSize
            let features = try model.imageFeatures(Tensor(shape: [1, 3, size, size], data: (0..<(3 * size * size)).map {
                Float($0 % 97) / 48 - 1
            }))
            let decoder = model.languageModel
            let inputs: [DecoderInput] = [.tokens([5, 9, 2]), .features(features), .tokens([7, 3])]
            let rows = decoder.embed(inputs, positions: 0..<(5 + features.rows))
            let hidden = decoder.forward(rows, cache: decoder.makeCache())
            return (features.data, decoder.logits(hidden).data)
        }
        let packed = try llavaOutputs(out.appendingPathComponent("llava")), atLoad = try llavaOutputs(llavaSource)
        #expect(packed.features == atLoad.features)
        #expect(packed.logits == atLoad.logits)
    }

    /// A packed checkpoint refuses compute modes it cannot serve, and a second packing, with errors that say so.
    @Test(.enabled(if: Capabilities.packedBF16, Capabilities.packedBF16Reason)) func packedCheckpointRefusesOtherModes() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-packed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        try PackedModelWriter.write(from: Fixtures.url("qwen2/gqa-bf16"), to: out)
        let f32 = #expect(throws: CheckpointError.self) { try ModelRegistry.load(directory: out, compute: .f32) }
        #expect(f32?.description.contains("compute in bf16 only") == true)
        let int4 = #expect(throws: CheckpointError.self) { try ModelRegistry.load(directory: out, compute: ComputeOptions(weights: .int4)) }
        #expect(int4?.description.contains("compute in bf16 only") == true)
        let again = #expect(throws: CheckpointError.self) { try PackedModelWriter.write(from: out, to: out.appendingPathComponent("again")) }
        #expect(again?.description.contains("already packed") == true)
        let quantized = #expect(throws: CheckpointError.self) {
            try QuantizedCheckpointWriter.write(from: out, to: out.appendingPathComponent("int4"), bits: .int4)
        }
        #expect(quantized?.description.contains("already packed") == true)
        let overItself = #expect(throws: CheckpointError.self) { try PackedModelWriter.write(from: Fixtures.url("qwen2/gqa-bf16"), to: Fixtures.url("qwen2/gqa-bf16")) }
        #expect(overItself?.description.contains("over its own source") == true)

        let weights = out.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: weights)
        let length = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        var header = try #require(try JSONSerialization.jsonObject(with: data[8..<(8 + length)]) as? [String: Any])
        var metadata = try #require(header["__metadata__"] as? [String: String])
        let key = "model.layers.1.mlp.down_proj.weight"
        metadata["loom.shapes"] = metadata["loom.shapes"]!.replacingOccurrences(of: "\"\(key)\":[", with: "\"\(key)\":[1,")
        header["__metadata__"] = metadata
        let json = try JSONSerialization.data(withJSONObject: header)
        try (withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) } + json + data[(8 + length)...]).write(to: weights)
        let lying = #expect(throws: CheckpointError.self) { try ModelRegistry.load(directory: out) }
        #expect(lying?.description.contains(key) == true)
    }

    /// Tensors no product uses are copied as stored by both converters, integer ones included; a quantised copy
    /// is not converted again.
    @Test(.enabled(if: Capabilities.packedBF16, Capabilities.packedBF16Reason)) func convertersCopyOtherTensorsAsStored() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("loom-convert-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: root) }
        let fixture = Fixtures.url("qwen2/gqa-bf16"), source = root.appendingPathComponent("source")
        try fm.createDirectory(at: source, withIntermediateDirectories: true)
        try fm.copyItem(at: fixture.appendingPathComponent("config.json"), to: source.appendingPathComponent("config.json"))
        let original = try SafeTensorsFile(path: fixture.appendingPathComponent("model.safetensors").path)
        let positions: [Int64] = [0, 1, 2, 3]
        try positions.withUnsafeBytes { positionBytes in
            var tensors = try original.entries.keys.map { name -> SafeTensorsWriter.Tensor in
                let raw = try #require(original.rawTensor(name))
                return .init(name: name, dtypeName: raw.entry.dtypeName, shape: raw.entry.shape, bytes: raw.bytes)
            }
            tensors.append(.init(name: "model.position_ids", dtypeName: "I64", shape: [4], bytes: positionBytes))
            try SafeTensorsWriter.write(tensors, to: source.appendingPathComponent("model.safetensors"))
        }
        try PackedModelWriter.write(from: source, to: root.appendingPathComponent("packed"))
        try QuantizedCheckpointWriter.write(from: source, to: root.appendingPathComponent("int8"), bits: .int8)
        for copy in ["packed", "int8"] {
            let file = try SafeTensorsFile(path: root.appendingPathComponent("\(copy)/model.safetensors").path)
            let ids = try #require(file.rawTensor("model.position_ids"))
            #expect(ids.entry.dtypeName == "I64" && ids.entry.shape == [4])
            #expect((0..<4).map { ids.bytes.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) } == positions)
            let norm = try #require(file.rawTensor("model.norm.weight")), stored = try #require(original.rawTensor("model.norm.weight"))
            #expect(Array(norm.bytes) == Array(stored.bytes))
        }
        let again = #expect(throws: CheckpointError.self) {
            try PackedModelWriter.write(from: root.appendingPathComponent("int8"), to: root.appendingPathComponent("int8-packed"))
        }
        #expect(again?.description.contains("already packed or quantised") == true)
    }
}

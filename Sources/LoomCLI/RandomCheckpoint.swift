import Foundation
import LoomCheckpoint
import LoomCore
import LoomModels

/// Writes a named architecture with random weights as a model directory (`config.json`, `model.safetensors`),
/// so that `loom bench --model DIR` and other engines can load the same weights from disk.
enum RandomCheckpoint {
    /// A source that remembers every tensor it hands out.
    final class Recorder: TensorSource, @unchecked Sendable {
        let base: any TensorSource
        var weights: [String: Weight] = [:]
        init(_ base: any TensorSource) { self.base = base }
        func contains(_ name: String) -> Bool { base.contains(name) }
        func weight(_ name: String, shape: [Int]) throws -> Weight {
            let w = try base.weight(name, shape: shape)
            weights[name] = w
            return w
        }
    }

    static func write(architecture: String, dtype: DType, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config: Data
        let recorder: Recorder
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let text = Architectures.textModels[architecture] {
            recorder = Recorder(RandomWeights(dtype: dtype, absent: text.tieWordEmbeddings ? ["lm_head.weight"] : []))
            _ = try Qwen2Model(configuration: text, checkpoint: recorder)
            config = try encoder.encode(text)
        } else if let llava = Architectures.multimodalModels[architecture] {
            recorder = Recorder(RandomWeights(dtype: dtype, absent: llava.tieWordEmbeddings ? ["lm_head.weight", "language_model.lm_head.weight"] : []))
            _ = try LlavaModel(configuration: llava, source: recorder)
            config = try encoder.encode(llava)
        } else {
            throw CheckpointError.missingFile("architecture \(architecture)")
        }
        try config.write(to: directory.appendingPathComponent("config.json"))
        try SafeTensorsWriter.write(Array(recorder.weights.values), to: directory.appendingPathComponent("model.safetensors"),
                                    metadata: ["format": "pt"])
    }
}

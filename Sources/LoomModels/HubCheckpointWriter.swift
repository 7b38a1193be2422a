import Foundation
import LoomCheckpoint
import LoomCore

/// A tensor of a full checkpoint: its shape, its values in f32 and the dtype it is (to be) stored in.
public struct HubTensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]
    public var dtype: DType

    public init(shape: [Int], values: [Float], dtype: DType = .f32) {
        self.shape = shape
        self.values = values
        self.dtype = dtype
    }
}

/// Writes full LLaVA checkpoints in the llava-hf hub layout (train.md §6): one `model.safetensors` (header metadata
/// `{"format": "pt"}`, keys sorted) holding `language_model.model.*`, `language_model.lm_head.weight` (untied models
/// only), `multi_modal_projector.linear_{1,2}.*` and `vision_tower.vision_model.*`, plus the source directory's
/// configuration, tokenizer and processor files.
public enum HubCheckpointWriter {
    /// Files copied from the source directory when present.
    public static let companionFiles = [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "added_tokens.json", "vocab.json", "merges.txt", "chat_template.json", "chat_template.jinja",
        "preprocessor_config.json", "processor_config.json",
    ]

    /// Name prefixes of the llava-hf hub layout.
    static let hubPrefixes = ["language_model.model.", "language_model.lm_head.", "multi_modal_projector.", "vision_tower.vision_model.",
                              "image_newline"]

    /// Writes `tensors` (by hub name; each stored in its dtype) as `destination/model.safetensors` and copies the
    /// companion files of `source` (the model directory the weights were trained from). `destination` is created
    /// when missing and must not be `source`.
    public static func write(tensors: [String: HubTensor], copyingFrom source: URL, to destination: URL) throws {
        let weights = try tensors.map { name, tensor -> Weight in
            guard tensor.shape.reduce(1, *) == tensor.values.count else {
                throw ModelError.invalidInput("tensor '\(name)': shape \(tensor.shape) needs \(tensor.shape.reduce(1, *)) values, has \(tensor.values.count)")
            }
            return Weight(name: name, shape: tensor.shape, values: tensor.values, dtype: tensor.dtype)
        }
        try write(weights: weights, copyingFrom: source, to: destination)
    }

    /// Writes `weights` (dense, named by hub name, in their stored dtypes) as `destination/model.safetensors` and
    /// copies the companion files of `source`. A name outside the hub layout is an error naming it.
    public static func write(weights: [Weight], copyingFrom source: URL, to destination: URL) throws {
        if let stray = weights.map(\.name).sorted().first(where: { name in !hubPrefixes.contains { name.hasPrefix($0) } }) {
            throw ModelError.invalidInput("tensor '\(stray)' is not a llava-hf hub name (language_model.model.*, "
                + "language_model.lm_head.weight, multi_modal_projector.*, vision_tower.vision_model.*)")
        }
        let fm = FileManager.default
        guard destination.standardizedFileURL.resolvingSymlinksInPath().path != source.standardizedFileURL.resolvingSymlinksInPath().path else {
            throw CheckpointError.unreadableFile(destination.path, reason: "cannot write a checkpoint over its own source directory")
        }
        do {
            try fm.createDirectory(at: destination, withIntermediateDirectories: true)
            let staleIndex = destination.appendingPathComponent("model.safetensors.index.json")
            if fm.fileExists(atPath: staleIndex.path) { try fm.removeItem(at: staleIndex) }
        } catch {
            throw CheckpointError.unreadableFile(destination.path, reason: "cannot prepare the directory: \(error.localizedDescription)")
        }
        try SafeTensorsWriter.write(weights, to: destination.appendingPathComponent("model.safetensors"), metadata: ["format": "pt"])
        for file in companionFiles where fm.fileExists(atPath: source.appendingPathComponent(file).path) {
            let target = destination.appendingPathComponent(file)
            do {
                if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
                try fm.copyItem(at: source.appendingPathComponent(file), to: target)
            } catch {
                throw CheckpointError.unreadableFile(target.path, reason: "cannot copy \(file): \(error.localizedDescription)")
            }
        }
    }
}

/// The tensors of a LLaVA model directory (`model_type` `llava` or `llava_next`) under their llava-hf hub names,
/// whatever layout ``LlavaTensorLayout`` finds them in (hub, transformers ≥ 4.52 / 5 names, 5.24's `save_pretrained`);
/// a tied `lm_head` is left out. Read one at a time (``tensor(_:)``) or all at once (``readAll()``) in f32, each with
/// its stored dtype.
public final class HubTensorReader {
    /// The model directory.
    public let directory: URL
    /// Its `config.json` (the `llava` part for `llava_next`).
    public let configuration: LlavaConfiguration
    /// Every hub name, sorted.
    public let names: [String]
    private let checkpoint: Checkpoint
    private let stored: [String: String]

    /// Opens the weights of `directory`. Checkpoints already packed or quantised by `loom quantize` are refused.
    public init(directory: URL) throws {
        let type = try ConfigFile.modelType(in: directory)
        switch type {
        case "llava": configuration = try ConfigFile.read(LlavaConfiguration.self, named: "config.json", in: directory)
        case "llava_next": configuration = try ConfigFile.read(LlavaNextConfiguration.self, named: "config.json", in: directory).llava
        default:
            throw ModelError.invalidInput("llava-hf checkpoints are written from llava or llava_next models; \(directory.lastPathComponent) is '\(type)'")
        }
        self.directory = directory
        checkpoint = try Checkpoint(directory: directory)
        guard !checkpoint.storesPackedBF16 && !checkpoint.storesQuantized else {
            throw ModelError.invalidInput("\(directory.lastPathComponent) is packed or quantised (loom quantize); use the original checkpoint")
        }
        let layout = try LlavaTensorLayout.detect(in: checkpoint)
        let tied = configuration.tieWordEmbeddings || configuration.textConfig.tieWordEmbeddings
        let renames = [(layout.projectorFirst + ".", "multi_modal_projector.linear_1."),
                       (layout.projectorSecond + ".", "multi_modal_projector.linear_2."),
                       (layout.visionPrefix, "vision_tower.vision_model."), (layout.decoderPrefix, "language_model.model.")]
        var stored: [String: String] = [:]
        for name in checkpoint.names {
            if name == layout.lmHead {
                if !tied { stored["language_model.lm_head.weight"] = name }
            } else if let (from, to) = renames.first(where: { name.hasPrefix($0.0) }) {
                stored[to + name.dropFirst(from.count)] = name
            } else if name == "image_newline" || name == "model.image_newline" {
                stored["image_newline"] = name
            } else {
                throw ModelError.invalidInput("tensor '\(name)' of \(directory.lastPathComponent) has no place in the llava-hf layout")
            }
        }
        self.stored = stored
        names = stored.keys.sorted()
    }

    /// The tensor with hub name `name` in f32, with its stored dtype.
    public func tensor(_ name: String) throws -> HubTensor {
        guard let source = stored[name] else { throw CheckpointError.missingTensor(name) }
        let weight = try checkpoint.weight(source)
        return HubTensor(shape: weight.shape, values: weight.floats(), dtype: weight.dtype)
    }

    /// Every tensor by hub name, in f32 (4 bytes per parameter in memory).
    public func readAll() throws -> [String: HubTensor] {
        try Dictionary(uniqueKeysWithValues: names.map { ($0, try tensor($0)) })
    }
}

import Foundation
import LoomCheckpoint
import LoomCore

/// A model loaded from a directory: at least a decoder that produces tokens.
public protocol LoadedModel: AnyObject, Sendable {
    /// The `model_type` it was loaded as.
    var modelType: String { get }
    /// The decoder that generation drives.
    var languageModel: any LanguageModel { get }
}

extension Qwen2Model: LoadedModel {
    public var modelType: String { configuration.modelType }
    public var languageModel: any LanguageModel { self }
}

/// Model constructors by `config.json`'s `model_type` — never by path names.
public enum ModelRegistry {
    /// Builds a model from a directory's checkpoint.
    public typealias Loader = @Sendable (_ directory: URL, _ checkpoint: Checkpoint) throws -> any LoadedModel

    nonisolated(unsafe) private static var loaders: [String: Loader] = [
        "qwen2": { directory, checkpoint in
            let configuration = try ConfigFile.read(Qwen2Configuration.self, named: "config.json", in: directory)
            return try Qwen2Model(configuration: configuration, checkpoint: checkpoint)
        },
        "llava": { directory, checkpoint in
            let configuration = try ConfigFile.read(LlavaConfiguration.self, named: "config.json", in: directory)
            return try LlavaModel(configuration: configuration, source: checkpoint)
        },
        "llava_next": { directory, checkpoint in
            let configuration = try ConfigFile.read(LlavaNextConfiguration.self, named: "config.json", in: directory)
            return try LlavaNextModel(configuration: configuration, source: checkpoint)
        },
        LlavaQwenConfiguration.modelType: { directory, checkpoint in
            let original = try ConfigFile.read(LlavaQwenConfiguration.self, named: "config.json", in: directory)
            let layers = Set(checkpoint.names.compactMap { name -> Int? in
                guard let range = name.range(of: "vision_model.encoder.layers.") else { return nil }
                return Int(name[range.upperBound...].prefix { $0.isNumber })
            })
            let configuration = try original.llavaConfiguration(storedVisionLayers: (layers.max() ?? -1) + 1)
            return try LlavaModel(configuration: configuration, source: checkpoint, preprocessing: original.imagePreprocessing)
        },
    ]
    private static let lock = NSLock()

    /// The model types that can be loaded.
    public static var supportedTypes: [String] { lock.withLock { loaders.keys.sorted() } }

    /// Registers (or replaces) the loader for `modelType`.
    public static func register(_ modelType: String, loader: @escaping Loader) {
        lock.withLock { loaders[modelType] = loader }
    }

    /// Loads the model in `directory`, chosen by its `config.json` `model_type`, computing as `compute` says
    /// (default: in the checkpoint's dtype).
    public static func load(directory: URL, compute: ComputeOptions = ComputeOptions()) throws -> any LoadedModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CheckpointError.missingFile(directory.path)
        }
        let loader = try loader(for: directory)
        let checkpoint = try Checkpoint(directory: directory)
        checkpoint.compute = compute
        return try loader(directory, checkpoint)
    }

    /// Loads the model in `directory` from `checkpoint` (that directory's weights, with its compute options and
    /// observers already set), chosen by `config.json`'s `model_type`.
    public static func load(directory: URL, checkpoint: Checkpoint) throws -> any LoadedModel {
        try loader(for: directory)(directory, checkpoint)
    }

    /// The loader of the `model_type` that `directory`'s `config.json` names.
    private static func loader(for directory: URL) throws -> Loader {
        let type = try ConfigFile.modelType(in: directory)
        guard let loader = lock.withLock({ loaders[type] }) else {
            throw ModelError.unknownModelType(type, known: supportedTypes)
        }
        return loader
    }
}

/// Which files of a repository `loom pull` fetches.
///
/// By default the files a model needs, at the top of the repository: `*.json` (configs, tokenizer, processor, chat
/// template, generation config, safetensors index) except training leftovers such as `trainer_state.json`;
/// `*.safetensors`; `*.jinja` (also `additional_chat_templates/*.jinja`); `merges.txt`, `vocab.json`,
/// `tokenizer.model`, `*.tiktoken`. Never by default: `onnx/`, `*.bin`, `*.pt`, `*.pth`, `*.ckpt`, `*.msgpack`,
/// `*.h5`, `*.gguf`, `*.onnx`, `*.tflite`, `*.ot`, anything in a sub-folder (checkpoints, exports).
///
/// `--include` patterns add files (also ones the defaults leave out, e.g. `onnx/*`); `--exclude` patterns remove
/// files, whatever included them. Patterns are ``Glob``s over the full path.
public struct PullPlan: Sendable {
    /// Extra patterns to fetch.
    public var include: [Glob]
    /// Patterns never to fetch.
    public var exclude: [Glob]

    /// Top-level file patterns fetched by default.
    public static let defaultFiles: [Glob] = [
        "*.json", "*.safetensors", "*.jinja", "merges.txt", "vocab.json", "tokenizer.model", "*.tiktoken",
    ].map(Glob.init)
    /// Sub-folder patterns fetched by default.
    public static let defaultFolders: [Glob] = ["additional_chat_templates/*.jinja"].map(Glob.init)
    /// Patterns the defaults leave out.
    public static let defaultExclusions: [Glob] = [
        "onnx/*", "trainer_state.json", "training_args.json", "optimizer.json", "*.bin", "*.pt", "*.pth", "*.ckpt",
        "*.msgpack", "*.h5", "*.gguf", "*.onnx", "*.onnx_data", "*.tflite", "*.ot", "*.mlmodel",
    ].map(Glob.init)

    /// A plan: the defaults plus `include`, minus `exclude`.
    public init(include: [String] = [], exclude: [String] = []) {
        self.include = include.map(Glob.init)
        self.exclude = exclude.map(Glob.init)
    }

    /// Whether `path` is fetched.
    public func selects(_ path: String) -> Bool {
        if exclude.contains(where: { $0.matches(path) }) { return false }
        if include.contains(where: { $0.matches(path) }) { return true }
        if Self.defaultExclusions.contains(where: { $0.matches(path) }) { return false }
        if !path.contains("/") { return Self.defaultFiles.contains { $0.matches(path) } }
        return Self.defaultFolders.contains { $0.matches(path) }
    }

    /// The selected paths of `paths`, in their order.
    public func select(_ paths: [String]) -> [String] {
        paths.filter(selects)
    }
}

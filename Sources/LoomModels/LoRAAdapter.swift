import CBLAS
import Foundation
import LoomCheckpoint
import LoomCore

/// `adapter_config.json` of a PEFT LoRA adapter (the keys of PEFT 0.21.2). Decoding reads the settings Loom applies
/// and those it must refuse (DoRA, LoRA biases, per-module rank or alpha patterns); other keys are ignored, and
/// ``LoRAAdapter/save(to:)`` writes every key PEFT 0.21.2 writes, the others at PEFT's defaults.
public struct LoRAConfiguration: Codable, Sendable, Equatable {
    /// Rank of every pair (`r`).
    public var r: Int
    /// `lora_alpha`: the update is scaled by `lora_alpha / r` (``scale``).
    public var loraAlpha: Double
    /// `lora_dropout` (training only; inference ignores it).
    public var loraDropout: Double
    /// `target_modules`: module names, or one regular expression when ``targetModulesIsRegex`` (PEFT takes a string
    /// as a regex matched against the whole module path).
    public var targetModules: [String]
    /// Whether `target_modules` is a regex string rather than a list of names.
    public var targetModulesIsRegex: Bool
    /// `modules_to_save`: modules stored whole in the adapter, e.g. `["multi_modal_projector"]`.
    public var modulesToSave: [String]?
    /// `use_rslora`: scale by `lora_alpha / √r` instead.
    public var useRslora: Bool
    /// `base_model_name_or_path`: the hub id or path of the model the adapter was trained on.
    public var baseModelNameOrPath: String?
    /// `peft_type`; only `LORA` is applied.
    public var peftType: String
    /// `use_dora` (refused).
    public var useDora: Bool
    /// `bias` (`none` only).
    public var bias: String
    /// `lora_bias` (refused).
    public var loraBias: Bool
    /// `fan_in_fan_out` (refused: Conv1D-style weights).
    public var fanInFanOut: Bool
    /// `rank_pattern` and `alpha_pattern` (per-module overrides; refused unless empty).
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]

    /// The decoder projections LoRA adapts by default: every linear of attention and the MLP.
    public static let defaultTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

    /// The regex that makes PEFT adapt `targets` in the language model only,
    /// `.*language_model.*\.(q_proj|k_proj|…)` (a bare name list would also hit SigLIP's `q/k/v_proj`).
    public static func languageModelRegex(_ targets: [String]) -> String {
        ".*language_model.*\\.(" + targets.joined(separator: "|") + ")"
    }

    /// A LoRA configuration; by default rank 8, α 16, dropout 0.05 on every decoder linear of the language model.
    public init(r: Int = 8, loraAlpha: Double = 16, loraDropout: Double = 0.05,
                targetModules: [String] = [LoRAConfiguration.languageModelRegex(LoRAConfiguration.defaultTargets)],
                targetModulesIsRegex: Bool = true, modulesToSave: [String]? = nil, useRslora: Bool = false,
                baseModelNameOrPath: String? = nil) {
        self.r = r
        self.loraAlpha = loraAlpha
        self.loraDropout = loraDropout
        self.targetModules = targetModules
        self.targetModulesIsRegex = targetModulesIsRegex
        self.modulesToSave = modulesToSave
        self.useRslora = useRslora
        self.baseModelNameOrPath = baseModelNameOrPath
        peftType = "LORA"
        useDora = false
        bias = "none"
        loraBias = false
        fanInFanOut = false
        rankPattern = [:]
        alphaPattern = [:]
    }

    /// What the product `B · A` is multiplied by: `lora_alpha / r`, or `lora_alpha / √r` with `use_rslora`.
    public var scale: Float {
        Float(useRslora ? loraAlpha / Double(r).squareRoot() : loraAlpha / Double(r))
    }

    /// Throws unless Loom can apply an adapter with these settings.
    public func validate() throws {
        func fail(_ reason: String) -> ModelError { .invalidConfiguration("adapter_config.json: \(reason)") }
        guard peftType == "LORA" else { throw fail("peft_type '\(peftType)' is not supported (only LORA)") }
        guard r > 0 else { throw fail("r must be positive, is \(r)") }
        guard loraAlpha.isFinite, loraAlpha != 0 else { throw fail("lora_alpha must be a finite non-zero number, is \(loraAlpha)") }
        guard loraDropout >= 0, loraDropout < 1 else { throw fail("lora_dropout must lie in [0, 1), is \(loraDropout)") }
        guard !targetModules.isEmpty, !targetModulesIsRegex || targetModules.count == 1 else {
            throw fail("target_modules must be one regex or a non-empty list of names")
        }
        guard !useDora else { throw fail("use_dora true (DoRA) is not supported") }
        guard bias == "none", !loraBias else { throw fail("LoRA biases (bias '\(bias)', lora_bias \(loraBias)) are not supported") }
        guard !fanInFanOut else { throw fail("fan_in_fan_out true is not supported") }
        guard rankPattern.isEmpty, alphaPattern.isEmpty else {
            throw fail("rank_pattern and alpha_pattern (per-module ranks or alphas) are not supported")
        }
    }

    enum CodingKeys: String, CodingKey {
        case r, loraAlpha = "lora_alpha", loraDropout = "lora_dropout", targetModules = "target_modules"
        case modulesToSave = "modules_to_save", useRslora = "use_rslora", baseModelNameOrPath = "base_model_name_or_path"
        case peftType = "peft_type", useDora = "use_dora", bias, loraBias = "lora_bias", fanInFanOut = "fan_in_fan_out"
        case rankPattern = "rank_pattern", alphaPattern = "alpha_pattern"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        r = try c.decodeIfPresent(Int.self, forKey: .r) ?? r
        loraAlpha = try c.decodeIfPresent(Double.self, forKey: .loraAlpha) ?? loraAlpha
        loraDropout = try c.decodeIfPresent(Double.self, forKey: .loraDropout) ?? 0
        if let regex = try? c.decode(String.self, forKey: .targetModules) {
            targetModules = [regex]
            targetModulesIsRegex = true
        } else {
            targetModules = try c.decodeIfPresent([String].self, forKey: .targetModules) ?? []
            targetModulesIsRegex = false
        }
        modulesToSave = try c.decodeIfPresent([String].self, forKey: .modulesToSave)
        useRslora = try c.decodeIfPresent(Bool.self, forKey: .useRslora) ?? false
        baseModelNameOrPath = try c.decodeIfPresent(String.self, forKey: .baseModelNameOrPath)
        peftType = try c.decodeIfPresent(String.self, forKey: .peftType) ?? peftType
        useDora = try c.decodeIfPresent(Bool.self, forKey: .useDora) ?? false
        bias = try c.decodeIfPresent(String.self, forKey: .bias) ?? bias
        loraBias = try c.decodeIfPresent(Bool.self, forKey: .loraBias) ?? false
        fanInFanOut = try c.decodeIfPresent(Bool.self, forKey: .fanInFanOut) ?? false
        rankPattern = try c.decodeIfPresent([String: Int].self, forKey: .rankPattern) ?? [:]
        alphaPattern = try c.decodeIfPresent([String: Double].self, forKey: .alphaPattern) ?? [:]
    }

    /// Encodes every decoded key; `target_modules` as a string when it is a regex, `null`s written out.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(r, forKey: .r)
        try c.encode(loraAlpha, forKey: .loraAlpha)
        try c.encode(loraDropout, forKey: .loraDropout)
        if targetModulesIsRegex, targetModules.count == 1 {
            try c.encode(targetModules[0], forKey: .targetModules)
        } else {
            try c.encode(targetModules, forKey: .targetModules)
        }
        try c.encode(modulesToSave, forKey: .modulesToSave)
        try c.encode(useRslora, forKey: .useRslora)
        try c.encode(baseModelNameOrPath, forKey: .baseModelNameOrPath)
        try c.encode(peftType, forKey: .peftType)
        try c.encode(useDora, forKey: .useDora)
        try c.encode(bias, forKey: .bias)
        try c.encode(loraBias, forKey: .loraBias)
        try c.encode(fanInFanOut, forKey: .fanInFanOut)
        try c.encode(rankPattern, forKey: .rankPattern)
        try c.encode(alphaPattern, forKey: .alphaPattern)
    }

    /// Every key `LoraConfig.save_pretrained` of PEFT 0.21.2 writes, at its defaults (`CAUSAL_LM`, inference mode);
    /// ``encode(to:)``'s keys replace theirs.
    static let peftDefaults = """
        {"alora_invocation_tokens": null, "alpha_pattern": {}, "arrow_config": null, "auto_mapping": null,
         "base_model_name_or_path": null, "bias": "none", "corda_config": null, "ensure_weight_tying": false,
         "eva_config": null, "exclude_modules": null, "fan_in_fan_out": false, "inference_mode": true,
         "init_lora_weights": true, "kasa_config": null, "layer_replication": null, "layers_pattern": null,
         "layers_to_transform": null, "loftq_config": {}, "lora_alpha": 8, "lora_bias": false, "lora_dropout": 0.0,
         "lora_ga_config": null, "megatron_config": null, "megatron_core": "megatron.core", "modules_to_save": null,
         "monteclora_config": null, "peft_type": "LORA", "peft_version": "0.21.2", "qalora_group_size": 16, "r": 8,
         "rank_pattern": {}, "revision": null, "target_modules": null, "target_parameters": null,
         "task_type": "CAUSAL_LM", "trainable_token_indices": null, "use_bdlora": null, "use_dora": false,
         "use_qalora": false, "use_rslora": false, "velora_config": null}
        """

    /// The file's JSON: PEFT's full key set with this configuration's values, keys sorted, indented by 2 as PEFT does.
    func peftJSON() throws -> Data {
        var object = try JSONSerialization.jsonObject(with: Data(Self.peftDefaults.utf8)) as! [String: Any]
        let own = try JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as! [String: Any]
        object.merge(own) { _, new in new }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}

/// One LoRA pair on a decoder linear, in f32: `A` `[rank, inFeatures]` and `B` `[outFeatures, rank]`, row-major; the
/// linear's output gains `scale · B · A · x`.
public struct LoRAPair: Sendable, Equatable {
    public var a: [Float]
    public var b: [Float]
    public let rank: Int
    public let inFeatures: Int
    public let outFeatures: Int

    /// A pair over `a` (`rank × inFeatures` values) and `b` (`outFeatures × rank`).
    public init(a: [Float], b: [Float], rank: Int, inFeatures: Int, outFeatures: Int) {
        precondition(a.count == rank * inFeatures && b.count == outFeatures * rank,
                     "LoRAPair: A needs \(rank) × \(inFeatures) values (has \(a.count)), B \(outFeatures) × \(rank) (has \(b.count))")
        self.a = a
        self.b = b
        self.rank = rank
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    /// Adds `scale · (x · Aᵀ) · Bᵀ` for `rows` rows of `x` (each `inFeatures` wide) into `out`, whose rows lie
    /// `outputStride` apart (this pair's columns of a stacked product start at `out`). Up to
    /// ``Linear/rowKernelLimit`` rows, each row is computed alone (bit for bit what that row gives alone, as
    /// ``Linear`` guarantees); more rows take two matrix products.
    public func addProduct(_ x: UnsafePointer<Float>, rows: Int, scale: Float, into out: UnsafeMutablePointer<Float>,
                           outputStride: Int) {
        let r = Int32(rank), k = Int32(inFeatures), n = Int32(outFeatures)
        var t = [Float](repeating: 0, count: rows * rank)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                t.withUnsafeMutableBufferPointer { tp in
                    let a = ap.baseAddress!, b = bp.baseAddress!, t = tp.baseAddress!
                    if rows <= Linear.rowKernelLimit {
                        for row in 0..<rows {
                            cblas_sgemv(CblasRowMajor, CblasNoTrans, r, k, 1, a, k, x + row * inFeatures, 1, 0, t + row * rank, 1)
                            cblas_sgemv(CblasRowMajor, CblasNoTrans, n, r, scale, b, r, t + row * rank, 1, 1, out + row * outputStride, 1)
                        }
                    } else {
                        let m = Int32(rows)
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, r, k, 1, x, k, a, k, 0, t, r)
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, r, scale, t, r, b, r, 1, out, Int32(outputStride))
                    }
                }
            }
        }
    }

    /// `scale · B · A` (`[outFeatures, inFeatures]`, row-major): what merging adds to the linear's weight.
    public func delta(scale: Float) -> [Float] {
        var out = [Float](repeating: 0, count: outFeatures * inFeatures)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outFeatures), Int32(inFeatures), Int32(rank),
                    scale, b, Int32(rank), a, Int32(inFeatures), 0, &out, Int32(inFeatures))
        return out
    }
}

/// A decoder linear that LoRA adapts: its layer and projection (`q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`,
/// `up_proj` or `down_proj`). Ordered by layer, then projection in that order.
public struct LoRATarget: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let layer: Int
    public let projection: String

    /// The projections LoRA can adapt, in layer order (attention, then the MLP).
    public static let projections = LoRAConfiguration.defaultTargets

    public init(layer: Int, projection: String) {
        self.layer = layer
        self.projection = projection
    }

    /// The module's path under the decoder, e.g. `layers.3.self_attn.q_proj` or `layers.3.mlp.down_proj`.
    public var modulePath: String {
        let block = ["gate_proj", "up_proj", "down_proj"].contains(projection) ? "mlp" : "self_attn"
        return "layers.\(layer).\(block).\(projection)"
    }

    /// The target a decoder module path names (`layers.N.self_attn.{q,k,v,o}_proj`, `layers.N.mlp.{gate,up,down}_proj`);
    /// nil for any other path.
    init?(modulePath path: String) {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "layers", let layer = Int(parts[1]), layer >= 0,
              Self.projections.contains(String(parts[3])) else { return nil }
        self.init(layer: layer, projection: String(parts[3]))
        guard modulePath == path else { return nil }
    }

    public var description: String { modulePath }

    public static func < (lhs: LoRATarget, rhs: LoRATarget) -> Bool {
        (lhs.layer, projections.firstIndex(of: lhs.projection) ?? projections.count, lhs.projection)
            < (rhs.layer, projections.firstIndex(of: rhs.projection) ?? projections.count, rhs.projection)
    }
}

/// A PEFT LoRA adapter for the decoder of a LLaVA (or plain Qwen2) model: `adapter_config.json` plus
/// `adapter_model.safetensors`.
///
/// Tensor names read: the transformers-5 layout PEFT 0.21.2 writes for llava-hf models
/// (`base_model.model.model.language_model.layers.N.self_attn.q_proj.lora_A.weight`), the pre-4.52 layout
/// (`base_model.model.language_model.model.layers.N…`) and a plain causal LM's (`base_model.model.model.layers.N…`),
/// with or without the adapter name (`lora_A.default.weight`). ``save(to:)`` writes the transformers-5 layout.
public struct LoRAAdapter: Sendable {
    public var configuration: LoRAConfiguration
    public var pairs: [LoRATarget: LoRAPair]
    /// Tensors of `modules_to_save`, by their llava-hf hub name (e.g. `multi_modal_projector.linear_1.weight`), in f32
    /// with their shapes.
    public var savedModules: [String: Tensor]

    /// The configuration file of an adapter directory.
    public static let configurationFile = "adapter_config.json"
    /// The weights file of an adapter directory.
    public static let weightsFile = "adapter_model.safetensors"

    public init(configuration: LoRAConfiguration, pairs: [LoRATarget: LoRAPair], savedModules: [String: Tensor] = [:]) {
        self.configuration = configuration
        self.pairs = pairs
        self.savedModules = savedModules
    }

    /// Which factor of a pair a tensor holds.
    public enum Factor: String, Sendable { case a = "lora_A", b = "lora_B" }

    /// The tensor name ``save(to:)`` writes for `factor` of `target`'s pair (PEFT's transformers-5 layout).
    public static func key(_ target: LoRATarget, _ factor: Factor) -> String {
        "base_model.model.model.language_model.\(target.modulePath).\(factor.rawValue).weight"
    }

    /// The tensor name ``save(to:)`` writes for the saved-module tensor with llava-hf hub name `name`.
    static func savedModuleKey(hubName name: String) throws -> String {
        let renames = [("language_model.model.", "model.language_model."), ("language_model.lm_head.", "lm_head."),
                       ("multi_modal_projector.", "model.multi_modal_projector."), ("vision_tower.vision_model.", "model.vision_tower.")]
        guard let (hub, model) = renames.first(where: { name.hasPrefix($0.0) }) else {
            throw ModelError.invalidInput("adapter: saved module tensor '\(name)' is not a llava-hf hub name "
                + "(language_model.*, multi_modal_projector.*, vision_tower.vision_model.*)")
        }
        return "base_model.model." + model + name.dropFirst(hub.count)
    }

    /// The llava-hf hub name of a module path as a PEFT-wrapped model names it (after `base_model.model.`): transformers-5
    /// names (`model.language_model.*`, `model.multi_modal_projector.*`, `model.vision_tower.*`, `lm_head.*`), a plain
    /// causal LM's (`model.*`), or hub names already (pre-4.52 llava models).
    static func hubName(modulePath path: String) -> String {
        let renames = [("model.language_model.", "language_model.model."), ("model.multi_modal_projector.", "multi_modal_projector."),
                       ("model.vision_tower.", "vision_tower.vision_model."), ("lm_head.", "language_model.lm_head."),
                       ("model.", "language_model.model.")]
        guard let (from, to) = renames.first(where: { path.hasPrefix($0.0) }) else { return path }
        return to + path.dropFirst(from.count)
    }

    /// Reads `adapter_config.json` and `adapter_model.safetensors` in `directory`. Errors name the file or the tensor
    /// at fault: a missing file, unsupported settings, a tensor that is neither a decoder LoRA factor nor a saved module
    /// (LoRA on the vision tower, embeddings, DoRA magnitudes), a factor without its partner, or ranks that disagree.
    public static func load(from directory: URL) throws -> LoRAAdapter {
        let configuration = try ConfigFile.read(LoRAConfiguration.self, named: configurationFile, in: directory)
        try configuration.validate()
        let path = directory.appendingPathComponent(weightsFile).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError.missingFile(path + " (PEFT's safetensors weights; adapter_model.bin is not read)")
        }
        let file = try SafeTensorsFile(path: path)
        var factors: [LoRATarget: [Factor: (key: String, weight: Weight)]] = [:]
        var saved: [String: Tensor] = [:]
        for key in file.entries.keys.sorted() {
            let weight = try file.weight(key)!
            guard key.hasPrefix("base_model.model.") else {
                throw ModelError.invalidInput("adapter tensor '\(key)' does not start with base_model.model. (not a PEFT adapter)")
            }
            var name = String(key.dropFirst("base_model.model.".count))
            for suffix in ["weight", "bias"] where name.hasSuffix(".default.\(suffix)") {
                name = String(name.dropLast(".default.\(suffix)".count)) + ".\(suffix)"
            }
            name = name.replacingOccurrences(of: ".modules_to_save.default.", with: ".")
            if let factor = [Factor.a, .b].first(where: { name.hasSuffix(".\($0.rawValue).weight") }) {
                let module = hubName(modulePath: String(name.dropLast(".\(factor.rawValue).weight".count)))
                guard module.hasPrefix("language_model.model."),
                      let target = LoRATarget(modulePath: String(module.dropFirst("language_model.model.".count))) else {
                    throw ModelError.invalidInput("adapter tensor '\(key)': LoRA on '\(module)' is not supported (only the "
                        + "decoder's q/k/v/o/gate/up/down projections; a bare target_modules list also hits the vision tower)")
                }
                guard factors[target, default: [:]][factor] == nil else {
                    throw ModelError.invalidInput("adapter tensor '\(key)': a second \(factor.rawValue) for \(target)")
                }
                factors[target, default: [:]][factor] = (key, weight)
            } else if name.contains("lora_") || !(name.hasSuffix(".weight") || name.hasSuffix(".bias")) {
                throw ModelError.invalidInput("adapter tensor '\(key)' is not supported (neither a lora_A/lora_B weight nor a saved module)")
            } else {
                saved[hubName(modulePath: name)] = weight.tensor()
            }
        }
        var pairs: [LoRATarget: LoRAPair] = [:]
        for (target, both) in factors {
            guard let a = both[.a], let b = both[.b] else {
                let present = both.values.first!.key
                throw ModelError.invalidInput("adapter tensor '\(present)' has no \(both[.a] == nil ? "lora_A" : "lora_B") partner")
            }
            guard a.weight.shape.count == 2, b.weight.shape.count == 2 else {
                throw ModelError.invalidInput("adapter tensors '\(a.key)' \(a.weight.shape) and '\(b.key)' \(b.weight.shape) must be matrices")
            }
            let rank = a.weight.shape[0]
            guard rank == configuration.r, b.weight.shape[1] == configuration.r else {
                throw ModelError.invalidInput("adapter tensors '\(a.key)' \(a.weight.shape) and '\(b.key)' \(b.weight.shape) "
                    + "do not have rank r = \(configuration.r) of adapter_config.json (A is [r, in], B is [out, r])")
            }
            pairs[target] = LoRAPair(a: a.weight.floats(), b: b.weight.floats(), rank: rank, inFeatures: a.weight.shape[1],
                                     outFeatures: b.weight.shape[0])
        }
        return LoRAAdapter(configuration: configuration, pairs: pairs, savedModules: saved)
    }

    /// Writes `adapter_config.json` (every key PEFT 0.21.2 writes) and `adapter_model.safetensors` (f32, PEFT's
    /// transformers-5 names, metadata `{"format": "pt"}`) into `directory`, created when missing, so that
    /// `PeftModel.from_pretrained` loads it onto the llava-hf model. Saved modules must lie under a `modules_to_save`
    /// entry.
    public func save(to directory: URL) throws {
        try configuration.validate()
        var tensors: [Weight] = []
        for (target, pair) in pairs.sorted(by: { $0.key < $1.key }) {
            guard pair.rank == configuration.r else {
                throw ModelError.invalidInput("adapter: \(target) has rank \(pair.rank) but the configuration's r is \(configuration.r)")
            }
            tensors.append(Weight(name: Self.key(target, .a), shape: [pair.rank, pair.inFeatures], values: pair.a))
            tensors.append(Weight(name: Self.key(target, .b), shape: [pair.outFeatures, pair.rank], values: pair.b))
        }
        for (name, tensor) in savedModules.sorted(by: { $0.key < $1.key }) {
            let modules = configuration.modulesToSave ?? []
            guard modules.contains(where: { name.hasPrefix($0 + ".") || name.contains("." + $0 + ".") }) else {
                throw ModelError.invalidInput("adapter: saved tensor '\(name)' is under none of modules_to_save \(modules)")
            }
            tensors.append(Weight(name: try Self.savedModuleKey(hubName: name), shape: tensor.shape, values: tensor.data))
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try configuration.peftJSON().write(to: directory.appendingPathComponent(Self.configurationFile))
        } catch {
            throw CheckpointError.unreadableFile(directory.path, reason: "cannot write \(Self.configurationFile): \(error.localizedDescription)")
        }
        try SafeTensorsWriter.write(tensors, to: directory.appendingPathComponent(Self.weightsFile), metadata: ["format": "pt"])
    }

    /// Input and output features of `projection` in a decoder of `configuration`; nil for an unknown projection.
    static func features(of projection: String, in configuration: Qwen2Configuration) -> (in: Int, out: Int)? {
        let h = configuration.hiddenSize, ff = configuration.intermediateSize, d = configuration.attentionHeadDim
        let q = configuration.numAttentionHeads * d, kv = configuration.kvHeads * d
        switch projection {
        case "q_proj": return (h, q)
        case "k_proj", "v_proj": return (h, kv)
        case "o_proj": return (q, h)
        case "gate_proj", "up_proj": return (h, ff)
        case "down_proj": return (ff, h)
        default: return nil
        }
    }

    /// Checks every pair against a decoder of `configuration`: its layer exists, its projection is one LoRA adapts,
    /// and A and B have the linear's input and output features; the error names the tensor at fault.
    public func validate(against configuration: Qwen2Configuration) throws {
        for (target, pair) in pairs.sorted(by: { $0.key < $1.key }) {
            let a = Self.key(target, .a), b = Self.key(target, .b)
            guard target.layer < configuration.numHiddenLayers else {
                throw ModelError.invalidInput("adapter tensor '\(a)' is for layer \(target.layer) but the model has "
                    + "\(configuration.numHiddenLayers) layers (0…\(configuration.numHiddenLayers - 1))")
            }
            guard let features = Self.features(of: target.projection, in: configuration) else {
                throw ModelError.invalidInput("adapter: '\(target.projection)' is not a decoder projection (\(LoRATarget.projections.joined(separator: ", ")))")
            }
            guard pair.inFeatures == features.in else {
                throw ModelError.invalidInput("adapter tensor '\(a)' has shape [\(pair.rank), \(pair.inFeatures)] but the "
                    + "model's \(target.projection) takes \(features.in) features")
            }
            guard pair.outFeatures == features.out else {
                throw ModelError.invalidInput("adapter tensor '\(b)' has shape [\(pair.outFeatures), \(pair.rank)] but the "
                    + "model's \(target.projection) gives \(features.out) features")
            }
        }
    }
}

extension LoRAAdapter {
    /// `model` with this adapter applied unmerged (``LlavaModel/adapted(by:)``, ``Qwen2Model/adapted(by:)``); throws,
    /// naming the cause, when it does not fit `model` or `model` is of a type adapters do not apply to.
    public func applied(to model: any LoadedModel) throws -> any LoadedModel {
        switch model {
        case let llava as LlavaModel:
            return try llava.adapted(by: self)
        case let decoder as Qwen2Model:
            let adapted = try decoder.adapted(by: self)
            if let saved = savedModules.keys.sorted().first {
                throw ModelError.invalidInput("adapter saves '\(saved)' but the model is a plain \(model.modelType) decoder")
            }
            return adapted
        default:
            throw ModelError.invalidInput("adapters apply to llava and qwen2 models, not '\(model.modelType)'")
        }
    }
}

/// Tensors held in memory (an adapter's saved modules) handed out as dense f32 weights.
final class TensorDictionary: TensorSource, @unchecked Sendable {
    let tensors: [String: Tensor]

    init(_ tensors: [String: Tensor]) {
        self.tensors = tensors
    }

    func contains(_ name: String) -> Bool { tensors[name] != nil }

    func weight(_ name: String, shape: [Int]) throws -> Weight {
        guard let tensor = tensors[name] else { throw CheckpointError.missingTensor(name) }
        guard tensor.shape == shape else { throw CheckpointError.shapeMismatch(tensor: name, expected: shape, actual: tensor.shape) }
        return Weight(name: name, shape: shape, values: tensor.data)
    }
}

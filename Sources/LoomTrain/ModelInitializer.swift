import Foundation
import LoomCheckpoint
import LoomCore
import LoomModels
import LoomTokenizers

/// A llava-hf checkpoint with freshly initialised weights, to train from scratch: transformers' initialisation
/// rules (Qwen2: normal(0, `initializer_range`) for linears and embeddings, zero biases, unit norms; the projector like
/// the decoder; SigLIP: Xavier-uniform attention and MLP weights, LeCun-normal patch embedding, normal(0, 1/√width)
/// positions, unit LayerNorms), drawn from a seed.
public enum ModelInitializer {
    /// Every tensor of `configuration`'s model by hub name.
    public static func tensors(_ configuration: LlavaConfiguration, seed: UInt64, initializerRange: Double = 0.02) -> [String: HubTensor] {
        var generator = SplitMix64(seed: seed)
        var tensors: [String: HubTensor] = [:]
        func normal(_ name: String, _ shape: [Int], std: Double) {
            let count = shape.reduce(1, *)
            tensors[name] = HubTensor(shape: shape, values: (0..<count).map { _ in
                let u = max(generator.unit(), 1e-300), v = generator.unit()
                return Float((-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v) * std)
            })
        }
        func xavier(_ name: String, _ shape: [Int]) {
            let bound = (6 / Double(shape[0] + shape[1])).squareRoot()
            tensors[name] = HubTensor(shape: shape, values: (0..<(shape[0] * shape[1])).map { _ in Float((generator.unit() * 2 - 1) * bound) })
        }
        func constant(_ name: String, _ count: Int, _ value: Float) {
            tensors[name] = HubTensor(shape: [count], values: [Float](repeating: value, count: count))
        }
        let text = configuration.textConfig, vision = configuration.visionConfig
        let h = text.hiddenSize, d = text.attentionHeadDim, heads = text.numAttentionHeads, kv = text.kvHeads
        let ff = text.intermediateSize, std = initializerRange
        let p = "language_model.model."
        normal(p + "embed_tokens.weight", [text.vocabSize, h], std: std)
        for i in 0..<text.numHiddenLayers {
            let l = "\(p)layers.\(i)."
            constant(l + "input_layernorm.weight", h, 1)
            constant(l + "post_attention_layernorm.weight", h, 1)
            for (name, rows) in [("q_proj", heads * d), ("k_proj", kv * d), ("v_proj", kv * d)] {
                normal(l + "self_attn.\(name).weight", [rows, h], std: std)
                constant(l + "self_attn.\(name).bias", rows, 0)
            }
            normal(l + "self_attn.o_proj.weight", [h, heads * d], std: std)
            normal(l + "mlp.gate_proj.weight", [ff, h], std: std)
            normal(l + "mlp.up_proj.weight", [ff, h], std: std)
            normal(l + "mlp.down_proj.weight", [h, ff], std: std)
        }
        constant(p + "norm.weight", h, 1)
        if !(text.tieWordEmbeddings || configuration.tieWordEmbeddings) {
            normal("language_model.lm_head.weight", [text.vocabSize, h], std: std)
        }
        let vh = vision.hiddenSize, vff = vision.intermediateSize
        normal("multi_modal_projector.linear_1.weight", [h, vh * configuration.visionFeatureLayers.count], std: std)
        normal("multi_modal_projector.linear_2.weight", [h, h], std: std)
        if configuration.multimodalProjectorBias {
            constant("multi_modal_projector.linear_1.bias", h, 0)
            constant("multi_modal_projector.linear_2.bias", h, 0)
        }
        let v = "vision_tower.vision_model."
        let fanIn = vision.numChannels * vision.patchSize * vision.patchSize
        normal(v + "embeddings.patch_embedding.weight", [vh, vision.numChannels, vision.patchSize, vision.patchSize],
               std: 1 / Double(fanIn).squareRoot())
        constant(v + "embeddings.patch_embedding.bias", vh, 0)
        normal(v + "embeddings.position_embedding.weight", [vision.patchCount, vh], std: 1 / Double(vh).squareRoot())
        for i in 0..<vision.numHiddenLayers {
            let l = "\(v)encoder.layers.\(i)."
            for norm in ["layer_norm1", "layer_norm2"] {
                constant(l + norm + ".weight", vh, 1)
                constant(l + norm + ".bias", vh, 0)
            }
            for name in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                xavier(l + "self_attn.\(name).weight", [vh, vh])
                constant(l + "self_attn.\(name).bias", vh, 0)
            }
            xavier(l + "mlp.fc1.weight", [vff, vh])
            normal(l + "mlp.fc1.bias", [vff], std: 1e-6)
            xavier(l + "mlp.fc2.weight", [vh, vff])
            normal(l + "mlp.fc2.bias", [vh], std: 1e-6)
        }
        constant(v + "post_layernorm.weight", vh, 1)
        constant(v + "post_layernorm.bias", vh, 0)
        return tensors
    }

    /// Writes a checkpoint directory: `config` (a llava-hf `config.json`), freshly initialised `model.safetensors`
    /// (f32), the tokenizer files and chat template of `tokenizer`, and SigLIP preprocessing, processor and generation
    /// configurations that match the config. With `fitTokenizer` the config's vocabulary size and its image, bos and
    /// eos ids are set from the tokenizer (a trained tokenizer's size is known only after training); otherwise they
    /// must agree with it.
    public static func write(config: URL, tokenizer: URL, seed: UInt64, fitTokenizer: Bool = false, to directory: URL) throws {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any] ?? [:]
        let words = try Tokenizer(directory: tokenizer)
        guard let image = words.id(for: "<image>") else { throw ModelError.invalidInput("the tokenizer in \(tokenizer.path) has no <image> token") }
        if fitTokenizer {
            var text = json["text_config"] as? [String: Any] ?? [:]
            text["vocab_size"] = words.vocabularySize
            text["bos_token_id"] = words.id(for: "<|endoftext|>") ?? NSNull()
            text["eos_token_id"] = words.id(for: "<|im_end|>") ?? NSNull()
            json["text_config"] = text
            json["image_token_index"] = image
        }
        let configData = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        let configuration = try ConfigFile.decode(LlavaConfiguration.self, from: configData, file: config.lastPathComponent)
        try configuration.validate()
        guard configuration.imageTokenIndex == image, words.vocabularySize <= configuration.textConfig.vocabSize else {
            throw ModelError.invalidInput("the config (image_token_index \(configuration.imageTokenIndex), vocab_size "
                + "\(configuration.textConfig.vocabSize)) does not fit the tokenizer (<image> = \(image), \(words.vocabularySize) ids); "
                + "--fit-tokenizer sets them from the tokenizer")
        }
        try HubCheckpointWriter.write(tensors: tensors(configuration, seed: seed), copyingFrom: tokenizer, to: directory)
        try configData.write(to: directory.appendingPathComponent("config.json"))
        let vision = configuration.visionConfig
        let files: [String: [String: Any]] = [
            "preprocessor_config.json": ["do_convert_rgb": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
                                         "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
                                         "image_processor_type": "SiglipImageProcessor", "processor_class": "LlavaProcessor",
                                         "resample": 3, "rescale_factor": 1.0 / 255,
                                         "size": ["height": vision.imageSize, "width": vision.imageSize]],
            "processor_config.json": ["image_token": "<image>", "num_additional_image_tokens": 0, "patch_size": vision.patchSize,
                                      "processor_class": "LlavaProcessor",
                                      "vision_feature_select_strategy": configuration.visionFeatureSelectStrategy],
            "generation_config.json": ["bos_token_id": configuration.textConfig.bosTokenID ?? NSNull(),
                                       "eos_token_id": configuration.textConfig.eosTokenIDs.first ?? NSNull()],
        ]
        for (name, object) in files {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: directory.appendingPathComponent(name))
        }
    }
}

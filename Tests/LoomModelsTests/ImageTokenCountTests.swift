import Foundation
import Testing
import LoomCheckpoint
@testable import LoomModels

/// The one function that decides how many tokens images take: 729 per 384 px image with 14 px patches under
/// the `full` strategy (llava-interleave), one fewer under `default`.
@Suite struct ImageTokenCountTests {
    func interleaveConfiguration() -> LlavaConfiguration {
        var c = LlavaConfiguration()
        c.visionConfig.imageSize = 384
        c.visionConfig.patchSize = 14
        c.visionFeatureSelectStrategy = "full"
        return c
    }

    @Test(arguments: [(1, 729), (2, 1458), (16, 11_664)])
    func interleaveGeometry(images: Int, tokens: Int) {
        #expect(interleaveConfiguration().imageTokenCount(images: images) == tokens)
    }

    @Test func defaultStrategyDropsOnePatch() {
        var c = interleaveConfiguration()
        c.visionFeatureSelectStrategy = "default"
        #expect(c.imageTokenCount == 728)
        c.visionConfig.imageSize = 84
        c.visionFeatureSelectStrategy = "full"
        #expect(c.imageTokenCount(images: 2) == 72)
    }

    /// The interleave checkpoints' config.json (reference.md §1.1) decodes with transformers' defaults filled in.
    @Test func decodesTheHubConfig() throws {
        let json = """
        {"architectures":["LlavaForConditionalGeneration"],"ignore_index":-100,"image_token_index":151646,"model_type":"llava",
         "projector_hidden_act":"gelu","text_config":{"architectures":["Qwen2ForCausalLM"],"bos_token_id":151643,"eos_token_id":151645,
         "intermediate_size":11008,"max_position_embeddings":32768,"max_window_layers":28,"model_type":"qwen2","rope_theta":1000000.0,
         "sliding_window":null,"torch_dtype":"bfloat16","use_sliding_window":false,"vocab_size":152000},"torch_dtype":"bfloat16",
         "vision_config":{"hidden_act":"gelu_pytorch_tanh","hidden_size":1152,"image_size":384,"intermediate_size":4304,
         "layer_norm_eps":1e-06,"model_type":"siglip_vision_model","num_attention_heads":16,"num_hidden_layers":26,"patch_size":14,
         "vision_use_head":false},"vision_feature_layer":-1,"vision_feature_select_strategy":"full"}
        """
        let c = try ConfigFile.decode(LlavaConfiguration.self, from: Data(json.utf8), file: "config.json")
        try c.validate()
        #expect(c.imageTokenIndex == 151_646 && c.imageTokenCount == 729)
        #expect(c.visionFeatureLayers == [-1] && c.visionConfig.numHiddenLayers == 26 && c.visionConfig.hiddenSize == 1152)
        #expect(c.textConfig.hiddenSize == 4096 && c.textConfig.numHiddenLayers == 32 && c.textConfig.kvHeads == 32)
        #expect(c.textConfig.vocabSize == 152_000 && c.textConfig.ropeTheta == 1_000_000 && !c.textConfig.tieWordEmbeddings)
        #expect(c.textConfig.eosTokenIDs == [151_645])
    }
}

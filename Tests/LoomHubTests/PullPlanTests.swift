import Testing
@testable import LoomHub

/// fnmatch globs and the default selection of `loom pull`.
@Suite struct PullPlanTests {
    @Test func globMatchesLikeFnmatch() {
        #expect(Glob("*.json").matches("config.json"))
        #expect(Glob("*.json").matches("onnx/config.json"))  // '*' crosses '/'
        #expect(!Glob("*.json").matches("config.jsonl"))
        #expect(Glob("model-?????-of-*.safetensors").matches("model-00001-of-00002.safetensors"))
        #expect(Glob("onnx/").matches("onnx/model.onnx"))
        #expect(Glob("onnx/**").matches("onnx/sub/model.onnx"))
        #expect(Glob("[a-c]x").matches("bx"))
        #expect(!Glob("[!a-c]x").matches("bx"))
        #expect(Glob("[!a-c]x").matches("dx"))
        #expect(Glob("[x").matches("[x"))
        #expect(Glob("*a*b*c").matches("xxaxxbxxc"))
        #expect(!Glob("*a*b*c").matches("xxaxxcxxb"))
        #expect(Glob("").matches(""))
        #expect(!Glob("").matches("a"))
    }

    @Test func defaultsSelectWhatAModelNeeds() {
        let repo = [
            ".gitattributes", "README.md", "config.json", "generation_config.json", "preprocessor_config.json",
            "processor_config.json", "chat_template.json", "chat_template.jinja", "additional_chat_templates/tools.jinja",
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "merges.txt",
            "vocab.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors", "onnx/model.onnx", "onnx/config.json", "pytorch_model.bin",
            "trainer_state.json", "checkpoint-500/model.safetensors", "model.gguf", "flax_model.msgpack",
        ]
        #expect(PullPlan().select(repo) == [
            "config.json", "generation_config.json", "preprocessor_config.json", "processor_config.json",
            "chat_template.json", "chat_template.jinja", "additional_chat_templates/tools.jinja", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "merges.txt", "vocab.json",
            "model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
        ])
    }

    @Test func includeAddsAndExcludeRemoves() {
        let plan = PullPlan(include: ["onnx/*", "README.md"], exclude: ["tokenizer.json", "*.jinja"])
        #expect(plan.selects("onnx/model.onnx"))
        #expect(plan.selects("README.md"))
        #expect(!plan.selects("tokenizer.json"))
        #expect(!plan.selects("chat_template.jinja"))
        #expect(plan.selects("config.json"))
        #expect(!PullPlan(include: ["*"], exclude: ["*.safetensors"]).selects("model.safetensors"))
        #expect(PullPlan(include: ["*"]).selects("pytorch_model.bin"))
    }
}

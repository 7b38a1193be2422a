import ArgumentParser
import Foundation
import LoomTrain

/// `loom init`: a llava-hf checkpoint with freshly initialised weights, to train from scratch.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a llava-hf checkpoint with freshly initialised weights (to train from scratch with loom train).",
        discussion: """
        Weights follow transformers' initialisation (Qwen2: normal(0, 0.02) linears and embeddings, zero biases, unit \
        norms; SigLIP: Xavier-uniform attention and MLP weights), drawn from --seed; the folder gets the config, \
        model.safetensors (f32), the tokenizer folder's files (tokenizer.json, tokenizer_config.json, \
        chat_template.json) and SigLIP preprocessing/processor configs for the config's image size.

        Example: loom init --config models/tiny-m4.json --tokenizer tok/ --seed 0 --out tiny-m4-init
        """)

    @Option(help: "A llava-hf config.json (model_type llava, Qwen2 text_config, SigLIP vision_config).") var config: String
    @Option(help: "A folder with tokenizer.json, tokenizer_config.json and chat_template.json.") var tokenizer: String
    @Option(help: "Seed of the initial weights.") var seed: UInt64 = 0
    @Flag(help: "Set the config's vocab_size, image_token_index and bos/eos ids from the tokenizer.") var fitTokenizer = false
    @Option(help: "Output directory.") var out: String

    func run() throws {
        do {
            try ModelInitializer.write(config: URL(fileURLWithPath: config), tokenizer: URL(fileURLWithPath: tokenizer), seed: seed,
                                       fitTokenizer: fitTokenizer, to: URL(fileURLWithPath: out))
        } catch {
            throw ValidationError("\(error)")
        }
        writeError("wrote \(out)")
    }
}

import ArgumentParser
import Foundation
import LoomModels

/// `loom merge`: a LoRA adapter merged into its model, written as a full llava-hf checkpoint.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge a PEFT LoRA adapter into its LLaVA model (W + α/r·B·A in f32, cast to the checkpoint's dtype; a saved projector replaces the model's) and write a full llava-hf checkpoint.")

    @Option(help: "Model directory (config.json, *.safetensors) or hub repo id ORG/NAME[@REV] in the Hugging Face cache.") var model: String
    @Option(help: "PEFT LoRA adapter directory (adapter_config.json, adapter_model.safetensors).") var adapter: String
    @Option(help: "Directory to write (model.safetensors, configs, tokenizer and processor files).") var out: String

    func run() throws {
        let destination = URL(fileURLWithPath: out, isDirectory: true)
        let summary = try LoRAMerge.merge(model: try ModelLocation.resolve(model), adapter: URL(fileURLWithPath: adapter, isDirectory: true),
                                          to: destination)
        writeError("merged \(summary.pairs) LoRA pairs and \(summary.savedTensors) saved tensors; wrote \(summary.tensors) tensors to "
            + destination.appendingPathComponent("model.safetensors").path)
    }
}

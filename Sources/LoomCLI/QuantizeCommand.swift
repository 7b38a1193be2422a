import ArgumentParser
import Foundation
import LoomCheckpoint
import LoomModels

/// `loom quantize`: a copy of a model directory with its product matrices stored in a compute form that loads
/// directly — group-quantised (int8 / int4) or packed for bf16 products.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write an int8 or int4 (groups of 32, f16 scales) copy of a model directory, or a bf16 copy packed for products (mapped at load instead of packed).")

    @Option(help: "Model directory to convert.") var model: String
    @Option(help: "int8, int4 or bf16.") var weights: String
    @Option(help: "Directory to write.") var out: String

    func validate() throws {
        guard ["int8", "int4", "bf16"].contains(weights) else {
            throw ValidationError("--weights must be int8, int4 or bf16, got '\(weights)'")
        }
    }

    func run() throws {
        let source = try ModelLocation.resolve(model), destination = URL(fileURLWithPath: out, isDirectory: true)
        guard weights == "bf16" else {
            try QuantizedCheckpointWriter.write(from: source, to: destination, bits: weights == "int8" ? .int8 : .int4)
            return
        }
        try PackedModelWriter.write(from: source, to: destination)
    }
}

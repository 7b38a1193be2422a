import ArgumentParser
import Foundation
import LoomCheckpoint
import LoomCore

/// `loom quantize`: a group-quantised copy of a model directory that loads directly.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write an int8 or int4 (groups of 32, f16 scales) copy of a model directory.")

    @Option(help: "Model directory to quantise.") var model: String
    @Option(help: "int8 or int4.") var weights: String
    @Option(help: "Directory to write.") var out: String

    func validate() throws {
        guard ["int8", "int4"].contains(weights) else { throw ValidationError("--weights must be int8 or int4, got '\(weights)'") }
    }

    func run() throws {
        try QuantizedCheckpointWriter.write(from: URL(fileURLWithPath: model, isDirectory: true),
                                            to: URL(fileURLWithPath: out, isDirectory: true),
                                            bits: weights == "int8" ? .int8 : .int4)
    }
}

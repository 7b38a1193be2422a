import Foundation
import LoomCheckpoint
import LoomGeneration
import LoomModels
import LoomTokenizers

/// A model directory opened for the CLI: the model, its tokenizer and its generation defaults.
struct ModelSession {
    let directory: URL
    let model: any LoadedModel
    let tokenizer: Tokenizer
    let generationConfiguration: GenerationConfiguration
    let loadMs: Double

    init(path: String) throws {
        let start = DispatchTime.now()
        directory = URL(fileURLWithPath: path, isDirectory: true)
        model = try ModelRegistry.load(directory: directory)
        tokenizer = try Tokenizer(directory: directory)
        generationConfiguration = try GenerationConfiguration.load(from: directory)
        loadMs = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
    }
}

/// Writes `value` as one line of JSON to standard output.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}

/// Writes `text` to standard output immediately (for streaming).
func writeOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Writes a line to standard error.
func writeError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

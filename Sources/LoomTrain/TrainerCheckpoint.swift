import Foundation
import LoomCheckpoint
import LoomCore

/// Resumable checkpoints of a run: `trainer_state.json` (the options, the step and the data position; every random
/// draw follows from them), `trainable.safetensors` (the trained tensors) and `optimizer.safetensors` (AdamW's
/// moments, `m.NAME` and `v.NAME`).
extension Trainer {
    struct State: Codable {
        var step: Int
        var cursor: Int
        var optimizerStep: Int
        var options: TrainingOptions
    }

    static let stateFile = "trainer_state.json"

    /// Writes a checkpoint of the run after ``step`` into `directory`.
    public func saveCheckpoint(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let trainable = model.trainable
        try SafeTensorsWriter.write(trainable.map { Weight(name: $0.name, shape: $0.shape, values: $0.values) },
                                    to: directory.appendingPathComponent("trainable.safetensors"), metadata: ["format": "pt"])
        var moments: [Weight] = []
        for parameter in trainable {
            guard let (m, v) = optimizer.moments[parameter.name] else { continue }
            moments.append(Weight(name: "m." + parameter.name, shape: parameter.shape, values: m))
            moments.append(Weight(name: "v." + parameter.name, shape: parameter.shape, values: v))
        }
        try SafeTensorsWriter.write(moments, to: directory.appendingPathComponent("optimizer.safetensors"), metadata: ["format": "pt"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(State(step: step, cursor: cursor, optimizerStep: optimizer.step, options: options))
            .write(to: directory.appendingPathComponent(Self.stateFile))
    }

    /// The run saved in `directory`, ready to continue after its step (`out` and `log` may be moved).
    public convenience init(resuming directory: URL, out: String? = nil, log: String? = nil) throws {
        let stateURL = directory.appendingPathComponent(Self.stateFile)
        guard let data = try? Data(contentsOf: stateURL) else {
            throw TrainError.invalidCheckpoint("\(directory.path) is not a training checkpoint (no \(Self.stateFile))")
        }
        let state: State
        do { state = try JSONDecoder().decode(State.self, from: data) } catch {
            throw TrainError.invalidCheckpoint("\(stateURL.path) is not valid: \(error)")
        }
        var options = state.options
        if let out { options.out = out }
        if let log { options.log = log }
        try self.init(options: options)
        try restore(from: directory, state: state)
    }

    private func restore(from directory: URL, state: State) throws {
        let tensors = try SafeTensorsFile(path: directory.appendingPathComponent("trainable.safetensors").path)
        let moments = try SafeTensorsFile(path: directory.appendingPathComponent("optimizer.safetensors").path)
        var restored: [String: (m: [Float], v: [Float])] = [:]
        for parameter in model.trainable {
            guard let weight = try tensors.weight(parameter.name), weight.count == parameter.count else {
                throw TrainError.invalidCheckpoint("\(directory.path) has no tensor \(parameter.name) of \(parameter.shape)")
            }
            parameter.values = weight.floats()
            if let m = try moments.weight("m." + parameter.name), let v = try moments.weight("v." + parameter.name) {
                restored[parameter.name] = (m.floats(), v.floats())
            }
        }
        optimizer.restore(step: state.optimizerStep, moments: restored)
        resume(atStep: state.step, cursor: state.cursor)
    }
}

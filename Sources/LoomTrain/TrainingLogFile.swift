import Foundation

/// The JSON Lines log of a run: one object per optimizer step (`step`, `loss`, `lr`, `grad_norm`, `tokens`,
/// `positions`, `samples`, `epoch`, `seconds`) and one per evaluation (`step`, `eval_loss`).
public final class TrainingLogFile {
    private let handle: FileHandle

    /// Opens `path`, truncating it unless `append`.
    public init(path: String, append: Bool) throws {
        let manager = FileManager.default
        if !append || !manager.fileExists(atPath: path) {
            guard manager.createFile(atPath: path, contents: nil) else { throw TrainError.invalidOption("cannot write the log \(path)") }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw TrainError.invalidOption("cannot write the log \(path)") }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle.close() }

    public func write(_ record: StepRecord) throws {
        try line("{\"step\": \(record.step), \"loss\": \(number(record.loss)), \"lr\": \(number(record.lr)), "
            + "\"grad_norm\": \(number(record.gradNorm)), \"tokens\": \(record.tokens), \"positions\": \(record.positions), "
            + "\"samples\": \(record.samples), \"epoch\": \(number(record.epoch)), \"seconds\": \(number(record.seconds))}")
    }

    public func writeEvaluation(step: Int, loss: Double) throws {
        try line("{\"step\": \(step), \"eval_loss\": \(number(loss))}")
    }

    private func line(_ text: String) throws {
        try handle.write(contentsOf: Data((text + "\n").utf8))
    }

    /// A JSON number (non-finite values as null).
    private func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
}

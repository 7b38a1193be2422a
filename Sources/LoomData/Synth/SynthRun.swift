import Foundation
import LoomMedia

/// A synthetic data set: `count` samples of each task, interleaved round-robin. Sample i (from 0) is of task
/// `tasks[i % tasks.count]` with seed `seed + i`, so a run uses the seeds `seed ..< seed + count · tasks.count` and
/// two runs share no sample when their seed ranges do not overlap (by convention: training below 1,000,000,
/// held-out sets from 1,000,000 on).
public struct SynthRun: Sendable {
    public var tasks: [any SynthTask]
    /// Samples per task.
    public var count: Int
    /// The seed of sample 0.
    public var seed: UInt64
    public var options: SynthOptions

    public init(tasks: [any SynthTask], count: Int, seed: UInt64, options: SynthOptions = SynthOptions()) {
        precondition(!tasks.isEmpty, "SynthRun: no task")
        self.tasks = tasks
        self.count = count
        self.seed = seed
        self.options = options
    }

    /// The number of samples: `count` per task.
    public var total: Int { count * tasks.count }

    /// Sample `index` of the run.
    public func sample(_ index: Int) -> SynthSample {
        SynthSample(task: tasks[index % tasks.count], seed: seed &+ UInt64(index), options: options)
    }

    /// Writes every sample under `folder` (created when missing): the PNG files at their records' paths, then
    /// `data.json`, one JSON array with one record per line. `progress` gets the number of samples written so far.
    public func write(to folder: URL, progress: (Int) -> Void = { _ in }) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        let records = try RecordArrayWriter(path: folder.appendingPathComponent("data.json").path)
        for index in 0..<total {
            let sample = sample(index)
            for file in sample.files {
                let url = folder.appendingPathComponent(file.path)
                try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.image.pngData()).write(to: url)
            }
            try records.append(sample.record())
            progress(index + 1)
        }
        try records.finish()
    }
}

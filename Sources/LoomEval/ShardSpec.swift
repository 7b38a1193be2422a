import Foundation
import LoomData

/// Which slice of a benchmark this process answers: `--shard i/n`, else a Slurm array task
/// (`SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT`), else a Kubernetes Indexed Job
/// (`JOB_COMPLETION_INDEX` of `LOOM_SHARD_COUNT`, which the manifest sets to `spec.completions`), else everything.
/// Slices are contiguous, as the authors' `model_vqa.py` chunks (`ceil(count / n)` samples each), so shards
/// concatenated in order are the unsharded run.
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int
    /// Where the slice came from (for messages).
    public let source: String

    public init(index: Int, count: Int, source: String = "--shard") throws {
        guard count >= 1, index >= 0, index < count else {
            throw RecordError("shard \(index)/\(count) (\(source)): needs 0 ≤ index < count")
        }
        self.index = index
        self.count = count
        self.source = source
    }

    /// `i/n`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw RecordError("--shard must be i/n (e.g. 0/8), got '\(text)'")
        }
        try self.init(index: index, count: count)
    }

    /// The slice the environment names, or nil when none does.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ShardSpec? {
        if let id = environment["SLURM_ARRAY_TASK_ID"].flatMap(Int.init) {
            guard let count = environment["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init) else {
                throw RecordError("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give --shard i/n")
            }
            let minimum = environment["SLURM_ARRAY_TASK_MIN"].flatMap(Int.init) ?? 0
            if let maximum = environment["SLURM_ARRAY_TASK_MAX"].flatMap(Int.init), maximum - minimum + 1 != count {
                throw RecordError("the Slurm array is not a contiguous range (min \(minimum), max \(maximum), \(count) tasks); give --shard i/n")
            }
            return try ShardSpec(index: id - minimum, count: count, source: "Slurm array task \(id)")
        }
        if let index = environment["JOB_COMPLETION_INDEX"].flatMap(Int.init) {
            guard let count = environment["LOOM_SHARD_COUNT"].flatMap(Int.init) else {
                throw RecordError("JOB_COMPLETION_INDEX is set but LOOM_SHARD_COUNT is not (set it to the Job's spec.completions)")
            }
            return try ShardSpec(index: index, count: count, source: "Kubernetes completion index \(index)")
        }
        return nil
    }

    /// The positions of this slice among `total` samples.
    public func range(total: Int) -> Range<Int> {
        let size = (total + count - 1) / count
        let start = min(total, index * size)
        return start..<min(total, start + size)
    }

    public var description: String { "\(index)/\(count) (\(source))" }
}

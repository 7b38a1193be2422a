import LoomData
import LoomEval
import Testing

/// The slice a process answers: contiguous chunks as `model_vqa.py` cuts them, from `--shard` or a scheduler.
@Suite struct ShardSpecTests {
    @Test func slicesAreContiguousAndCoverEverySample() throws {
        for total in [0, 1, 7, 9, 10, 100] {
            for count in [1, 2, 3, 8] {
                let ranges = try (0..<count).map { try ShardSpec(index: $0, count: count).range(total: total) }
                #expect(ranges.flatMap { Array($0) } == Array(0..<total), "\(total) samples in \(count) shards")
            }
        }
        #expect(try ShardSpec(parsing: "1/3").range(total: 10) == 4..<8)
        #expect(throws: RecordError.self) { try ShardSpec(parsing: "3/3") }
        #expect(throws: RecordError.self) { try ShardSpec(parsing: "a/b") }
    }

    @Test func schedulersNameTheSlice() throws {
        #expect(try ShardSpec.fromEnvironment([:]) == nil)
        let slurm = try ShardSpec.fromEnvironment(["SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10",
                                                   "SLURM_ARRAY_TASK_MAX": "17", "SLURM_ARRAY_TASK_COUNT": "8"])
        #expect(slurm?.index == 2 && slurm?.count == 8)
        #expect(throws: RecordError.self, "a stepped array is refused") {
            try ShardSpec.fromEnvironment(["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1",
                                           "SLURM_ARRAY_TASK_MAX": "7", "SLURM_ARRAY_TASK_COUNT": "4"])
        }
        let kubernetes = try ShardSpec.fromEnvironment(["JOB_COMPLETION_INDEX": "5", "LOOM_SHARD_COUNT": "8"])
        #expect(kubernetes?.index == 5 && kubernetes?.count == 8)
        #expect(throws: RecordError.self, "the count must be given") { try ShardSpec.fromEnvironment(["JOB_COMPLETION_INDEX": "5"]) }
    }
}

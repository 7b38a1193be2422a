import Foundation
import LoomData
import Testing

/// `loom data validate`'s checks: each planted fault found at its record index, the valid records accepted.
@Suite struct ValidationTests {
    @Test func findsEveryPlantedFault() throws {
        let directory = try PlantedFaults.write()
        defer { try? FileManager.default.removeItem(at: directory) }
        let validator = RecordValidator(media: MediaCheck(root: directory.appendingPathComponent("media"), decode: true))
        let stream = try RecordStream(path: directory.appendingPathComponent("data.json").path)
        var problems: [Int: [RecordProblem]] = [:]
        var seen: [Int] = []
        do {
            while let raw = try stream.next() {
                seen.append(raw.index)
                let found = validator.problems(in: raw)
                if !found.isEmpty { problems[raw.index] = found }
            }
            Issue.record("a truncated file must end with an error")
        } catch let error as DataFileError {
            #expect(error.recordIndex == 10)
            problems[error.recordIndex] = [error.problem]
        }
        #expect(seen == Array(0...9))
        for index in PlantedFaults.valid { #expect(problems[index] == nil, "record \(index): \(problems[index] ?? [])") }
        for (index, fragment) in PlantedFaults.faults {
            let messages = problems[index]?.map(\.message) ?? []
            #expect(messages.contains { $0.contains(fragment) }, "record \(index): expected '\(fragment)', got \(messages)")
        }
        #expect(problems[4]?.first?.sampleID == "104")
        #expect(problems[7]?.first?.sampleID == "107")
        #expect(Set(problems.keys) == Set(PlantedFaults.faults.keys))
    }

    @Test func markersInAnswersAndBothMediaKindsAreProblems() throws {
        let record = try DataRecord(bytes: Array(#"{"id": "v1", "image": ["a.jpg"], "video": "v", "conversations": [{"from": "human", "value": "<image>"}, {"from": "gpt", "value": "<image>"}]}"#.utf8))
        let messages = RecordValidator().problems(in: record, index: 0).map(\.message)
        #expect(record.sampleID == "v1")
        #expect(messages.contains { $0.contains("turn 1 (gpt) holds 1 <image> marker") })
        #expect(messages.contains { $0.contains("both `image` and `video`") })
    }

    @Test func absolutePathsAreRejected() {
        let check = MediaCheck(root: URL(fileURLWithPath: "/tmp/media"))
        #expect(throws: RecordError.self) { try check.resolve("/etc/passwd").get() }
        #expect(throws: RecordError.self) { try check.resolve("a/../../b").get() }
        #expect((try? check.resolve("a/../b/./c.jpg").get())?.path == "/tmp/media/b/c.jpg")
    }
}

import Foundation
import LoomTestSupport
import Testing

/// `loom data synth` as a user runs it: byte-identical output for the same arguments, records that `loom data
/// validate` accepts with their media, and a file that `loom eval run` answers and `loom eval score` reports per task.
@Suite(.serialized) struct DataSynthCLITests {
    static let tasks = ["color", "shape", "digit", "spot-difference", "odd-one-out", "count-frames", "motion", "which-view", "read-detail"]

    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("loom-synth-\(UUID().uuidString)-\(name)")
    }

    /// Every file under `folder` by relative path.
    static func files(under folder: URL) throws -> [String: Data] {
        var found: [String: Data] = [:]
        let enumerator = try #require(FileManager.default.enumerator(atPath: folder.path))
        for case let path as String in enumerator {
            var isDirectory: ObjCBool = false
            let url = folder.appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                found[path] = try Data(contentsOf: url)
            }
        }
        return found
    }

    @Test func theSameArgumentsGiveTheSameBytes() throws {
        let a = Self.temporary("a"), b = Self.temporary("b"), c = Self.temporary("c")
        defer { for url in [a, b, c] { try? FileManager.default.removeItem(at: url) } }
        let arguments = ["data", "synth", "--task", "all", "--count", "2", "--seed", "1000000", "--format", "mixed"]
        let first = try CLI.run(arguments + ["--out", a.path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("18 samples (9 tasks × 2), seeds 1000000…1000017"), "\(first.stderr)")
        #expect(try CLI.run(arguments + ["--out", b.path]).status == 0)
        let filesA = try Self.files(under: a), filesB = try Self.files(under: b)
        #expect(filesA.count > 18 && filesA.keys.sorted() == filesB.keys.sorted())
        #expect(filesA.keys.allSatisfy { filesA[$0] == filesB[$0] })
        #expect(try CLI.run(["data", "synth", "--task", "all", "--count", "2", "--seed", "1000001", "--out", c.path]).status == 0)
        #expect(try Self.files(under: c)["data.json"] != filesA["data.json"])
    }

    @Test func validatesAndEvaluatesPerTask() throws {
        let folder = Self.temporary("eval")
        let results = folder.appendingPathComponent("r.jsonl").path
        defer { try? FileManager.default.removeItem(at: folder) }
        let synth = try CLI.run(["data", "synth", "--task", "all", "--count", "2", "--seed", "7", "--out", folder.path])
        #expect(synth.status == 0, "\(synth.stderr)")
        let data = folder.appendingPathComponent("data.json").path
        let validate = try CLI.run(["data", "validate", data, "--media-root", folder.path, "--check-media"])
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
        #expect(validate.stderr.contains("18 valid, 0 invalid"), "\(validate.stderr)")

        let run = try CLI.run(["eval", "run", "--model", Fixtures.url("llava/tiny-84").path, "--data", data, "--media-root", folder.path,
                               "--out", results, "--max-new-tokens", "4"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOfFile: results, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 18)

        let score = try CLI.run(["eval", "score", results, "--output", "json", "--data", data])
        #expect(score.status == 0, "\(score.stderr)")
        let report = try score.json()
        let datasets = try #require(report["datasets"] as? [String: Double])
        #expect(datasets.keys.sorted() == Self.tasks.sorted())
        #expect(datasets.values.allSatisfy { (0...1).contains($0) })
        #expect(!score.stderr.contains("not scored"), "\(score.stderr)")
        let table = try CLI.run(["eval", "score", results])
        for task in Self.tasks { #expect(table.stdout.contains("dataset  \(task)"), "\(table.stdout)") }
    }

    @Test func rejectsBadArguments() throws {
        let folder = Self.temporary("bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let unknown = try CLI.run(["data", "synth", "--task", "color,colour", "--count", "1", "--out", folder.path])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown task 'colour'"), "\(unknown.stderr)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: folder.appendingPathComponent("keep.txt"))
        let occupied = try CLI.run(["data", "synth", "--task", "color", "--count", "1", "--out", folder.path])
        #expect(occupied.status != 0)
        #expect(occupied.stderr.contains("is not empty"), "\(occupied.stderr)")
        let format = try CLI.run(["data", "synth", "--task", "color", "--count", "1", "--format", "side", "--out", folder.path + "-x"])
        #expect(format.status != 0 && format.stderr.contains("--format must be"), "\(format.stderr)")
        let help = try CLI.run(["data", "synth", "--help"])
        #expect(help.stdout.contains("read-detail") && help.stdout.contains("Examples:"), "\(help.stdout)")
    }
}

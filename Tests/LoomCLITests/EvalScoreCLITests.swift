import Foundation
import LoomTestSupport
import Testing

/// `loom eval score` as a user runs it: the reference's numbers from merged shards, duplicates refused, missing
/// samples reported, two runs side by side.
@Suite struct EvalScoreCLITests {
    static let authors = Fixtures.url("eval/scoring/results_authors.jsonl").path
    static let lmms = Fixtures.url("eval/scoring/results_lmms.jsonl").path

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("loom-score-\(UUID().uuidString)-\(name)").path
    }

    static func expected(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("eval/scoring/\(name)"))) as! [String: Any]
    }

    static func close(_ a: [String: Any], _ b: [String: Any]) -> Bool {
        a.count == b.count && a.allSatisfy { key, value in
            guard let x = value as? Double, let y = b[key] as? Double else { return false }
            return abs(x - y) <= 1e-12
        }
    }

    @Test func shardsMergeToTheReferenceScores() throws {
        let lines = try String(contentsOfFile: Self.authors, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let cut = lines.count / 2
        // Cut between samples so that no multi-turn sample is split across the two shards.
        let parts = [Self.temporary("a.jsonl"), Self.temporary("b.jsonl")]
        defer { parts.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        try (lines[..<cut].joined(separator: "\n") + "\n").write(toFile: parts[0], atomically: true, encoding: .utf8)
        try lines[cut...].joined(separator: "\n").write(toFile: parts[1], atomically: true, encoding: .utf8)
        let run = try CLI.run(["eval", "score"] + parts + ["--output", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try run.json()
        let expected = try Self.expected("expected_authors.json")
        #expect(json["scorer"] as? String == "authors")
        #expect(Self.close(json["categories"] as! [String: Any], expected["categories"] as! [String: Any]))
        #expect(Self.close((json["datasets"] as! [String: Any]).filter { !($0.value is NSNull) },
                           (expected["datasets"] as! [String: Any]).filter { !($0.value is NSNull) }))
        #expect(run.stderr.contains("question_type \"other\""), "unscorable samples are named: \(run.stderr)")

        let lmms = try CLI.run(["eval", "score", Self.lmms, "--scorer", "lmms-eval", "--output", "json"])
        #expect(lmms.status == 0, "\(lmms.stderr)")
        let expectedLmms = try Self.expected("expected_lmms.json")
        #expect(Self.close(try lmms.json()["categories"] as! [String: Any], expectedLmms["categories"] as! [String: Any]))
        #expect(abs((try lmms.json()["overall"] as! Double) - (expectedLmms["overall"] as! Double)) <= 1e-12)
    }

    @Test func duplicatesAreRefusedAndMissingSamplesReported() throws {
        let duplicate = try CLI.run(["eval", "score", Self.authors, Self.authors])
        #expect(duplicate.status != 0)
        #expect(duplicate.stderr.contains("is answered twice"), "\(duplicate.stderr)")

        let bench = Self.temporary("bench.json"), results = Self.temporary("results.jsonl")
        defer { [bench, results].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let record = { (id: Int) in
            #"{"sample_id": \#(id), "image": [], "metadata": {"dataset": "NLVR2_Mantis", "question_type": "multi-choice"}, "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}"#
        }
        try ("[" + (0..<3).map(record).joined(separator: ",") + "]").write(toFile: bench, atomically: true, encoding: .utf8)
        try #"{"dataset": "NLVR2_Mantis", "sample_id": 1, "pred_response": "(A) yes", "gt_response": "A", "question_type": "multi-choice"}"#
            .appending("\n").write(toFile: results, atomically: true, encoding: .utf8)
        let run = try CLI.run(["eval", "score", results, "--data", bench, "--output", "markdown"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("2 samples of \(bench) have no answer: NLVR2_Mantis/0, NLVR2_Mantis/2"), "\(run.stderr)")
        #expect(run.stdout.contains("| category | nlrv2 | 0.00 |"), "\(run.stdout)")
    }

    @Test func twoRunsSideBySide() throws {
        let other = Self.temporary("other.jsonl")
        defer { try? FileManager.default.removeItem(atPath: other) }
        let changed = try String(contentsOfFile: Self.authors, encoding: .utf8)
            .replacingOccurrences(of: #""pred_response": ""#, with: #""pred_response": "x"#)
        try changed.write(toFile: other, atomically: true, encoding: .utf8)
        let run = try CLI.run(["eval", "score", Self.authors, "--compare", other])
        #expect(run.status == 0, "\(run.stderr)")
        let line = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("category  spot_the_diff") })
        let cells = line.split(separator: " ").map(String.init)
        #expect(cells.count == 5)
        #expect(String(format: "%+.2f", Double(cells[3])! - Double(cells[2])!) == cells[4])
    }
}

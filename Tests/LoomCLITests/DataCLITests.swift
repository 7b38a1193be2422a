import Foundation
import LoomTestSupport
import Testing

/// `loom data` end to end, as a user runs it: validate's report and exit status, tokenize's output against the
/// reference fixtures, convert's round trips, mixtures and shards.
@Suite struct DataCLITests {
    static let records = Fixtures.url("data/tokenize/records.json").path

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("loom-data-\(UUID().uuidString)-\(name)").path
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func validateReportsProblemsAndFails() throws {
        let file = Self.temporary("bad.json")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
        [{"sample_id": 1, "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]},
         {"sample_id": 2, "image": ["a.jpg"]},
         {"sample_id": 3, "image": ["a.jpg", "b.jpg"], "conversations": [{"from": "human", "value": "<image>"}, {"from": "gpt", "value": "x"}]}]
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try CLI.run(["data", "validate", file])
        #expect(run.status == 1)
        #expect(run.stdout == "1, 2, missing field `conversations`\n2, 3, 1 <image> marker in the human turns for 2 images\n")
        #expect(run.stderr.contains("3 records checked"), "\(run.stderr)")
        #expect(run.stderr.contains("1 valid, 2 invalid"), "\(run.stderr)")
    }

    @Test func validateAcceptsTheFixture() throws {
        let file = Self.temporary("good.json")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try #"[{"sample_id": 1, "image": "x/a.jpg", "conversations": [{"from": "human", "value": "<image>\nHi"}, {"from": "gpt", "value": "Hello"}]}]"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let run = try CLI.run(["data", "validate", file])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.isEmpty)
        let missing = try CLI.run(["data", "validate", file, "--media-root", FileManager.default.temporaryDirectory.path])
        #expect(missing.status == 1)
        #expect(missing.stdout == "0, 1, image \"x/a.jpg\": missing file\n")
    }

    @Test func tokenizeWritesTheReferenceIDs() throws {
        let out = Self.temporary("hf.jsonl")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try CLI.run(["data", "tokenize", Self.records, "--model", Fixtures.url("tokenizer/qwen").path,
                               "--preset", "hf", "--out", out])
        #expect(run.status == 1, "records lmms-finetune rejects are reported: \(run.stderr)")
        #expect(run.stderr.contains("335 records tokenised"), "\(run.stderr)")
        #expect(run.stderr.contains("10 skipped"), "\(run.stderr)")
        func parsed(_ lines: [String]) throws -> [NSDictionary] {
            try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! NSDictionary }
        }
        let expected = try parsed(Self.lines(Fixtures.url("data/tokenize/hf.jsonl").path)).filter { $0["error"] == nil }
        #expect(expected.count == 335)
        #expect(try parsed(Self.lines(out)) == expected)
    }

    @Test func tokenizeExpandsAndWritesAShard() throws {
        let file = Self.temporary("one.json"), out = Self.temporary("one.jsonl"), shard = Self.temporary("one.loomtok")
        defer { for path in [file, out, shard] { try? FileManager.default.removeItem(atPath: path) } }
        try #"[{"sample_id": "s1", "image": ["a.jpg", "b.jpg"], "conversations": [{"from": "human", "value": "<image><image>\nWhat?"}, {"from": "gpt", "value": "A."}]}]"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let run = try CLI.run(["data", "tokenize", file, "--model", Fixtures.url("llava/tiny-84").path, "--expand",
                               "--out", out, "--shard-out", shard])
        #expect(run.status == 0, "\(run.stderr)")
        let line = try #require(try Self.lines(out).first)
        let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        let ids = json["input_ids"] as! [Int], labels = json["labels"] as! [Int]
        #expect(json["sample_id"] as? String == "s1")
        #expect(ids.filter { $0 == 515 }.count == 72, "two images × (84 / 14)² positions of the model's image token")
        #expect(!ids.contains(-200))
        #expect(zip(ids, labels).allSatisfy { $0.0 != 515 || $0.1 == -100 })
        let header = try Data(contentsOf: URL(fileURLWithPath: shard)).prefix(16)
        #expect(Array(header.prefix(8)) == Array("LOOMTOK1".utf8))
        #expect(header.suffix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } == 1)
    }

    @Test func convertRoundTripsMixesAndShards() throws {
        let front = Self.temporary("front.json"), inter = Self.temporary("inter.json"), again = Self.temporary("again.json")
        let mixA = Self.temporary("mixA.json"), mixB = Self.temporary("mixB.json")
        let shards = [Self.temporary("s0.json"), Self.temporary("s1.json")]
        defer { for path in [front, inter, again, mixA, mixB] + shards { try? FileManager.default.removeItem(atPath: path) } }
        for (input, format, output) in [(Self.records, "front", front), (front, "interleaved", inter), (inter, "front", again)] {
            let run = try CLI.run(["data", "convert", input, "--format", format, "--out", output])
            #expect(run.status == 0, "\(run.stderr)")
        }
        #expect(try Self.lines(front) == Self.lines(again))
        #expect(try Self.lines(front).count == 347, "345 records and the array's brackets")
        for output in [mixA, mixB] {
            let run = try CLI.run(["data", "convert", Self.records, "--format", "mix:0.5", "--seed", "3", "--out", output])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let mixed = try String(contentsOfFile: mixA, encoding: .utf8)
        #expect(try String(contentsOfFile: mixB, encoding: .utf8) == mixed)
        let interleavedCount = mixed.components(separatedBy: "\"format\": \"interleaved\"").count - 1
        #expect(interleavedCount > 120 && interleavedCount < 225, "about half of 345: \(interleavedCount)")
        for (index, output) in shards.enumerated() {
            let run = try CLI.run(["data", "convert", "--mix", "\(Self.records)=random:50%", "--seed", "5", "--shard", "\(index)/2", "--out", output])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let counts = try shards.map { try Self.lines($0).count - 2 }
        #expect(counts == [87, 86], "173 of 345 records (50 %, rounded up) in two interleaved slices")
        let ids = try shards.flatMap { try Self.lines($0) }.filter { $0.hasPrefix("{") }
        #expect(Set(ids).count == 173)
    }
}

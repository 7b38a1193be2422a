import Foundation
import LoomTestSupport
import Testing

/// `loom data train-tokenizer` end to end: record files and text files read alike, a complete tokenizer folder.
@Suite struct DataTrainTokenizerCLITests {
    /// The turns of a JSON Lines record file train the same tokenizer as a text file holding those turns as lines.
    @Test func recordsAndTextTrainTheSameTokenizer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bpe-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let turns = (0..<40).flatMap { index in
            ["<image>What color is the circle number \(index)?", ["red.", "blue.", "green."][index % 3]]
        }
        let records = stride(from: 0, to: turns.count, by: 2).map { start in
            #"{"sample_id": \#(start), "image": ["a.png"], "conversations": [{"from": "human", "value": \#(jsonString(turns[start]))}, "#
                + #"{"from": "gpt", "value": \#(jsonString(turns[start + 1]))}]}"#
        }
        let recordFile = directory.appendingPathComponent("train.jsonl")
        let textFile = directory.appendingPathComponent("train.txt")
        try records.joined(separator: "\n").write(to: recordFile, atomically: true, encoding: .utf8)
        try turns.joined(separator: "\n").write(to: textFile, atomically: true, encoding: .utf8)

        let fromRecords = directory.appendingPathComponent("from-records"), fromText = directory.appendingPathComponent("from-text")
        let recordRun = try CLI.run(["data", "train-tokenizer", recordFile.path, "--vocab-size", "280", "--out", fromRecords.path])
        #expect(recordRun.status == 0, "\(recordRun.stderr)")
        #expect(recordRun.stderr.contains("80 documents"), "\(recordRun.stderr)")
        #expect(recordRun.stderr.contains("280 BPE ids + 4 special = 284 ids"), "\(recordRun.stderr)")
        let textRun = try CLI.run(["data", "train-tokenizer", textFile.path, "--vocab-size", "280", "--out", fromText.path])
        #expect(textRun.status == 0, "\(textRun.stderr)")

        for name in ["tokenizer.json", "tokenizer_config.json", "chat_template.json"] {
            let first = try Data(contentsOf: fromRecords.appendingPathComponent(name))
            #expect(first == (try Data(contentsOf: fromText.appendingPathComponent(name))), "\(name)")
        }
        let template = try Data(contentsOf: fromRecords.appendingPathComponent("chat_template.json"))
        #expect(template == (try Data(contentsOf: Fixtures.url("llava/tiny-84/chat_template.json"))))
    }

    @Test func rejectsATooSmallVocabulary() throws {
        let run = try CLI.run(["data", "train-tokenizer", "corpus.txt", "--vocab-size", "100", "--out", "unused"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("--vocab-size must be at least 256"), "\(run.stderr)")
    }

    private func jsonString(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed), as: UTF8.self)
    }
}

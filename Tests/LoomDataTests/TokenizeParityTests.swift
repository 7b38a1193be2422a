import Foundation
import LoomData
import LoomJSON
import LoomTestSupport
import LoomTokenizers
import Testing

/// `loom data tokenize`'s three presets against the Python originals (tools/reference/make_data_fixtures.py ran the
/// authors' two `preprocess_qwen` versions and lmms-finetune's template through transformers on the full Qwen2
/// vocabulary): identical ids and labels on 345 records, and the same records rejected.
@Suite struct TokenizeParityTests {
    static let directory = Fixtures.url("data/tokenize")
    static let tokenizer: Tokenizer = try! Tokenizer(directory: Fixtures.url("tokenizer/qwen"))

    static func records() throws -> [DataRecord] {
        let stream = try RecordStream(path: directory.appendingPathComponent("records.json").path)
        var records: [DataRecord] = []
        while let raw = try stream.next() { records.append(try DataRecord(bytes: raw.bytes)) }
        return records
    }

    static func expected(_ preset: LabelPreset) throws -> [JSONObject] {
        let text = try String(contentsOf: directory.appendingPathComponent("\(preset.rawValue).jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in try JSONParser.parse(Data(line.utf8)).objectValue! }
    }

    static func ints(_ value: JSONValue?) -> [Int] { value?.arrayValue?.compactMap(\.intValue) ?? [] }

    @Test(arguments: LabelPreset.allCases)
    func matchesTheReference(_ preset: LabelPreset) throws {
        let records = try Self.records()
        let expected = try Self.expected(preset)
        #expect(records.count == 345)
        #expect(expected.count == records.count)
        let converter = try TrainingTokenizer(tokenizer: Self.tokenizer, preset: preset)
        var compared = 0, rejected = 0
        for (record, reference) in zip(records, expected) {
            #expect(JSONWriter.string(reference["sample_id"]!) == record.sampleID)
            if reference["error"] != nil {
                #expect(throws: RecordError.self, "record \(record.sampleID) should be rejected") { try converter.tokenize(record) }
                rejected += 1
                continue
            }
            let result = try converter.tokenize(record)
            #expect(result.inputIDs == Self.ints(reference["input_ids"]), "input_ids of sample \(record.sampleID)")
            #expect(result.labels == Self.ints(reference["labels"]), "labels of sample \(record.sampleID)")
            compared += 1
        }
        #expect(compared >= 290)
        if preset == .llavaNext0614 { #expect(rejected >= 20) }
    }

    /// `../shared/spec/data.md` §4.2's worked example, by hand.
    @Test func workedExample() throws {
        let record = try DataRecord(bytes: Array(#"{"sample_id": 1, "image": ["a.jpg", "b.jpg"], "conversations": [{"from": "human", "value": "<image><image>\nWhat changed?"}, {"from": "gpt", "value": "The cup moved."}]}"#.utf8))
        let t = Self.tokenizer
        let result = try TrainingTokenizer(tokenizer: t, preset: .llavaNext).tokenize(record)
        let system = t.encode("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n")
        let user = [151644] + t.encode("user") + [198, -200, -200, 198] + t.encode("What changed?") + [151645, 198]
        let answer = [151644] + t.encode("assistant") + [198] + t.encode("The cup moved.") + [151645, 198]
        #expect(result.inputIDs == system + user + answer)
        let masked = { (ids: [Int]) in ids.map { [198, 151644, 151645].contains($0) ? $0 : -100 } }
        #expect(result.labels == masked(system) + masked(user) + answer)
        let expanded = result.expanded(imageTokenID: 151646, positions: [729, 729])
        #expect(expanded.inputIDs.count == result.inputIDs.count - 2 + 1458)
        #expect(expanded.inputIDs.filter { $0 == 151646 }.count == 1458)
        #expect(expanded.supervisedCount == result.supervisedCount)
    }
}

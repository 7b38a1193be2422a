import Foundation
import LoomCore
import LoomData
import LoomJSON
import Testing

/// Front / interleaved conversion, record selection and token shards.
@Suite struct ConversionTests {
    static func record(_ turns: [String], images: Int) throws -> DataRecord {
        var object = JSONObject()
        object.append("sample_id", .int(7))
        object.append("image", .array((0..<images).map { .string("i\($0).jpg") }))
        object.append("conversations", .array(turns.enumerated().map { position, value in
            .object(JSONObject(["from": .string(position % 2 == 0 ? "human" : "gpt"), "value": .string(value)]))
        }))
        return try DataRecord(json: object)
    }

    @Test func interleavedToFrontAndBack() throws {
        let original = try Self.record(["Image 1: <image> and image 2: <image>. Which is red?", "The first.", "And <image>?", "Blue."], images: 3)
        let front = TextFormat.front.apply(to: original)
        #expect(front.turns.map(\.value) == ["<image><image>\nImage 1: [Image 1] and image 2: [Image 2]. Which is red?",
                                             "The first.", "<image>\nAnd [Image 3]?", "Blue."])
        #expect(front.json["metadata"]?.objectValue?["format"] == .string("front"))
        let back = TextFormat.interleaved.apply(to: front)
        #expect(back.turns == original.turns)
        #expect(back.images == original.images)
    }

    @Test func frontToInterleavedAndBack() throws {
        let original = try Self.record(["<image><image>\nWhat changed?", "A cup.", "Why?", "Wind."], images: 2)
        let interleaved = TextFormat.interleaved.apply(to: original)
        #expect(interleaved.turns[0].value == "Image 1: <image>\nImage 2: <image>\nWhat changed?")
        #expect(TextFormat.front.apply(to: interleaved).turns == original.turns)
        #expect(TextFormat.front.apply(to: original).turns == original.turns)
    }

    @Test func selectionGrammar() throws {
        #expect(try RecordSelection(parsing: "first:3") == .first(3))
        #expect(try RecordSelection(parsing: "random:25%") == .randomPercent(25))
        #expect(try RecordSelection(parsing: "0.5") == .randomPercent(50))
        #expect(throws: RecordError.self) { try RecordSelection(parsing: "last:3") }
        var random = SplitMix64(seed: 1)
        #expect(RecordSelection.end(2).positions(total: 5, random: &random) == [3, 4])
        let picked = RecordSelection.randomPercent(30).positions(total: 10, random: &random)
        #expect(picked.count == 3 && Set(picked).count == 3 && picked.allSatisfy { (0..<10).contains($0) })
        var again = SplitMix64(seed: 9), other = SplitMix64(seed: 9)
        #expect(again.sample(50, of: 1000) == other.sample(50, of: 1000))
    }

    @Test func tokenShardRoundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString).loomtok").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try TokenShardWriter(path: path, metadata: JSONObject(["preset": .string("hf")]))
        let records = [TokenizedRecord(sampleID: "a", inputIDs: [1, -200, 3], labels: [-100, -100, 3]),
                       TokenizedRecord(sampleID: "b", inputIDs: [151644, 9], labels: [151644, -100])]
        try writer.append(records[0], images: ["x.jpg"], video: nil)
        try writer.append(records[1], images: [], video: "clip")
        try writer.finish()
        let reader = try TokenShardReader(path: path)
        #expect(reader.count == 2)
        for (position, record) in records.enumerated() {
            let read = try reader.record(position)
            #expect(read.inputIDs == record.inputIDs && read.labels == record.labels)
        }
        #expect(reader.metadata["preset"] == .string("hf"))
        let entries = reader.metadata["records"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(entries.map { $0["sample_id"] } == [.string("a"), .string("b")])
        #expect(entries[1]["video"] == .string("clip"))
    }

    @Test func writerMatchesPythonJSON() {
        let value = JSONValue.object(JSONObject(["a": .string("é\n\"\\\u{1}"), "b": .array([.int(1), .number(0.5), .null, .bool(true)])]))
        #expect(JSONWriter.string(value) == #"{"a": "é\n\"\\\u0001", "b": [1, 0.5, null, true]}"#)
    }
}

import Foundation
import LoomJSON
import LoomMedia
import Testing
@testable import LoomData

/// `loom data synth`'s tasks: a seed decides everything (records and PNG bytes), answers say what the pixels show,
/// and the records pass the data tools' checks.
@Suite struct SynthTests {
    static let options = SynthOptions()
    static let taskNames = SynthTasks.names

    static func task(_ name: String) throws -> any SynthTask { try #require(SynthTasks.named(name)) }

    static func sample(_ name: String, _ seed: UInt64, format: SynthFormat = .mixed) throws -> SynthSample {
        SynthSample(task: try task(name), seed: seed, options: SynthOptions(format: format))
    }

    /// The sample's pictures as their PNG files decode.
    static func decoded(_ sample: SynthSample) throws -> [RGBImage] {
        try sample.files.map { try ImageDecoder.decode(data: Data($0.image.pngData())) }
    }

    @Test(arguments: taskNames)
    func aSeedGivesTheSameRecordAndBytes(_ name: String) throws {
        let first = try Self.sample(name, 1234), second = try Self.sample(name, 1234)
        #expect(JSONWriter.string(.object(first.json)) == JSONWriter.string(.object(second.json)))
        #expect(first.files.map(\.path) == second.files.map(\.path))
        #expect(try first.files.map { try $0.image.pngData() } == second.files.map { try $0.image.pngData() })
    }

    @Test(arguments: taskNames)
    func differentSeedsDiffer(_ name: String) throws {
        let samples = try (0..<12).map { try Self.sample(name, UInt64($0)) }
        let pictures = Set(try samples.map { try $0.files.map { try $0.image.pngData() } })
        #expect(pictures.count == samples.count, "every seed draws its own pictures")
        #expect(Set(samples.map(\.content.answer)).count > 1)
        #expect(Set(samples.map(\.id)).count == samples.count)
    }

    @Test func theFormatNeverChangesTheContent() throws {
        for seed: UInt64 in 0..<20 {
            let front = try Self.sample("spot-difference", seed, format: .front)
            let interleaved = try Self.sample("spot-difference", seed, format: .interleaved)
            #expect(front.content.answer == interleaved.content.answer)
            #expect(front.files.map(\.image) == interleaved.files.map(\.image))
            #expect(front.humanText == "<image><image>\nWhat changed?")
            #expect(interleaved.humanText == "Image 1: <image>\nImage 2: <image>\nWhat changed?")
            // Loom's own converter takes the interleaved text back to the front text.
            #expect(TextFormat.front.apply(to: try interleaved.record()).turns[0].value == front.humanText)
        }
        let mixed = try (0..<200).map { try Self.sample("which-view", $0).format }
        #expect((70...130).contains(mixed.filter { $0 == .interleaved }.count), "mixed: p = 0.5 per sample")
        let views = try Self.sample("which-view", 3, format: .interleaved)
        #expect(views.humanText == "View 1: <image>\nView 2: <image>\nView 3: <image>\nView 4: <image>\n" + views.content.question)
        #expect(try Self.sample("motion", 3, format: .interleaved).humanText == "Video: <image>\nWhich way does the ball move?")
        #expect(try Self.sample("motion", 3, format: .front).humanText == "<image>\nWhich way does the ball move?")
        let single = try Self.sample("color", 3, format: .interleaved)
        #expect(single.format == .front && single.humanText.hasPrefix("<image>\nWhat color is the "))
    }

    @Test func recordsHaveTheM4Layout() throws {
        let json = JSONWriter.string(.object(try Self.sample("odd-one-out", 9, format: .front).json))
        #expect(json == #"{"id": "odd-one-out-9", "image": ["images/odd-one-out-9_1.png", "images/odd-one-out-9_2.png", "images/odd-one-out-9_3.png", "images/odd-one-out-9_4.png"], "conversations": [{"from": "human", "value": "<image><image><image><image>\nWhich image is different?"}, {"from": "gpt", "value": "Image 3."}], "metadata": {"dataset": "odd-one-out", "question_type": "exact", "format": "front"}}"#)
        let video = try Self.sample("count-frames", 10).record()
        #expect(video.video == "videos/count-frames-10" && video.images.isEmpty && video.mediaCount == 1)
        #expect(try Self.sample("count-frames", 10).files.map(\.path).first == "videos/count-frames-10/frame_00.png")
        let single = try Self.sample("read-detail", 13).record()
        #expect(single.imageIsString && single.images == ["images/read-detail-13.png"])
        #expect(single.dataset == "read-detail" && single.questionType == "exact" && single.sampleID == "read-detail-13")
    }

    @Test func writtenRunsAreValidAndByteIdentical() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-synth-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = SynthRun(tasks: SynthTasks.all, count: 3, seed: 500, options: SynthOptions(format: .mixed))
        var reported: [Int] = []
        try run.write(to: root.appendingPathComponent("a")) { reported.append($0) }
        try run.write(to: root.appendingPathComponent("b"))
        #expect(reported == Array(1...27))
        let a = try Self.files(under: root.appendingPathComponent("a")), b = try Self.files(under: root.appendingPathComponent("b"))
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.keys.allSatisfy { a[$0] == b[$0] }, "the same arguments give byte-identical files")
        #expect(a.count == 1 + run.total + (0..<run.total).map { run.sample($0).files.count - 1 }.reduce(0, +))

        let folder = root.appendingPathComponent("a")
        let validator = RecordValidator(media: MediaCheck(root: folder, decode: true))
        let stream = try RecordStream(path: folder.appendingPathComponent("data.json").path)
        var seen: [String] = []
        while let raw = try stream.next() {
            #expect(validator.problems(in: raw).isEmpty, "\(validator.problems(in: raw))")
            let record = try DataRecord(bytes: raw.bytes)
            #expect(record.sampleID == "\(record.dataset!)-\(500 + raw.index)")
            seen.append(record.dataset!)
        }
        #expect(seen == Array(repeating: Self.taskNames, count: 3).flatMap { $0 })
    }

    static func files(under folder: URL) throws -> [String: Data] {
        var found: [String: Data] = [:]
        let enumerator = try #require(FileManager.default.enumerator(atPath: folder.path))
        for case let path as String in enumerator {
            let url = folder.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                found[path] = try Data(contentsOf: url)
            }
        }
        return found
    }
}

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LoomData
import LoomJSON
import LoomTestSupport
import LoomTokenizers
import Testing

/// `loom data stats`: the seed table, record-to-row matching and the counts of a 12-record fixture
/// (`Tests/Fixtures/data/stats/records.json`) counted by hand. Per record — images / video / turns → row:
///  1 2/-/2 HQ-Edit-Diff → Synthetic Difference;  2 2/-/2 nlvr2 → NLVR2;  3 2/-/4 zip Spot-the-Diff → Spot-the-Diff;
///  4 0/v/2 Video_VQA_Captioning → ShareGPTVideo-VQA;  5 4/-/2 NExT-QA;  6 3/-/2 ScanQA;  7 1/-/2 coco (unmapped,
///  single image);  8 5/-/2 COMICS_Dialogue (unmapped);  9 0/-/2 no name (unmapped "?", text-only);
///  10 2/-/2 MagicBrush-Edit → MagicBrush by its zip prefix;  11 3/-/3 AESOP, rejected by the tokenizer (leading
///  system turn);  12 2/-/2 COMICS_Dialogue (unmapped).
@Suite struct StatisticsTests {
    static let tokenizer: Tokenizer = try! Tokenizer(directory: Fixtures.url("tokenizer/qwen"))
    static let system = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"

    static func records() throws -> [DataRecord] {
        let stream = try RecordStream(path: Fixtures.url("data/stats/records.json").path)
        var records: [DataRecord] = []
        while let raw = try stream.next() { records.append(try DataRecord(bytes: raw.bytes)) }
        return records
    }

    static func statistics(tokenized: Bool = true) throws -> DataStatistics {
        let converter = tokenized ? try TrainingTokenizer(tokenizer: tokenizer, preset: .llavaNext) : nil
        var statistics = DataStatistics(tokenizer: converter)
        for record in try records() { statistics.add(record) }
        return statistics
    }

    static func group(_ report: StatisticsReport, _ name: String) -> StatisticsGroup? {
        report.groups.first { $0.name == name }
    }

    @Test func seedTable() {
        let rows = SeedTable.rows
        #expect(rows.count == 41)
        #expect(Set(rows.map(\.task)).count == 14)
        func thousands(_ scenario: String?) -> Double {
            (rows.filter { scenario == nil || $0.scenario == scenario }.reduce(0) { $0 + $1.thousands } * 10).rounded() / 10
        }
        #expect(thousands("multi-image") == 500.8)
        #expect(thousands("multi-frame") == 261.9)
        #expect(thousands("multi-view") == 107.9)
        #expect(thousands("single image") == 307)
        #expect(thousands(nil) == 1177.6)
        #expect(rows.first == SeedRow(scenario: "multi-image", task: "Spot the Difference", dataset: "Real-world Difference",
                                      domain: "Realistic", thousands: 6.7))
        #expect(rows.first { $0.dataset == "HQ-Edit" }?.domain == "Sythentic")
    }

    @Test func matchingNames() {
        let table = SeedTable()
        #expect(table.row(named: "NLVR2")?.dataset == "NLVR2")
        #expect(table.row(named: "nlvr2")?.dataset == "NLVR2")
        #expect(table.row(named: "spot_the_diff")?.dataset == "Spot-the-Diff")
        #expect(table.row(named: "nextqa")?.dataset == "NExT-QA")
        #expect(table.row(named: "HQ-Edit")?.dataset == "HQ-Edit")
        #expect(table.row(named: "HQ-Edit-Diff")?.dataset == "Synthetic Difference")
        #expect(table.row(named: "Video_VQA_Captioning")?.dataset == "ShareGPTVideo-VQA")
        #expect(table.row(named: "RAVEN_train_images")?.dataset == "Raven")
        #expect(table.row(named: "scannet_frames_25k") == nil)
        #expect(table.row(named: "COMICS_Dialogue") == nil)
        let mapped = SeedTable(mapping: ["COMICS_Dialogue": "vist", "scannet_frames_25k": "No Such Row"])
        #expect(mapped.row(named: "comics-dialogue")?.dataset == "VIST")
        #expect(mapped.unknownTargets == ["No Such Row"])
        #expect(table.unknownTargets.isEmpty)
    }

    @Test func groupsByScenario() throws {
        let report = try Self.statistics().report(by: .scenario)
        #expect(report.groups.map(\.name) == ["multi-image", "multi-frame", "multi-view", "single image", "text-only"])
        #expect(report.groups.map(\.counts.samples) == [7, 2, 1, 1, 1])
        #expect(report.groups.map(\.seedThousands) == [500.8, 261.9, 107.9, 307, nil])
        let multiImage = report.groups[0].counts
        #expect(multiImage.images == 18 && multiImage.imagesMin == 2 && multiImage.imagesMax == 5 && multiImage.turns == 17)
        let multiFrame = report.groups[1].counts
        #expect(multiFrame.videos == 1 && multiFrame.imagesMin == 0 && multiFrame.imagesMax == 4)
        let total = report.total
        #expect(total.samples == 12 && total.images == 26 && total.imagesMin == 0 && total.imagesMax == 5)
        #expect(String(format: "%.2f", total.imagesMean) == "2.17")
        #expect(total.videos == 1 && total.turns == 27 && total.turnsMean == 2.25)
        #expect(total.tokenizedSamples == 11)
        // Images of the 11 accepted records (26 less record 11's 3) and one video of 10 frames, 729 positions each.
        #expect(total.totalTokens == total.textTokens + 23 * 729 + 10 * 729)
    }

    @Test func groupsByTaskAndDataset() throws {
        let statistics = try Self.statistics()
        let tasks = statistics.report(by: .task)
        #expect(tasks.groups.map(\.name) == ["Spot the Difference", "Image Edit Instruction", "Visual Story Telling", "Multi-image VQA",
                                             "Video QA", "Scene VQA", "(unmapped: ?)", "(unmapped: COMICS_Dialogue)", "(unmapped: coco)"])
        #expect(tasks.groups.map(\.counts.samples) == [2, 1, 1, 1, 2, 1, 1, 2, 1])
        #expect(tasks.groups.map(\.scenario) == ["multi-image", "multi-image", "multi-image", "multi-image", "multi-frame", "multi-view",
                                                 "text-only", "multi-image", "single image"])
        #expect(tasks.groups[0].seedThousands == 42.6)
        let datasets = statistics.report(by: .dataset)
        #expect(datasets.groups.map(\.name) == ["Synthetic Difference", "Spot-the-Diff", "MagicBrush", "AESOP", "NLVR2", "NExT-QA",
                                                "ShareGPTVideo-VQA", "ScanQA", "(unmapped: ?)", "(unmapped: COMICS_Dialogue)", "(unmapped: coco)"])
        #expect(datasets.unmapped == [NameCount(name: "?", count: 1), NameCount(name: "COMICS_Dialogue", count: 2), NameCount(name: "coco", count: 1)])
        #expect(datasets.prefixFallbacks == [NameCount(name: "MagicBrush-Edit (zip prefix MagicBrush) → MagicBrush", count: 1)])
        #expect(datasets.rejectedCount == 1 && datasets.rejectedExamples.map(\.sampleID) == ["11"])
        #expect(Self.group(datasets, "AESOP")?.counts.tokenizedSamples == 0)
        let measured = Dictionary(uniqueKeysWithValues: zip(SeedTable.rows.map(\.dataset), datasets.seedSamples))
        #expect(measured["NLVR2"] == 1 && measured["ShareGPTVideo-VQA"] == 1 && measured["ShareGPTVideo-Caption"] == 0)
        #expect(datasets.seedSamples.reduce(0, +) == 8)
    }

    /// Text tokens counted independently of `TrainingTokenizer`: the rendered ChatML text through `Tokenizer.encode`,
    /// split at the image marker (it is one special token, replaced by the sentinel that is not a text token).
    @Test func textTokens() throws {
        let t = Self.tokenizer
        let report = try Self.statistics().report(by: .dataset)
        let textOnly = t.encode(Self.system + "<|im_start|>user\nSay hello.<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n")
        let textCounts = try #require(Self.group(report, "(unmapped: ?)")).counts
        #expect(textCounts.textTokens == textOnly.count)
        #expect(textCounts.totalTokens == textOnly.count)
        let answer = t.encode("<|im_start|>assistant\nHello!<|im_end|>\n")
        let prompt = textOnly.dropLast(answer.count)
        #expect(textCounts.supervisedTokens == answer.count + prompt.filter { [198, 151644, 151645].contains($0) }.count)

        let image = t.encode(Self.system + "<|im_start|>user\n").count
            + t.encode("\nWhat are the colors of the bus in the image?<|im_end|>\n").count
            + t.encode("<|im_start|>assistant\nThe bus in the image is white and red.<|im_end|>\n").count
        let imageCounts = try #require(Self.group(report, "(unmapped: coco)")).counts
        #expect(imageCounts.textTokens == image)
        #expect(imageCounts.totalTokens == image + 729)

        let video = t.encode(Self.system + "<|im_start|>user\n").count + t.encode("\nWhat is the setting of the video?<|im_end|>\n").count
            + t.encode("<|im_start|>assistant\nA newsroom.<|im_end|>\n").count
        let videoCounts = try #require(Self.group(report, "ShareGPTVideo-VQA")).counts
        #expect(videoCounts.textTokens == video && videoCounts.totalTokens == video + 7290)
    }

    @Test func outputs() throws {
        let report = try Self.statistics().report(by: .task)
        let csv = report.csv().split(separator: "\n")
        #expect(csv.count == 1 + report.groups.count)
        #expect(csv[0].hasPrefix("group,scenario,seed_k,samples,images_min,images_mean"))
        #expect(csv[1].hasPrefix("Spot the Difference,multi-image,42.6,2,2,2.00,2,0,6,3.00,"))

        let json = try JSONParser.parse(Data(report.json().utf8)).objectValue!
        #expect(json["groups"]?.arrayValue?.count == report.groups.count)
        #expect(json["total"]?.objectValue?["samples"]?.intValue == 12)
        #expect(json["total"]?.objectValue?["images_mean"] == .number(2.17))
        #expect(json["seed_rows"]?.arrayValue?.count == 41)
        #expect(json["unmapped"]?.arrayValue?.count == 3)
        #expect(json["rejected"]?.objectValue?["count"]?.intValue == 1)

        let table = report.table()
        #expect(table.contains("\ntotal "))
        #expect(table.contains("  COMICS_Dialogue: 2\n"))
        #expect(table.contains("rejected by the tokenizer: 1\n  sample 11: "))

        let layout = report.seedLayout().split(separator: "\n")
        #expect(layout.count == 2 + 41 + 3 + 1)
        #expect(layout[2].hasPrefix("multi-image ") && layout[2].contains(" Spot the Difference (42.6) ") && layout[2].contains(" Real-world Difference "))
        #expect(layout.last!.hasPrefix("total") && layout.last!.hasSuffix("1177.6        12"))
        #expect(layout.contains { $0.contains("(unmapped: coco)") && $0.hasSuffix(" 1") })
    }

    @Test func svg() throws {
        let report = try Self.statistics().report(by: .task)
        let svg = report.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<rect").count - 1 == report.groups.count)
        #expect(svg.contains(">(unmapped: COMICS_Dialogue)</text>"))
        #if canImport(FoundationXML) || os(macOS)
        let document = try XMLDocument(xmlString: svg)
        #expect(document.rootElement()?.name == "svg")
        #endif
    }

    @Test func withoutTokenizer() throws {
        let report = try Self.statistics(tokenized: false).report(by: .scenario)
        #expect(report.total.samples == 12 && report.total.tokenizedSamples == 0 && report.rejectedCount == 0)
        #expect(report.csv().split(separator: "\n")[1].hasSuffix(",2.43,-,-,-,-,-"))
        let json = try JSONParser.parse(Data(report.json().utf8)).objectValue!
        #expect(json["total"]?.objectValue?["text_tokens"] == .null)
        #expect(json["rejected"] == .null)
    }
}

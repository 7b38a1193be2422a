import ArgumentParser
import Foundation
import LoomData
import LoomJSON
import LoomTokenizers

/// `loom data stats`: the seed's statistics table for any data file (samples, images, turns, tokens per group).
struct DataStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count samples, images, turns and tokens per scenario, task or dataset; the seed's table and a plot.",
        discussion: """
        Records are grouped by the row of the LLaVA-NeXT-Interleave statistics table (4 scenarios, 14 tasks, 41 \
        datasets) their metadata.dataset or zip prefix (the first path component of image[0]) maps to; names with \
        no row are listed as unmapped (give --mapping FILE.json, {"name": "dataset row"}, to map them). With \
        --model, text tokens are counted with the model's tokenizer under --preset, and total tokens add \
        --image-positions per image and --video-frames × that per video.

        Examples:
          loom data stats m4_instruct_annotations.json m4_instruct_video.json --model DIR --by task
          loom data stats m4.json --output seed --plot mix.svg
          loom data stats m4.json --by dataset --output csv > datasets.csv
        """)

    @Argument(help: "Data files (JSON arrays or JSON Lines).") var files: [String]
    @Option(help: "Group by scenario, task or dataset.") var by = "task"
    @Option(help: "Output: table, seed (the paper's table layout with these counts), json or csv.") var output = "table"
    @Option(help: "Model (or tokenizer) directory: count text tokens with its tokenizer.") var model: String?
    @Option(help: "Label convention the token counts follow: llava-next, llava-next-0614 or hf.") var preset = "llava-next"
    @Option(help: "Positions per image in total tokens (default: the model's, (image_size / patch_size)² from its config.json, else 729).")
    var imagePositions: Int?
    @Option(help: "Frames per video in total tokens (the authors train on 10).") var videoFrames = 10
    @Option(help: "JSON object mapping dataset names or zip prefixes to rows of the seed's table.") var mapping: String?
    @Option(help: "Write an SVG plot of the mix to this file.") var plot: String?

    func validate() throws {
        guard StatisticsGrouping(rawValue: by) != nil else {
            throw ValidationError("--by must be one of \(StatisticsGrouping.allCases.map(\.rawValue).joined(separator: ", ")), got '\(by)'")
        }
        guard ["table", "seed", "json", "csv"].contains(output) else { throw ValidationError("--output must be table, seed, json or csv, got '\(output)'") }
        guard LabelPreset(rawValue: preset) != nil else { throw ValidationError("unknown --preset '\(preset)'") }
        if (imagePositions ?? 1) < 1 || videoFrames < 1 { throw ValidationError("--image-positions and --video-frames must be at least 1") }
    }

    func run() throws {
        let directory = try model.map { try ModelLocation.resolve($0, requiring: .tokenizer) }
        let tokenizer = try directory.map { try TrainingTokenizer(tokenizer: Tokenizer(directory: $0), preset: LabelPreset(rawValue: preset)!) }
        let table = SeedTable(mapping: try readMapping())
        if !table.unknownTargets.isEmpty {
            throw ValidationError("--mapping names rows the seed's table does not have: \(table.unknownTargets.joined(separator: ", "))")
        }
        let positions = imagePositions ?? directory.flatMap(ImageExpansion.configuredPositions(in:)) ?? 729
        var statistics = DataStatistics(tokenizer: tokenizer, positionsPerImage: positions, framesPerVideo: videoFrames, table: table)
        var unreadable = 0
        for file in files {
            _ = try forEachRecord(in: file, label: "stats \((file as NSString).lastPathComponent)") { raw in
                guard let record = try? DataRecord(bytes: raw.bytes) else { unreadable += 1; return }
                statistics.add(record)
            }
        }
        let report = statistics.report(by: StatisticsGrouping(rawValue: by)!)
        switch output {
        case "seed": writeOut(report.seedLayout())
        case "json": writeOut(report.json() + "\n")
        case "csv": writeOut(report.csv())
        default: writeOut(report.table())
        }
        if let plot {
            try report.svg().write(toFile: plot, atomically: true, encoding: .utf8)
            writeError("plot written to \(plot)")
        }
        if unreadable > 0 { writeError("\(unreadable) records could not be read and were not counted (loom data validate lists them)") }
    }

    private func readMapping() throws -> [String: String] {
        guard let mapping else { return [:] }
        let value = try JSONParser.parse(Data(contentsOf: URL(fileURLWithPath: mapping)))
        guard let object = value.objectValue else { throw ValidationError("--mapping \(mapping): expected a JSON object {\"name\": \"dataset row\"}") }
        var result: [String: String] = [:]
        for (key, value) in zip(object.keys, object.values) {
            guard let row = value.stringValue else { throw ValidationError("--mapping \(mapping): \"\(key)\" must map to a string") }
            result[key] = row
        }
        return result
    }
}

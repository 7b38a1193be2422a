import ArgumentParser
import Foundation
import LoomData
import LoomJSON
import LoomTokenizers

/// `loom data tokenize`: records → ids and labels exactly as the chosen reference convention produces them.
struct DataTokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Turn training records into input ids and labels (JSON Lines and/or a binary token shard).",
        discussion: """
        Presets: llava-next (LLaVA-NeXT's current preprocess_qwen: system prompt, whole assistant turns and every \
        standalone \\n / <|im_start|> / <|im_end|> supervised), llava-next-0614 (its June-2024 version: images forced \
        to the front; records it cannot express are reported and skipped), hf (the llava-hf template with \
        lmms-finetune's {% generation %} span: only "\\n" + answer + "<|im_end|>\\n" supervised). Each image is one \
        -200 id (the authors' IMAGE_TOKEN_INDEX), masked labels are -100. --expand writes the model's image token \
        repeated per position instead (--image-positions per image, --video-frames × that per video).
        Output lines: {"sample_id": …, "input_ids": […], "labels": […]}. --shard-out also writes the binary form \
        `loom train` reads (format: LoomData/TokenShard.swift). A record that cannot be tokenised is reported on \
        standard error as `record index, sample id, why`; the exit status is then 1.

        Example: loom data tokenize m4.json --model llava-interleave-qwen-0.5b-hf --preset llava-next --out m4.jsonl
        """)

    @Argument(help: "The data file (JSON array or JSON Lines).") var file: String
    @Option(help: "Model (or tokenizer) directory with tokenizer.json (and config.json for --expand).") var model: String
    @Option(help: "Label convention: llava-next, llava-next-0614 or hf.") var preset = "llava-next"
    @Option(help: "JSON Lines output (- for standard output).") var out: String?
    @Option(help: "Binary token shard output for loom train.") var shardOut: String?
    @Flag(help: "Write each image as the model's image token repeated per position instead of one -200.") var expand = false
    @Option(help: "Positions per image for --expand (default: from config.json, (image_size / patch_size)²).") var imagePositions: Int?
    @Option(help: "Frames per video for --expand (the authors train on 10).") var videoFrames = 10
    @Option(help: "The LLaVA-NeXT presets' system prompt.") var systemPrompt = "You are a helpful assistant."

    func validate() throws {
        if out == nil && shardOut == nil { throw ValidationError("give --out FILE.jsonl and/or --shard-out FILE.loomtok") }
        if LabelPreset(rawValue: preset) == nil {
            throw ValidationError("--preset must be one of \(LabelPreset.allCases.map(\.rawValue).joined(separator: ", ")), got '\(preset)'")
        }
        if let imagePositions, imagePositions < 1 { throw ValidationError("--image-positions must be at least 1") }
        if videoFrames < 1 { throw ValidationError("--video-frames must be at least 1") }
    }

    func run() throws {
        let directory = try ModelLocation.resolve(model, requiring: .tokenizer)
        let tokenizer = try Tokenizer(directory: directory)
        var converter = try TrainingTokenizer(tokenizer: tokenizer, preset: LabelPreset(rawValue: preset)!)
        converter.systemPrompt = systemPrompt
        let expansion = expand ? try ImageExpansion(directory: directory, tokenizer: tokenizer, positions: imagePositions) : nil
        let lines = try out.map(OutputFile.init(path:))
        var metadata = JSONObject(["preset": .string(preset), "expanded": .bool(expand)])
        if let expansion { metadata.append("image_token_id", .int(expansion.tokenID)) }
        let shard = try shardOut.map { try TokenShardWriter(path: $0, metadata: metadata) }
        var written = 0, failed = 0, tokens = 0, supervised = 0
        let pass = try forEachRecord(in: file, label: "tokenize") { raw in
            do {
                let record = try DataRecord(bytes: raw.bytes)
                var result = try converter.tokenize(record)
                if let expansion {
                    let counts = (0..<result.imageCount).map { _ in expansion.positions * (record.video == nil ? 1 : videoFrames) }
                    result = result.expanded(imageTokenID: expansion.tokenID, positions: counts)
                }
                if let lines {
                    var line: [UInt8] = []
                    line += Array("{\"sample_id\": ".utf8)
                    JSONWriter.append(record.json["sample_id"] ?? record.json["id"] ?? .null, to: &line)
                    line += Array(", \"input_ids\": ".utf8)
                    JSONWriter.appendIntegers(result.inputIDs, to: &line)
                    line += Array(", \"labels\": ".utf8)
                    JSONWriter.appendIntegers(result.labels, to: &line)
                    line += Array("}\n".utf8)
                    try lines.write(line)
                }
                try shard?.append(result, images: record.images, video: record.video)
                written += 1
                tokens += result.inputIDs.count
                supervised += result.supervisedCount
            } catch let error as RecordError {
                failed += 1
                writeError("\(raw.index), \(DataRecord.sampleIDGuess(raw.bytes)), \(error.reason)")
            }
        }
        try lines?.finish()
        try shard?.finish()
        writeError("\(file): \(written) records tokenised (\(tokens) positions, \(supervised) supervised) in \(String(format: "%.1f", pass.seconds)) s; \(failed) skipped")
        if failed > 0 { throw ExitCode(1) }
    }
}

/// The image token and positions per image `--expand` writes, from the model's `config.json`.
struct ImageExpansion {
    let tokenID: Int
    let positions: Int

    /// The model's `config.json`, when it has a readable one.
    static func config(in directory: URL) -> JSONObject? {
        (try? JSONParser.parse(Data(contentsOf: directory.appendingPathComponent("config.json"))))?.objectValue
    }

    /// Positions per image from `config.json`: `(image_size / patch_size)²` of the vision tower.
    static func configuredPositions(in directory: URL) -> Int? { positions(config: config(in: directory)) }

    /// `(image_size / patch_size)²` of a parsed `config.json`'s vision tower.
    static func positions(config: JSONObject?) -> Int? {
        guard let vision = config?["vision_config"]?.objectValue, let size = vision["image_size"]?.intValue,
              let patch = vision["patch_size"]?.intValue, patch > 0 else { return nil }
        return (size / patch) * (size / patch)
    }

    init(directory: URL, tokenizer: Tokenizer, positions override: Int?) throws {
        let configURL = directory.appendingPathComponent("config.json")
        let config = Self.config(in: directory)
        if let id = config?["image_token_index"]?.intValue ?? config?["image_token_id"]?.intValue ?? tokenizer.id(for: "<image>") {
            tokenID = id
        } else {
            throw ValidationError("--expand: neither \(configURL.path) (image_token_index) nor the tokenizer (<image>) names the image token")
        }
        if let positions = override ?? Self.positions(config: config) {
            self.positions = positions
        } else {
            throw ValidationError("--expand: \(configURL.path) has no vision_config image_size / patch_size; give --image-positions N")
        }
    }
}

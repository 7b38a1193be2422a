import ArgumentParser
import Foundation
import LoomData

/// `loom data`: the training data (M4-Instruct and LLaVA-format JSON) checked, counted, converted and tokenised.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Validate, count, convert, tokenise and synthesise LLaVA / M4-Instruct training data.",
        discussion: """
        Files are one JSON array of records (the M4-Instruct layout, read streaming: a 1 GB file never sits in \
        memory) or JSON Lines. Records: {"sample_id", "image": [paths] | "path", "video", "conversations": \
        [{"from": "human"|"gpt", "value": "...<image>..."}], "metadata": {...}}.

        Examples:
          loom data validate m4_instruct_annotations.json --media-root data/ --check-media
          loom data stats m4_instruct_annotations.json --model llava-interleave-qwen-0.5b-hf --by task --plot mix.svg
          loom data convert in.json --format mix:0.5 --seed 7 --out mixed.json
          loom data tokenize in.json --model DIR --preset llava-next --out tokens.jsonl --shard-out tokens.loomtok
          loom data synth --task all --count 100 --seed 0 --out synth
        """,
        subcommands: [DataValidateCommand.self, DataStatsCommand.self, DataConvertCommand.self, DataTokenizeCommand.self,
                      DataSynthCommand.self, DataTrainTokenizerCommand.self])
}

/// Streams the records of `path`, reporting progress under `label`; `body` gets each raw record.
func forEachRecord(in path: String, label: String, _ body: (RawRecord) throws -> Void) throws -> (records: Int, seconds: Double) {
    try forEachRecord(in: RecordStream(path: path), label: label, body)
}

/// Reads the records of an open `stream`, reporting progress under `label`; `body` gets each raw record.
func forEachRecord(in stream: RecordStream, label: String, _ body: (RawRecord) throws -> Void) throws -> (records: Int, seconds: Double) {
    let progress = ProgressLine(label, totalBytes: stream.fileSize)
    var count = 0
    defer { progress.finish() }
    while let raw = try stream.next() {
        try body(raw)
        count += 1
        progress.update(bytes: stream.bytesRead, records: count)
    }
    return (count, progress.finish())
}

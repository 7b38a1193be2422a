import ArgumentParser
import Foundation
import LoomData
import LoomTokenizers

/// `loom data train-tokenizer`: a byte-level BPE tokenizer folder learned from training data.
struct DataTrainTokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-tokenizer",
        abstract: "Train a byte-level BPE tokenizer (Hugging Face tokenizer.json, Qwen2 pipeline) on a corpus.",
        discussion: """
        Corpus files are M4-Instruct / LLaVA record files (JSON array or JSON Lines: every turn's text is a \
        document, <image> markers cut out) or, by the extension .txt, plain text with one document per line. Text \
        is NFC-normalised and split by the Qwen2 pre-tokenizer; training starts from the 256 byte symbols and merges \
        the most frequent adjacent pair until the vocabulary has --vocab-size ids or no pair occurs \
        --min-frequency times (ties: the pair whose symbols come first in byte order). <|endoftext|> (pad), \
        <|im_start|>, <|im_end|> (eos) and <image> follow as special tokens at the next ids.

        The output folder holds tokenizer.json, tokenizer_config.json and the llava-hf chat_template.json: the \
        tokenizer files of a llava-hf checkpoint, loadable by Loom and by Hugging Face tokenizers / transformers. \
        The same corpus and options give byte-identical files.

        Example: loom data train-tokenizer synth/train.json notes.txt --vocab-size 1024 --out tokenizer
        """)

    @Argument(help: "Corpus files: record files (JSON array or JSON Lines) or .txt files (one document per line).")
    var corpus: [String]
    @Option(help: "BPE vocabulary size: the 256 byte symbols plus the merges (special tokens come on top).") var vocabSize = 1024
    @Option(help: "The fewest occurrences a pair needs to be merged.") var minFrequency = 2
    @Option(help: "Output directory.") var out: String

    func validate() throws {
        if vocabSize < 256 { throw ValidationError("--vocab-size must be at least 256 (the byte symbols), got \(vocabSize)") }
        if minFrequency < 1 { throw ValidationError("--min-frequency must be at least 1, got \(minFrequency)") }
    }

    func run() throws {
        var trainer = BPETrainer(vocabSize: vocabSize, minFrequency: minFrequency)
        var documents = 0, unreadable = 0
        for file in corpus {
            let label = "count \((file as NSString).lastPathComponent)"
            if (file as NSString).pathExtension.lowercased() == "txt" {
                documents += try addLines(of: file, label: label, to: &trainer)
                continue
            }
            _ = try forEachRecord(in: file, label: label) { raw in
                guard let record = try? DataRecord(bytes: raw.bytes) else { unreadable += 1; return }
                for turn in record.turns { trainer.add(turn.value) }
                documents += record.turns.count
            }
        }
        let progress = ProgressLine("merge", total: vocabSize - 256, items: "merges")
        let trained = trainer.train { progress.update(done: $0) }
        let seconds = progress.finish()
        try trained.write(to: URL(fileURLWithPath: out))
        if unreadable > 0 { writeError("\(unreadable) records could not be read and were skipped (loom data validate lists them)") }
        let stopped = trained.symbols.count < vocabSize ? " (short of \(vocabSize): no pair left occurs \(minFrequency) times)" : ""
        writeError("\(documents) documents, \(trainer.distinctWordCount) distinct words: \(trained.merges.count) merges in "
                   + "\(String(format: "%.1f", seconds)) s, \(trained.symbols.count) BPE ids\(stopped) + "
                   + "\(trained.specialTokens.count) special = \(trained.vocabularySize) ids; wrote "
                   + "\(TrainedTokenizer.fileNames.joined(separator: ", ")) to \(out)")
    }

    /// Adds each non-empty line of a text file as a document; returns how many.
    private func addLines(of file: String, label: String, to trainer: inout BPETrainer) throws -> Int {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
        } catch {
            throw ValidationError("\(file): \(error.localizedDescription)")
        }
        let progress = ProgressLine(label, totalBytes: data.count)
        defer { progress.finish() }
        var documents = 0, offset = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            offset += line.count + 1
            let text = String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
            guard !text.isEmpty else { continue }
            trainer.add(text)
            documents += 1
            progress.update(bytes: offset, records: documents)
        }
        return documents
    }
}

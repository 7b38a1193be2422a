import Foundation
import LoomTestSupport
import LoomTokenizers
import Testing

/// `BPETrainer`: the merges it learns, the tokenizer folder it writes, and HF `tokenizers` parity on that folder
/// (`Tests/Fixtures/tokenizer/trained/`, written by `tools/reference/make_bpe_fixtures.py`).
@Suite struct BPETrainerTests {
    private static let trainedDirectory = TokenizerFixtures.directory.appendingPathComponent("trained")
    /// The vocabulary size `make_bpe_fixtures.py` trains the fixture with.
    private static let trainedVocabSize = 384

    private func train(_ documents: [String], vocabSize: Int = 300, minFrequency: Int = 2) -> TrainedTokenizer {
        var trainer = BPETrainer(vocabSize: vocabSize, minFrequency: minFrequency)
        for document in documents { trainer.add(document) }
        return trainer.train()
    }

    /// Each merge as "left+right" (the symbols' bytes as text).
    private func mergeStrings(_ trained: TrainedTokenizer) -> [String] {
        let text = { (id: Int) in String(decoding: trained.symbols[id], as: UTF8.self) }
        return trained.merges.map { text($0.left) + "+" + text($0.right) }
    }

    private func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("loom-bpe-\(UUID().uuidString)")
    }

    /// Words "hug" 1, " hug" 2, "pug" 1, " pug" 1, "hugs" 1: u+g (6), then h+ug (4), then " "+hug and p+ug tie at 2
    /// and the pair whose left symbol comes first in byte order (" " < "p") wins; every other pair occurs once.
    @Test func firstMergesByHand() {
        let trained = train(["hug hug hug", "pug pug", "hugs"])
        #expect(mergeStrings(trained) == ["u+g", "h+ug", " +hug", "p+ug"])
        #expect(trained.symbols.count == 260)
        #expect(trained.vocabularySize == 264)
        #expect(mergeStrings(train(["hug hug hug", "pug pug", "hugs"], vocabSize: 258)) == ["u+g", "h+ug"])
        #expect(mergeStrings(train(["hug hug hug", "pug pug", "hugs"], minFrequency: 1)).suffix(2) == [" +pug", "hug+s"])
    }

    /// The byte symbols take GPT-2's ids (" " 220, "\n" 198), and the special tokens follow the merges.
    @Test func idsOfBytesAndSpecialTokens() throws {
        let corpus = ["What color is the circle?", "Red.", "<image>\nWhich digit is shown?", "7."]
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trained = train(corpus)
        try trained.write(to: directory)
        let tokenizer = try Tokenizer(directory: directory)
        #expect(tokenizer.encode(" ") == [220])
        #expect(tokenizer.encode("\n") == [198])
        #expect(tokenizer.encode("!") == [0])
        for (offset, token) in BPETrainer.specialTokens.enumerated() {
            #expect(tokenizer.encode(token) == [trained.symbols.count + offset])
        }
        #expect(tokenizer.vocabularySize == trained.vocabularySize)
        #expect(tokenizer.eosTokenID == tokenizer.id(for: "<|im_end|>"))
        #expect(tokenizer.padTokenID == tokenizer.id(for: "<|endoftext|>"))
        #expect(tokenizer.bosTokenID == nil)
        #expect(tokenizer.specialTokenIDs.count == 4)
        for text in corpus { #expect(tokenizer.decode(tokenizer.encode(text)) == text) }
    }

    /// Special tokens in the corpus are cut out, never learned: "<image>" leaves no "<im" merge behind.
    @Test func specialTokensAreNotLearned() {
        let merges = mergeStrings(train(Array(repeating: "<image><|im_start|><|im_end|>", count: 10)))
        #expect(merges.isEmpty)
    }

    @Test func sameCorpusSameBytesInAnyOrder() throws {
        let corpus = try Self.fixtureCorpus()
        let first = train(corpus, vocabSize: 400), second = train(corpus.reversed(), vocabSize: 400)
        #expect(first.tokenizerJSON() == second.tokenizerJSON())
        #expect(first.tokenizerConfigJSON() == second.tokenizerConfigJSON())
    }

    /// Training the fixture corpus again gives the committed files byte for byte; the chat template is llava-hf's.
    @Test func fixtureFolderIsReproduced() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try train(try Self.fixtureCorpus(), vocabSize: Self.trainedVocabSize).write(to: directory)
        for name in TrainedTokenizer.fileNames {
            let written = try Data(contentsOf: directory.appendingPathComponent(name))
            #expect(written == (try Data(contentsOf: Self.trainedDirectory.appendingPathComponent(name))), "\(name)")
        }
        let llavaTemplate = try Data(contentsOf: Fixtures.url("llava/tiny-84/chat_template.json"))
        #expect(Data(TrainedTokenizer.chatTemplateJSON()) == llavaTemplate)
    }

    /// Loom's ids for the Loom-trained `tokenizer.json` equal HF `tokenizers`' on corpus and unseen strings, and
    /// decoding gives the text back (each run between special tokens in NFC).
    @Test func fixtureIdsMatchHF() throws {
        let tokenizer = try Tokenizer(directory: Self.trainedDirectory)
        let lines = try TokenizerFixtures.encodedLines("trained/encodings.jsonl")
        #expect(lines.count >= 200)
        let mismatches = lines.compactMap { line in
            let ids = tokenizer.encode(line.text)
            return ids == line.ids ? nil : (line, ids)
        }
        #expect(mismatches.count == 0, Comment(rawValue: TokenizerFixtures.report(mismatches, of: lines.count)))
        let undecoded = lines.filter { !TokenizerFixtures.identical(tokenizer.decode($0.ids), $0.decodedText) }
        #expect(undecoded.isEmpty, Comment(rawValue: undecoded.prefix(5).map(\.text.debugDescription).joined(separator: "\n")))
    }

    private static func fixtureCorpus() throws -> [String] {
        let text = try String(contentsOf: trainedDirectory.appendingPathComponent("corpus.txt"), encoding: .utf8)
        return text.split(separator: "\n").map(String.init)
    }
}

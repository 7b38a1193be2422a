import Foundation
import LoomTokenizers
import Testing

/// Id-for-id parity with HF `tokenizers` on the fixture corpora.
@Suite struct CorpusParityTests {
    @Test func fullVocabularyCorpusMatchesHF() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let lines = try TokenizerFixtures.encodedLines("corpus.jsonl")
        #expect(lines.count >= 10_000)
        var mismatches: [(TokenizerFixtures.EncodedLine, [Int])] = []
        for line in lines {
            let ids = tokenizer.encode(line.text)
            if ids != line.ids { mismatches.append((line, ids)) }
        }
        #expect(mismatches.count == 0, Comment(rawValue: TokenizerFixtures.report(mismatches, of: lines.count)))
    }

    /// decode(encode(x)) is x with each run between added tokens NFC-normalized (added tokens come back verbatim;
    /// they are matched before normalization, so "<image>" + U+0338 does not become "<image≯"). The fixture holds
    /// that text as HF decodes it.
    @Test func decodeOfEncodeIsNormalizedText() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let lines = try TokenizerFixtures.encodedLines("corpus.jsonl")
        #expect(lines.filter { !TokenizerFixtures.identical($0.decodedText, $0.text) }.count > 500)
        let failures = lines.filter { !TokenizerFixtures.identical(tokenizer.decode(tokenizer.encode($0.text)), $0.decodedText) }
        let shown = failures.prefix(5).map { "line \($0.number): \($0.text.debugDescription)" }
        #expect(failures.count == 0, Comment(rawValue: shown.joined(separator: "\n")))
    }

    @Test func tinyVocabularyCorpusMatchesHF() throws {
        let tokenizer = try TokenizerFixtures.tiny()
        let lines = try TokenizerFixtures.encodedLines("tiny/corpus.jsonl")
        #expect(lines.count >= 300)
        let mismatches = lines.compactMap { line in
            let ids = tokenizer.encode(line.text)
            return ids == line.ids ? nil : (line, ids)
        }
        #expect(mismatches.count == 0, Comment(rawValue: TokenizerFixtures.report(mismatches, of: lines.count)))
    }

    /// HF with `encode_special_tokens = True` (transformers' `split_special_tokens=True`).
    @Test func specialTokensAsTextMatchHF() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let lines = try TokenizerFixtures.encodedLines("special_as_text.jsonl")
        #expect(lines.count == 200)
        let mismatches = lines.compactMap { line in
            let ids = tokenizer.encode(line.text, parseSpecialTokens: false)
            return ids == line.ids ? nil : (line, ids)
        }
        #expect(mismatches.count == 0, Comment(rawValue: TokenizerFixtures.report(mismatches, of: lines.count)))
        #expect(lines.allSatisfy { TokenizerFixtures.identical(tokenizer.decode($0.ids), $0.decodedText) })
    }
}

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

    /// decode(encode(x)) is x with each run between added tokens in NFC (added tokens come back verbatim).
    @Test func decodeOfEncodeIsNormalizedText() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let lines = try TokenizerFixtures.encodedLines("corpus.jsonl")
        let added = Array(TokenizerFixtures.specialTokens.keys)
        var failures: [String] = []
        for line in lines {
            let expected = TokenizerFixtures.normalizedRoundTrip(line.text, addedTokens: added)
            let decoded = tokenizer.decode(tokenizer.encode(line.text))
            if !TokenizerFixtures.identical(decoded, expected) {
                failures.append("line \(line.number): \(line.text.debugDescription) → \(decoded.debugDescription)")
            }
        }
        #expect(failures.count == 0, Comment(rawValue: "\(failures.count) lines: " + failures.prefix(5).joined(separator: "\n")))
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
    }
}

import Foundation
import LoomTokenizers
import Testing

/// Decoding, whole and streamed, against HF's lossy UTF-8 decode.
@Suite struct DecodingTests {
    @Test func decodeMatchesHFIncludingInvalidUTF8() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let cases = try TokenizerFixtures.decodeCases()
        #expect(cases.count == 400)
        let failures = cases.filter {
            !TokenizerFixtures.identical(tokenizer.decode($0.ids, skipSpecialTokens: $0.skipSpecialTokens), $0.text)
        }
        #expect(failures.count == 0, Comment(rawValue: failures.prefix(5).map { "line \($0.number): \($0.ids)" }.joined(separator: "\n")))
    }

    @Test func streamedDecodeOfRandomIdsEqualsWholeDecode() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        for decodeCase in try TokenizerFixtures.decodeCases() {
            var decoder = tokenizer.makeStreamingDecoder(skipSpecialTokens: decodeCase.skipSpecialTokens)
            let streamed = decodeCase.ids.map { decoder.push($0) }.joined() + decoder.finish()
            #expect(TokenizerFixtures.identical(streamed, decodeCase.text), "decode.jsonl line \(decodeCase.number)")
        }
    }

    /// On valid text split into tokens mid-character, no chunk ever holds a partial character (U+FFFD).
    @Test func streamingNeverEmitsPartialCharacters() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let lines = try TokenizerFixtures.encodedLines("corpus.jsonl").filter { line in
            !line.text.unicodeScalars.contains("\u{FFFD}") && line.text.utf8.count > line.text.unicodeScalars.count
        }
        #expect(lines.count > 3000)
        var splitCharacters = 0
        for line in lines {
            var decoder = tokenizer.makeStreamingDecoder()
            var chunks: [String] = []
            for id in line.ids {
                let chunk = decoder.push(id)
                if chunk.isEmpty { splitCharacters += 1 }
                chunks.append(chunk)
            }
            chunks.append(decoder.finish())
            #expect(!chunks.contains { $0.unicodeScalars.contains("\u{FFFD}") }, "line \(line.number)")
            #expect(TokenizerFixtures.identical(chunks.joined(), tokenizer.decode(line.ids)), "line \(line.number)")
        }
        #expect(splitCharacters > 1000, "the corpus should split many characters across tokens")
    }

    @Test func emojiSplitAcrossByteTokensComesOutWhole() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let bytes = Array("😀".utf8)
        let ids = try bytes.map { byte in try #require(tokenizer.id(for: String(byteLevelCharacter(byte)))) }
        var decoder = tokenizer.makeStreamingDecoder()
        #expect(ids.dropLast().map { decoder.push($0) } == ["", "", ""])
        #expect(decoder.push(ids.last!) == "😀")
        #expect(decoder.finish() == "")
    }

    @Test func incompleteCharacterAtTheEndBecomesReplacementCharacter() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let firstTwoBytes = try Array("中".utf8).prefix(2).map { try #require(tokenizer.id(for: String(byteLevelCharacter($0)))) }
        var decoder = tokenizer.makeStreamingDecoder()
        #expect(firstTwoBytes.map { decoder.push($0) }.joined() == "")
        #expect(decoder.finish() == "\u{FFFD}")
        #expect(tokenizer.decode(firstTwoBytes) == "\u{FFFD}")
    }

    @Test func skippingSpecialTokens() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let ids = tokenizer.encode("<|im_start|>assistant\nHi<|im_end|>")
        #expect(tokenizer.decode(ids) == "<|im_start|>assistant\nHi<|im_end|>")
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "assistant\nHi")
        var decoder = tokenizer.makeStreamingDecoder(skipSpecialTokens: true)
        #expect(ids.map { decoder.push($0) }.joined() + decoder.finish() == "assistant\nHi")
    }

    @Test func unknownIdsAreSkipped() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        #expect(tokenizer.decode([40, 1_000_000, -1, 40]) == "II")
        #expect(tokenizer.token(for: 1_000_000) == nil)
    }

    /// GPT-2's byte-level spelling of `byte` (bytes outside the printable ranges map to U+0100 and up).
    private func byteLevelCharacter(_ byte: UInt8) -> Character {
        let printable = (33...126).contains(byte) || (161...172).contains(byte) || byte >= 174
        if printable { return Character(Unicode.Scalar(byte)) }
        let shifted = (0..<Int(byte)).filter { !((33...126).contains($0) || (161...172).contains($0) || $0 >= 174) }.count
        return Character(Unicode.Scalar(UInt32(256 + shifted))!)
    }
}

import Foundation
import LoomTokenizers
import Testing

/// Hand-picked cases with their HF ids (from `tools/reference/qwen_vocab.py`), one regex corner each.
@Suite struct EncodingTests {
    @Test(arguments: [
        ("You are a helpful assistant.", [2610, 525, 264, 10950, 17847, 13]),
        ("\n", [198]),
        ("system", [8948]),
        ("user", [872]),
        ("assistant", [77091]),
        // `\s+(?!\S)` leaves the last space for " x"; at the end of the text it takes the whole run.
        ("   x", [256, 856]),
        ("x   ", [87, 262]),
        // `\s*[\r\n]+` ends after the run's last line break.
        ("a  \n  b", [64, 2303, 220, 293]),
        ("\r\n\r\n  x", [871, 220, 856]),
        ("hello\r\rworld", [14990, 201, 201, 14615]),
        // A non-letter, non-digit prefix (NBSP) joins the following letters; a lone one stays alone.
        (" \u{A0}word", [220, 4102, 1158]),
        ("\u{A0}\u{A0}\u{A0}x", [9238, 4102, 87]),
        // Digits one at a time.
        ("12345", [16, 17, 18, 19, 20]),
        // NFC: a decomposed é encodes like the precomposed one.
        ("Café", [34, 2577, 963]),
        ("Cafe\u{301}", [34, 2577, 963]),
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*` takes trailing line breaks.
        (" !!!\n\nx", [11015, 2219, 87]),
        // Contractions are case-insensitive and U+017F LONG S folds to "s"; " '" goes with punctuation first.
        ("x'\u{17F}am it'S THEY'LL '\u{17F}", [87, 6, 144815, 309, 432, 13272, 62493, 6, 4086, 364, 144815]),
        // Combining vowel signs are not letters: they prefix the next letter or stand alone.
        ("हिन्दी", [93948, 42311, 101, 30484, 99, 43647]),
    ] as [(String, [Int])])
    func encodesLikeHF(text: String, ids: [Int]) throws {
        #expect(try TokenizerFixtures.qwen().encode(text) == ids)
    }

    @Test func emptyTextHasNoTokens() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        #expect(tokenizer.encode("").isEmpty)
        #expect(tokenizer.decode([]) == "")
    }

    @Test func vocabularyLookups() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        #expect(tokenizer.vocabularySize == 151_647)
        #expect(tokenizer.token(for: 220) == "Ġ")
        #expect(tokenizer.token(for: 198) == "Ċ")
        #expect(tokenizer.id(for: "Ġare") == 525)
        // Byte-exact: "Ã" decomposed (A + U+0303) is canonically equivalent but not the same token.
        #expect(tokenizer.id(for: "Ã©") == 963)
        #expect(tokenizer.id(for: "A\u{303}©") == nil)
        #expect(tokenizer.id(for: "no such token here") == nil)
        #expect(tokenizer.token(for: -1) == nil)
    }

    @Test func concurrentEncodingAgrees() async throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let lines = try TokenizerFixtures.encodedLines("corpus.jsonl").prefix(400)
        let allMatch = await withTaskGroup(of: Bool.self) { group in
            for shard in 0..<4 {
                group.addTask {
                    lines.enumerated().filter { $0.offset % 4 == shard }.allSatisfy { tokenizer.encode($0.element.text) == $0.element.ids }
                }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(allMatch)
    }
}

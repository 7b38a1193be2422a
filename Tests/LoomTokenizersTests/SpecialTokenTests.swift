import Foundation
import LoomTokenizers
import Testing

/// The llava-interleave added tokens and the names `tokenizer_config.json` gives them.
@Suite struct SpecialTokenTests {
    @Test func idsOfTheAddedTokens() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        for (content, id) in TokenizerFixtures.specialTokens {
            #expect(tokenizer.id(for: content) == id)
            #expect(tokenizer.token(for: id) == content)
            #expect(tokenizer.encode(content) == [id])
        }
        #expect(tokenizer.specialTokenIDs == [151643, 151644, 151645, 151646])
    }

    @Test func configurationNamesEosAndPad() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        #expect(tokenizer.eosTokenID == 151645)
        #expect(tokenizer.padTokenID == 151643)
        #expect(tokenizer.bosTokenID == nil)
        #expect(tokenizer.chatTemplate?.hasPrefix("{% for message in messages %}") == true)
    }

    @Test func imageTokenInsideAWord() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        #expect(tokenizer.encode("foo<image>bar") == [7975, 151646, 2257])
        #expect(tokenizer.encode("<image><image>") == [151646, 151646])
    }

    @Test func chatPrompt() throws {
        let prompt = "<|im_start|>user\n<image>\nWhat are these?<|im_end|>\n<|im_start|>assistant\n"
        #expect(try TokenizerFixtures.qwen().encode(prompt)
            == [151644, 872, 198, 151646, 198, 3838, 525, 1493, 30, 151645, 198, 151644, 77091, 198])
    }

    /// Added tokens are matched before NFC, so a combining mark after `<image>` does not make "≯".
    @Test func addedTokenMatchedBeforeNormalization() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        #expect(tokenizer.encode("<image>\u{338}") == [151646, 136, 116])
    }

    @Test func specialTokensAsText() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        #expect(tokenizer.encode("foo<image>bar", parseSpecialTokens: false) == [7975, 27, 1805, 29, 2257])
        let asText = tokenizer.encode("<|im_end|>", parseSpecialTokens: false)
        #expect(!asText.contains(151645))
        #expect(tokenizer.decode(asText) == "<|im_end|>")
    }

    @Test func tinyVocabularyPutsSpecialsAfterTheRanks() throws {
        let tokenizer = try TokenizerFixtures.tiny()
        #expect(tokenizer.vocabularySize == 516)
        #expect(tokenizer.id(for: "<|endoftext|>") == 512)
        #expect(tokenizer.id(for: "<image>") == 515)
        #expect(tokenizer.eosTokenID == 514)
        #expect(tokenizer.encode("Hello world <image> x") == [39, 301, 385, 289, 269, 507, 220, 515, 220, 87])
    }
}

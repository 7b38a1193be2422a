import Foundation
import LoomTokenizers
import Testing

/// Malformed or missing files fail with a `TokenizerError` naming the file and the field.
@Suite struct TokenizerErrorTests {
    private func tinyTokenizerJSON() throws -> [String: Any] {
        let data = try Data(contentsOf: TokenizerFixtures.tinyDirectory.appendingPathComponent("tokenizer.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func load(_ tokenizer: [String: Any], config: Data? = nil) throws {
        _ = try Tokenizer(tokenizerJSON: JSONSerialization.data(withJSONObject: tokenizer), configJSON: config)
    }

    private func loadError(_ body: () throws -> Void) -> TokenizerError? {
        do {
            try body()
            return nil
        } catch {
            return error as? TokenizerError
        }
    }

    @Test func missingDirectoryNamesTheFile() {
        let directory = URL(fileURLWithPath: "/nonexistent/loom-tokenizer")
        let error = loadError { _ = try Tokenizer(directory: directory) }
        #expect(error == .unreadableFile(file: "/nonexistent/loom-tokenizer/tokenizer.json", reason: "no such file"))
        #expect(error?.description == "/nonexistent/loom-tokenizer/tokenizer.json: cannot read the file (no such file)")
    }

    @Test func errorsFromADirectoryNameTheFullPath() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenizerPath = directory.appendingPathComponent("tokenizer.json").path
        try Data(#"{"model": []}"#.utf8).write(to: URL(fileURLWithPath: tokenizerPath))
        let error = loadError { _ = try Tokenizer(directory: directory) }
        #expect(error == .missingField(file: tokenizerPath, field: "pre_tokenizer"))
        #expect(error?.description == "\(tokenizerPath): missing field `pre_tokenizer`")

        try JSONSerialization.data(withJSONObject: try tinyTokenizerJSON()).write(to: URL(fileURLWithPath: tokenizerPath))
        let configPath = directory.appendingPathComponent("tokenizer_config.json").path
        try Data(#"{"pad_token": 7}"#.utf8).write(to: URL(fileURLWithPath: configPath))
        #expect(loadError { _ = try Tokenizer(directory: directory) }
            == .invalidField(file: configPath, field: "pad_token", reason: #"is a number, expected a string or {"content": …}"#))
    }

    @Test func truncatedJSON() {
        let error = loadError { _ = try Tokenizer(tokenizerJSON: Data(#"{"model": {"vocab": {"a": 1"#.utf8), configJSON: nil) }
        #expect(error == .invalidJSON(file: "tokenizer.json", offset: 27, reason: "unterminated object"))
    }

    @Test func missingVocabulary() throws {
        var json = try tinyTokenizerJSON()
        var model = try #require(json["model"] as? [String: Any])
        model["vocab"] = nil
        json["model"] = model
        #expect(loadError { try load(json) } == .missingField(file: "tokenizer.json", field: "model.vocab"))
    }

    @Test func mergeOfUnknownToken() throws {
        var json = try tinyTokenizerJSON()
        var model = try #require(json["model"] as? [String: Any])
        model["merges"] = [["Ġ", "Ġ"], ["Ġ", "nosuchtoken"]]
        json["model"] = model
        #expect(loadError { try load(json) }
            == .invalidField(file: "tokenizer.json", field: "model.merges[1]", reason: "names a token missing from model.vocab"))
    }

    @Test func otherPreTokenizerIsUnsupported() throws {
        var json = try tinyTokenizerJSON()
        var preTokenizer = try #require(json["pre_tokenizer"] as? [String: Any])
        var steps = try #require(preTokenizer["pretokenizers"] as? [[String: Any]])
        steps[0]["pattern"] = ["Regex": #"\s+"#]
        preTokenizer["pretokenizers"] = steps
        json["pre_tokenizer"] = preTokenizer
        let error = loadError { try load(json) }
        #expect(error == .unsupported(file: "tokenizer.json", field: "pre_tokenizer.pretokenizers[0].pattern",
                                      value: #"only the Qwen2 regex is implemented, found "\s+""#))
    }

    @Test func otherModelTypeIsUnsupported() throws {
        var json = try tinyTokenizerJSON()
        var model = try #require(json["model"] as? [String: Any])
        model["type"] = "WordPiece"
        json["model"] = model
        #expect(loadError { try load(json) } == .unsupported(file: "tokenizer.json", field: "model.type", value: "WordPiece"))
    }

    @Test func eosTokenMissingFromVocabulary() throws {
        let config = Data(#"{"eos_token": "<|eot|>"}"#.utf8)
        #expect(loadError { try load(try tinyTokenizerJSON(), config: config) }
            == .invalidField(file: "tokenizer_config.json", field: "eos_token", reason: #"names "<|eot|>", which is not in tokenizer.json"#))
    }

    @Test func malformedConfiguration() throws {
        let error = loadError { try load(try tinyTokenizerJSON(), config: Data("{eos_token: 1}".utf8)) }
        #expect(error == .invalidJSON(file: "tokenizer_config.json", offset: 1, reason: "expected a member name"))
    }

    @Test func configurationDisagreeingWithAddedTokens() throws {
        let config = Data(#"{"added_tokens_decoder": {"515": {"content": "<video>"}}}"#.utf8)
        #expect(loadError { try load(try tinyTokenizerJSON(), config: config) }
            == .invalidField(file: "tokenizer_config.json", field: "added_tokens_decoder[515]",
                             reason: #"is "<video>" but tokenizer.json has "<image>" at that id"#))
    }

    @Test func loadsWithoutConfiguration() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: JSONSerialization.data(withJSONObject: try tinyTokenizerJSON()), configJSON: nil)
        #expect(tokenizer.eosTokenID == nil)
        #expect(tokenizer.chatTemplate == nil)
        #expect(tokenizer.specialTokenIDs == [512, 513, 514, 515])
    }
}

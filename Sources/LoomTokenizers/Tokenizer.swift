import Foundation

/// A byte-level BPE tokenizer loaded from a Hugging Face `tokenizer.json` (the Qwen2 pipeline used by
/// LLaVA-NeXT-Interleave), producing the same ids as HF `tokenizers`.
///
/// Encoding: added tokens are cut out of the raw text (leftmost, longest first); the text between them is
/// NFC-normalized, split by the Qwen2 pre-tokenizer, mapped to bytes and merged by BPE. Decoding maps ids back to
/// bytes and decodes UTF-8, replacing invalid sequences with U+FFFD. Safe to use from several threads.
public final class Tokenizer: @unchecked Sendable {
    private let model: BPEModel
    private let normalizesNFC: Bool
    private let matcher: AddedTokenMatcher
    private let addedTokenContents: [Int: String]
    private let addedTokenIDs: [ExactString: Int]

    /// The largest id plus one (BPE vocabulary and added tokens).
    public let vocabularySize: Int
    /// Ids of the added tokens marked special (skipped by `decode(_:skipSpecialTokens:)`).
    public let specialTokenIDs: Set<Int>
    /// The id of `tokenizer_config.json`'s `eos_token`, if it names one.
    public let eosTokenID: Int?
    /// The id of `tokenizer_config.json`'s `pad_token`, if it names one.
    public let padTokenID: Int?
    /// The id of `tokenizer_config.json`'s `bos_token`, if it names one (Qwen has none).
    public let bosTokenID: Int?
    /// `tokenizer_config.json`'s `chat_template` (informational; Loom does not render Jinja).
    public let chatTemplate: String?

    /// Loads `tokenizer.json` and, if present, `tokenizer_config.json` from `directory`; errors name the full paths.
    public convenience init(directory: URL) throws {
        let tokenizerURL = directory.appendingPathComponent(TokenizerDefinition.fileName)
        let configURL = directory.appendingPathComponent(TokenizerConfiguration.fileName)
        let tokenizerJSON = try Self.read(tokenizerURL)
        let configJSON = FileManager.default.fileExists(atPath: configURL.path) ? try Self.read(configURL) : nil
        try self.init(tokenizerJSON: tokenizerJSON, configJSON: configJSON,
                      tokenizerFile: tokenizerURL.path, configFile: configURL.path)
    }

    /// Builds a tokenizer from the contents of `tokenizer.json` and, optionally, `tokenizer_config.json`.
    public convenience init(tokenizerJSON: Data, configJSON: Data?) throws {
        try self.init(tokenizerJSON: tokenizerJSON, configJSON: configJSON,
                      tokenizerFile: TokenizerDefinition.fileName, configFile: TokenizerConfiguration.fileName)
    }

    private init(tokenizerJSON: Data, configJSON: Data?, tokenizerFile: String, configFile: String) throws {
        let definition = try TokenizerDefinition(json: tokenizerJSON, file: tokenizerFile)
        let configuration = try configJSON.map { try TokenizerConfiguration(json: $0, file: configFile) } ?? TokenizerConfiguration()
        let added = definition.addedTokens
        model = definition.model
        normalizesNFC = definition.normalizesNFC
        matcher = AddedTokenMatcher(tokens: added)
        addedTokenContents = Dictionary(added.map { ($0.id, $0.content) }, uniquingKeysWith: { _, last in last })
        addedTokenIDs = Dictionary(added.map { (ExactString($0.content), $0.id) }, uniquingKeysWith: { _, last in last })
        vocabularySize = max(model.tokens.count, (added.map(\.id).max() ?? -1) + 1)
        specialTokenIDs = Set(added.filter(\.isSpecial).map(\.id))
        chatTemplate = configuration.chatTemplate
        let named = try Self.namedTokenIDs(configuration, model: model, addedTokenIDs: addedTokenIDs)
        (bosTokenID, eosTokenID, padTokenID) = (named.bos, named.eos, named.pad)
        try checkConfiguredAddedTokens(configuration)
    }

    private static func read(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? error.localizedDescription : "no such file"
            throw TokenizerError.unreadableFile(file: url.path, reason: reason)
        }
    }

    /// The ids of the configuration's bos/eos/pad tokens; a name missing from the vocabulary is an error.
    private static func namedTokenIDs(_ configuration: TokenizerConfiguration, model: BPEModel,
                                      addedTokenIDs: [ExactString: Int]) throws -> (bos: Int?, eos: Int?, pad: Int?) {
        func resolve(_ token: String?, _ field: String) throws -> Int? {
            guard let token else { return nil }
            guard let id = addedTokenIDs[ExactString(token)] ?? model.vocabulary[ExactString(token)] else {
                throw TokenizerError.invalidField(file: configuration.file, field: field,
                                                  reason: "names \"\(token)\", which is not in tokenizer.json")
            }
            return id
        }
        return (try resolve(configuration.bosToken, "bos_token"), try resolve(configuration.eosToken, "eos_token"),
                try resolve(configuration.padToken, "pad_token"))
    }

    /// `added_tokens_decoder` of the configuration must agree with `tokenizer.json`.
    private func checkConfiguredAddedTokens(_ configuration: TokenizerConfiguration) throws {
        for (id, content) in configuration.addedTokens.sorted(by: { $0.key < $1.key }) where token(for: id) != content {
            let found = token(for: id).map { "\"\($0)\"" } ?? "nothing"
            throw TokenizerError.invalidField(file: configuration.file, field: "added_tokens_decoder[\(id)]",
                                              reason: "is \"\(content)\" but tokenizer.json has \(found) at that id")
        }
    }

    // MARK: Encoding

    /// The ids of `text`. With `parseSpecialTokens` false, special tokens written in the text are encoded as
    /// ordinary text (HF's `split_special_tokens=True`).
    public func encode(_ text: String, parseSpecialTokens: Bool = true) -> [Int] {
        let utf8 = Array(text.utf8)
        var ids: [Int] = []
        ids.reserveCapacity(utf8.count / 3 + 1)
        for segment in matcher.segments(of: utf8, matchSpecial: parseSpecialTokens) {
            switch segment {
            case let .addedToken(id): ids.append(id)
            case let .text(range): appendTextTokens(utf8[range], to: &ids)
            }
        }
        return ids
    }

    /// The length in bytes of `text` as the tokens of `encode(text)` spell it: each run between added tokens after the
    /// tokenizer's normalizer, the added tokens as written. Summing token bytes then gives offsets into this length.
    public func normalizedUTF8Count(_ text: String) -> Int {
        let utf8 = Array(text.utf8)
        var count = 0
        for segment in matcher.segments(of: utf8, matchSpecial: true) {
            switch segment {
            case let .addedToken(id): count += bytes(of: id).count
            case let .text(range): count += normalizesNFC ? NFC.normalize(utf8[range]).count : range.count
            }
        }
        return count
    }

    /// Normalizes, pre-tokenizes and BPE-merges one run of text between added tokens.
    private func appendTextTokens(_ raw: ArraySlice<UInt8>, to ids: inout [Int]) {
        let utf8 = normalizesNFC ? NFC.normalize(raw) : Array(raw)
        Qwen2PreTokenizer.forEachPiece(of: utf8) { model.appendTokens(forWord: $0, to: &ids) }
    }

    // MARK: Decoding

    /// The text of `ids`: their bytes joined and decoded as UTF-8 (invalid sequences become U+FFFD). Unknown ids
    /// are skipped, as are special tokens when `skipSpecialTokens` is true.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids { appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A decoder that turns ids into text one at a time, never splitting a character.
    public func makeStreamingDecoder(skipSpecialTokens: Bool = false) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
    }

    /// The raw bytes token `id` stands for (an added token's UTF-8); empty for an unknown id.
    public func bytes(of id: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        appendBytes(of: id, skipSpecialTokens: false, to: &bytes)
        return bytes
    }

    func appendBytes(of id: Int, skipSpecialTokens: Bool, to bytes: inout [UInt8]) {
        if skipSpecialTokens && specialTokenIDs.contains(id) { return }
        guard let token = token(for: id) else { return }
        ByteLevel.appendBytes(of: token, to: &bytes)
    }

    // MARK: Vocabulary

    /// The vocabulary string of `id` (byte-level spelling, e.g. "Ġhello"), or an added token's content.
    public func token(for id: Int) -> String? {
        if let content = addedTokenContents[id] { return content }
        guard id >= 0, id < model.tokens.count else { return nil }
        return model.tokens[id]
    }

    /// The id of a vocabulary string or added token (compared byte for byte, not by canonical equivalence).
    public func id(for token: String) -> Int? {
        let key = ExactString(token)
        return addedTokenIDs[key] ?? model.vocabulary[key]
    }
}

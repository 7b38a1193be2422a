import Foundation
import LoomJSON

/// What Loom uses from `tokenizer_config.json`: the named special tokens and the chat template.
struct TokenizerConfiguration {
    static let fileName = "tokenizer_config.json"

    /// The file name used in errors.
    var file = fileName
    var bosToken: String?
    var eosToken: String?
    var padToken: String?
    var chatTemplate: String?
    /// `added_tokens_decoder`: id → content, checked against `tokenizer.json`.
    var addedTokens: [Int: String] = [:]

    init() {}

    /// Parses the contents of `tokenizer_config.json`; `file` names it in errors.
    init(json data: Data, file: String = fileName) throws {
        self.file = file
        let root = try parseJSON(data, file: file)
        guard let object = root.objectValue else {
            throw TokenizerError.invalidField(file: file, field: "(root)", reason: "is \(root.typeName), expected an object")
        }
        bosToken = try Self.tokenContent(object, "bos_token", file: file)
        eosToken = try Self.tokenContent(object, "eos_token", file: file)
        padToken = try Self.tokenContent(object, "pad_token", file: file)
        chatTemplate = try Self.chatTemplate(object, file: file)
        if let decoder = object["added_tokens_decoder"] {
            guard let entries = decoder.objectValue else {
                throw TokenizerError.invalidField(file: file, field: "added_tokens_decoder", reason: "is \(decoder.typeName), expected an object")
            }
            for (key, value) in zip(entries.keys, entries.values) {
                guard let id = Int(key), let content = value.objectValue?["content"]?.stringValue else {
                    throw TokenizerError.invalidField(file: file, field: "added_tokens_decoder[\(key)]",
                                                      reason: "is not an integer id with an object holding `content`")
                }
                addedTokens[id] = content
            }
        }
    }

    /// A special-token field: a string, an AddedToken object with `content`, or null.
    private static func tokenContent(_ object: JSONObject, _ field: String, file: String) throws -> String? {
        guard let value = object[field], !value.isNull else { return nil }
        if let content = value.stringValue ?? value.objectValue?["content"]?.stringValue { return content }
        throw TokenizerError.invalidField(file: file, field: field, reason: "is \(value.typeName), expected a string or {\"content\": …}")
    }

    /// `chat_template`: a string, or a list of `{"name", "template"}` (the one named "default", else the first).
    private static func chatTemplate(_ object: JSONObject, file: String) throws -> String? {
        guard let value = object["chat_template"], !value.isNull else { return nil }
        if let template = value.stringValue { return template }
        if let templates = value.arrayValue?.compactMap(\.objectValue), !templates.isEmpty {
            let chosen = templates.first { $0["name"]?.stringValue == "default" } ?? templates[0]
            if let template = chosen["template"]?.stringValue { return template }
        }
        throw TokenizerError.invalidField(file: file, field: "chat_template", reason: "is \(value.typeName), expected a string or a list of named templates")
    }
}

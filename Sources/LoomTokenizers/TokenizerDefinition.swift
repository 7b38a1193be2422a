import Foundation
import LoomJSON

/// The pipeline described by `tokenizer.json`, checked to be the one Loom implements: optional NFC normalizer,
/// the Qwen2 split + ByteLevel(use_regex: false) pre-tokenizer, a byte-level BPE model, ByteLevel decoder,
/// optional ByteLevel post-processor, and non-normalized added tokens.
struct TokenizerDefinition {
    static let fileName = "tokenizer.json"

    let model: BPEModel
    let addedTokens: [AddedToken]
    let normalizesNFC: Bool

    /// Parses the contents of `tokenizer.json`; `file` names it in errors.
    init(json data: Data, file: String = fileName) throws {
        let root = try parseJSON(data, file: file)
        guard let object = root.objectValue else {
            throw TokenizerError.invalidField(file: file, field: "(root)", reason: "is \(root.typeName), expected an object")
        }
        normalizesNFC = try Self.readNormalizer(object["normalizer"], file: file)
        try Self.checkPreTokenizer(object["pre_tokenizer"], file: file)
        try Self.checkType(of: object["decoder"], field: "decoder", allowed: ["ByteLevel"], nullable: false, file: file)
        try Self.checkType(of: object["post_processor"], field: "post_processor", allowed: ["ByteLevel"], nullable: true,
                           file: file)
        if let truncation = object["truncation"], !truncation.isNull {
            throw TokenizerError.unsupported(file: file, field: "truncation", value: "truncation at encode time")
        }
        guard let modelValue = object["model"] else { throw TokenizerError.missingField(file: file, field: "model") }
        guard let modelObject = modelValue.objectValue else {
            throw TokenizerError.invalidField(file: file, field: "model", reason: "is \(modelValue.typeName), expected an object")
        }
        model = try BPEModel(json: modelObject, file: file)
        addedTokens = try Self.readAddedTokens(object["added_tokens"], file: file)
    }

    /// `true` for `{"type": "NFC"}`, `false` for null or absent.
    private static func readNormalizer(_ value: JSONValue?, file: String) throws -> Bool {
        guard let value, !value.isNull else { return false }
        try checkType(of: value, field: "normalizer", allowed: ["NFC"], nullable: false, file: file)
        return true
    }

    private static func checkPreTokenizer(_ value: JSONValue?, file: String) throws {
        let expected = "Sequence[Split(Qwen2 pattern, Isolated), ByteLevel(add_prefix_space: false, use_regex: false)]"
        guard let value else { throw TokenizerError.missingField(file: file, field: "pre_tokenizer") }
        guard let sequence = value.objectValue, sequence["type"]?.stringValue == "Sequence",
              let steps = sequence["pretokenizers"]?.arrayValue?.compactMap(\.objectValue), steps.count == 2 else {
            throw TokenizerError.unsupported(file: file, field: "pre_tokenizer", value: "expected \(expected)")
        }
        let split = steps[0]
        guard split["type"]?.stringValue == "Split",
              split["behavior"]?.stringValue == "Isolated",
              split["invert"]?.boolValue != true else {
            throw TokenizerError.unsupported(file: file, field: "pre_tokenizer.pretokenizers[0]", value: "expected an Isolated Split")
        }
        let pattern = split["pattern"]?.objectValue?["Regex"]?.stringValue
        guard pattern == Qwen2PreTokenizer.pattern else {
            throw TokenizerError.unsupported(file: file, field: "pre_tokenizer.pretokenizers[0].pattern",
                                             value: "only the Qwen2 regex is implemented, found \(pattern.map { "\"\($0)\"" } ?? "none")")
        }
        let byteLevel = steps[1]
        guard byteLevel["type"]?.stringValue == "ByteLevel",
              byteLevel["add_prefix_space"]?.boolValue != true,
              byteLevel["use_regex"]?.boolValue == false else {
            throw TokenizerError.unsupported(file: file, field: "pre_tokenizer.pretokenizers[1]",
                                             value: "expected ByteLevel(add_prefix_space: false, use_regex: false)")
        }
    }

    private static func checkType(of value: JSONValue?, field: String, allowed: [String], nullable: Bool, file: String) throws {
        guard let value, !value.isNull else {
            if nullable { return }
            throw TokenizerError.missingField(file: file, field: field)
        }
        let type = value.objectValue?["type"]?.stringValue
        guard let type, allowed.contains(type) else {
            throw TokenizerError.unsupported(file: file, field: "\(field).type", value: type ?? value.typeName)
        }
    }

    private static func readAddedTokens(_ value: JSONValue?, file: String) throws -> [AddedToken] {
        guard let value, !value.isNull else { return [] }
        guard let entries = value.arrayValue else {
            throw TokenizerError.invalidField(file: file, field: "added_tokens", reason: "is \(value.typeName), expected an array")
        }
        return try entries.enumerated().map { index, entry in
            let field = "added_tokens[\(index)]"
            guard let token = entry.objectValue, let id = token["id"]?.intValue, id >= 0,
                  let content = token["content"]?.stringValue else {
                throw TokenizerError.invalidField(file: file, field: field, reason: "needs an integer `id` and a string `content`")
            }
            for option in ["normalized", "lstrip", "rstrip", "single_word"] where token[option]?.boolValue == true {
                throw TokenizerError.unsupported(file: file, field: "\(field).\(option)", value: "true (token \"\(content)\")")
            }
            return AddedToken(id: id, content: content, isSpecial: token["special"]?.boolValue ?? false)
        }
    }
}

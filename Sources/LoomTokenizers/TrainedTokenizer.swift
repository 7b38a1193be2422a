import Foundation
import LoomJSON

/// A byte-level BPE vocabulary learned by `BPETrainer`, and the Hugging Face tokenizer folder it makes:
/// `tokenizer.json` (Qwen2's pipeline: NFC, the Qwen2 split + ByteLevel pre-tokenizer, ByteLevel decoder, BPE model
/// with `[left, right]` merge pairs), `tokenizer_config.json` (a `Qwen2Tokenizer`: eos `<|im_end|>`, pad
/// `<|endoftext|>`, no bos) and the llava-hf `chat_template.json`. Files are the same bytes for the same vocabulary.
public struct TrainedTokenizer: Sendable {
    /// The raw bytes of each BPE token, by id: the 256 byte symbols, then one per merge that made a new token.
    public let symbols: [[UInt8]]
    /// The merges in rank order, as the ids of the two tokens joined.
    public let merges: [(left: Int, right: Int)]
    /// The added special tokens (`BPETrainer.specialTokens`), at ids `symbols.count...` in this order.
    public var specialTokens: [String] { BPETrainer.specialTokens }

    /// The file names `write(to:)` writes.
    public static let fileNames = [TokenizerDefinition.fileName, TokenizerConfiguration.fileName, "chat_template.json"]

    /// The vocabulary size with the special tokens.
    public var vocabularySize: Int { symbols.count + specialTokens.count }

    /// Writes `tokenizer.json`, `tokenizer_config.json` and `chat_template.json` into `directory` (created if needed).
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let contents = [tokenizerJSON(), tokenizerConfigJSON(), Self.chatTemplateJSON()]
        for (name, bytes) in zip(Self.fileNames, contents) {
            try Data(bytes).write(to: directory.appendingPathComponent(name), options: .atomic)
        }
    }

    /// `tokenizer.json` as HF `tokenizers` saves it (two-space indent, no final newline).
    public func tokenizerJSON() -> [UInt8] {
        var vocabulary = JSONObject()
        vocabulary.keys = symbols.map(ByteLevel.string(from:))
        vocabulary.values = symbols.indices.map(JSONValue.int)
        let mergePairs: [JSONValue] = merges.map { merge in
            .array([.string(vocabulary.keys[merge.left]), .string(vocabulary.keys[merge.right])])
        }
        let addedTokens: [JSONValue] = specialTokens.enumerated().map { offset, content in
            .object(JSONObject(["id": .int(symbols.count + offset), "content": .string(content), "single_word": .bool(false),
                                "lstrip": .bool(false), "rstrip": .bool(false), "normalized": .bool(false),
                                "special": .bool(true)]))
        }
        let byteLevel: (Bool, Bool, Bool) -> JSONValue = { prefixSpace, trimOffsets, useRegex in
            .object(JSONObject(["type": .string("ByteLevel"), "add_prefix_space": .bool(prefixSpace),
                                "trim_offsets": .bool(trimOffsets), "use_regex": .bool(useRegex)]))
        }
        let split = JSONObject(["type": .string("Split"),
                                "pattern": .object(JSONObject(["Regex": .string(Qwen2PreTokenizer.pattern)])),
                                "behavior": .string("Isolated"), "invert": .bool(false)])
        let model = JSONObject([
            "type": .string("BPE"), "dropout": .null, "unk_token": .null, "continuing_subword_prefix": .string(""),
            "end_of_word_suffix": .string(""), "fuse_unk": .bool(false), "byte_fallback": .bool(false),
            "ignore_merges": .bool(false), "vocab": .object(vocabulary), "merges": .array(mergePairs),
        ])
        return JSONWriter.indentedBytes(.object(JSONObject([
            "version": .string("1.0"), "truncation": .null, "padding": .null, "added_tokens": .array(addedTokens),
            "normalizer": .object(JSONObject(["type": .string("NFC")])),
            "pre_tokenizer": .object(JSONObject(["type": .string("Sequence"),
                                                 "pretokenizers": .array([.object(split), byteLevel(false, false, false)])])),
            "post_processor": byteLevel(true, false, true),
            "decoder": byteLevel(true, true, true),
            "model": .object(model),
        ])))
    }

    /// `tokenizer_config.json` as transformers saves a Qwen2 tokenizer (sorted keys, final newline). The chat
    /// template lives in `chat_template.json`, where llava-hf processors read it.
    public func tokenizerConfigJSON() -> [UInt8] {
        var decoder = JSONObject()
        for (offset, content) in specialTokens.enumerated() {
            decoder.append(String(symbols.count + offset), .object(JSONObject([
                "content": .string(content), "lstrip": .bool(false), "normalized": .bool(false), "rstrip": .bool(false),
                "single_word": .bool(false), "special": .bool(true),
            ])))
        }
        let config = JSONObject([
            "add_prefix_space": .bool(false),
            "added_tokens_decoder": .object(decoder),
            "additional_special_tokens": .array([.string("<|im_start|>"), .string("<|im_end|>")]),
            "bos_token": .null,
            "clean_up_tokenization_spaces": .bool(false),
            "eos_token": .string("<|im_end|>"),
            "errors": .string("replace"),
            "extra_special_tokens": .object(JSONObject(["image_token": .string("<image>")])),
            "model_max_length": .int(32768),
            "pad_token": .string("<|endoftext|>"),
            "split_special_tokens": .bool(false),
            "tokenizer_class": .string("Qwen2Tokenizer"),
            "unk_token": .null,
        ])
        return JSONWriter.indentedBytes(.object(config)) + [UInt8(ascii: "\n")]
    }

    /// `chat_template.json` with `LlavaChatTemplate.source`, as transformers saves it (final newline).
    public static func chatTemplateJSON() -> [UInt8] {
        JSONWriter.indentedBytes(.object(JSONObject(["chat_template": .string(LlavaChatTemplate.source)]))) + [UInt8(ascii: "\n")]
    }
}

import Foundation
import LoomJSON
import LoomTemplates

/// A chat template a checkpoint ships (or a user gives as a file), compiled once.
public struct CheckpointTemplate: Sendable {
    public let template: ChatTemplate
    /// The file it came from, for messages.
    public let file: String

    /// Compiles `source`, naming `file` in errors.
    public init(source: String, file: String) throws {
        template = try ChatTemplate(source: source, name: file)
        self.file = file
    }

    /// A template file: `.jinja` text, or JSON with a `chat_template` string (`chat_template.json`,
    /// `processor_config.json`, `tokenizer_config.json`).
    public init(file url: URL) throws {
        let data = try Data(contentsOf: url)
        if url.pathExtension.lowercased() == "json" {
            guard let source = try JSONParser.parse(data).objectValue?["chat_template"]?.stringValue else {
                throw PromptError.noChatTemplate(url.lastPathComponent)
            }
            try self.init(source: source, file: url.lastPathComponent)
        } else {
            try self.init(source: String(decoding: data, as: UTF8.self), file: url.lastPathComponent)
        }
    }

    /// The template of the checkpoint in `directory`, in transformers' order: the processor's (`processor_config.json`
    /// key `chat_template`, then `chat_template.json`, then `chat_template.jinja`) for a model with a vision tower,
    /// then the tokenizer's (`tokenizer_config.json`); nil when it ships none.
    public static func load(directory: URL, vision: Bool) throws -> CheckpointTemplate? {
        var candidates: [String] = []
        if vision { candidates += ["processor_config.json", "chat_template.json", "chat_template.jinja"] }
        candidates.append("tokenizer_config.json")
        for name in candidates {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            if name.hasSuffix(".json") {
                guard let object = try? JSONParser.parse(Data(contentsOf: url)).objectValue,
                      let source = object["chat_template"]?.stringValue else { continue }
                return try CheckpointTemplate(source: source, file: name)
            }
            return try CheckpointTemplate(file: url)
        }
        return nil
    }

    /// The messages as the template reads them: typed parts (`{"type": "text", "text": …}`, `{"type": "image"}` per
    /// image or view) for a model with vision — the llava-interleave template drops plain-string content — and
    /// plain strings for a text-only model, as its templates expect. `wrap` surrounds each text (for `.plain` text).
    static func messages(_ conversation: Conversation, vision: Bool, wrap: (String) -> String = { $0 }) throws -> JSONValue {
        .array(try conversation.messages.map { message in
            var object = JSONObject()
            object.append("role", .string(message.role.rawValue))
            if vision {
                var parts: [JSONValue] = []
                for part in message.content {
                    switch part {
                    case .text(let text): parts.append(.object(JSONObject(["type": .string("text"), "text": .string(wrap(text))])))
                    case .image: parts.append(.object(JSONObject(["type": .string("image")])))
                    case .views(let views): parts += views.map { _ in .object(JSONObject(["type": .string("image")])) }
                    case .video: throw PromptError.unresolvedVideo
                    }
                }
                object.append("content", .array(parts))
            } else {
                object.append("content", .string(wrap(message.plainText)))
            }
            return .object(object)
        })
    }
}

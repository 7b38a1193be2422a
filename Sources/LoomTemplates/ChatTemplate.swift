import Foundation
import LoomJSON

/// A chat template, parsed once, rendered as transformers 5.24 renders it with jinja2 3.1.6: an
/// `ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)` with `loopcontrols`, the `{% generation %}`
/// tag, `tojson` (`json.dumps(ensure_ascii=False)`), `raise_exception`, `strftime_now`, `dict` and `namespace`.
///
/// Sandbox: inputs are never mutated; `__dunder__` attributes and the mutating list/dict methods (`append`,
/// `update`, `pop`, …) raise `SecurityError` when used; `namespace` rejects `_`-prefixed attributes; `range()` is
/// capped at 100 000 items; the output at `outputLimit` bytes (16 MiB); macro recursion at 256 calls.
public struct ChatTemplate: @unchecked Sendable {
    /// The name given at parse time, used in errors.
    public let name: String
    private let nodes: [Node]

    /// The most UTF-8 bytes a render may produce before it fails.
    public static let outputLimit = 16 << 20

    /// Parses `source` (jinja2 syntax). Syntax errors, unknown tags, filters and tests are `TemplateError`s naming
    /// `name` and the source line.
    public init(source: String, name: String) throws {
        self.name = name
        do {
            nodes = try Parser.parse(source)
        } catch let error as JinjaError {
            throw TemplateError(template: name, line: error.line ?? 0, message: "\(error.kind): \(error.message)")
        }
    }

    /// Renders the template as `apply_chat_template` does: `messages` (a JSON array of message objects; keys whose
    /// value is null are dropped, and `reasoning_content`/`thinking`/`reasoning` are aliased to each other as
    /// transformers does), `add_generation_prompt`, `tools` and `documents` (none unless `variables` holds them), then
    /// every member of `variables` (special tokens such as `bos_token`, template switches such as
    /// `enable_thinking`). `strftime_now` formats `now` in UTC.
    ///
    /// JSON numbers are integers when they have no fractional part (and are below 2^53), floats otherwise.
    public func render(messages: JSONValue, addGenerationPrompt: Bool, variables: JSONObject = JSONObject(),
                       now: Date = Date()) throws -> TemplateOutput {
        guard case .array(let list) = messages else {
            throw TemplateError(template: name, line: 0, message: "TypeError: messages must be a JSON array")
        }
        var normalized: [Value] = []
        for message in list {
            guard case .object(let object) = message else {
                throw TemplateError(template: name, line: 0,
                                    message: "TypeError: Chat messages should be dicts, but got \(message.typeName).")
            }
            normalized.append(.dict(Self.normalize(object)))
        }
        let evaluator = Evaluator(now: now, outputLimit: Self.outputLimit)
        let globals = Scope(parent: nil)
        Globals.install(into: globals, evaluator: evaluator)
        let context = Scope(parent: globals)
        context.set("messages", .list(normalized))
        context.set("tools", .none)
        context.set("documents", .none)
        context.set("add_generation_prompt", .bool(addGenerationPrompt))
        for (key, value) in zip(variables.keys, variables.values) { context.set(key, Value(json: value)) }
        do {
            _ = try evaluator.execute(nodes, context)
        } catch let error as JinjaError {
            throw TemplateError(template: name, line: error.line ?? evaluator.line, message: "\(error.kind): \(error.message)")
        }
        return TemplateOutput(text: evaluator.output.buffers[0], generationSpans: evaluator.spans)
    }

    /// `_normalize_chat_messages` (drop null members) then `_alias_reasoning_fields`.
    static func normalize(_ object: JSONObject) -> PyDict {
        var d = PyDict()
        for (k, v) in zip(object.keys, object.values) where !v.isNull { d.set(.string(k), Value(json: v)) }
        let reasoning = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap { d[string: $0] }.first
        guard let reasoning else { return d }
        var aliased = PyDict()
        aliased.set(.string("thinking"), reasoning)
        for (k, v) in zip(d.keys, d.values) { aliased.set(k, v) }
        aliased.set(.string("reasoning_content"), reasoning)
        return aliased
    }
}

/// What a render produced: the text, and the `{% generation %}` spans as half-open ranges of **Unicode scalar
/// offsets** into `text` (the unit of Python `str` indices, which transformers reports), in the order rendered.
public struct TemplateOutput: Sendable, Equatable {
    public let text: String
    public let generationSpans: [Range<Int>]

    public init(text: String, generationSpans: [Range<Int>]) {
        self.text = text
        self.generationSpans = generationSpans
    }
}

/// Why a template could not be parsed or rendered: the template's name, the 1-based line of the source where it
/// happened (0 when there is none, e.g. a bad input), and a message in the form `Kind: detail`, where `Kind` is the
/// exception class jinja2 raises in the same situation (`TemplateSyntaxError`, `UndefinedError`, `TypeError`,
/// `SecurityError`, `TemplateError` for `raise_exception(...)`, …).
public struct TemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    public let template: String
    public let line: Int
    public let message: String

    public init(template: String, line: Int, message: String) {
        self.template = template
        self.line = line
        self.message = message
    }

    public var description: String { "\(template):\(line): \(message)" }
}

/// An error raised while lexing, parsing or evaluating, before the template name is attached.
struct JinjaError: Error {
    var kind: String
    var message: String
    var line: Int?

    init(_ kind: String, _ message: String, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
    }

    static func syntax(_ message: String, line: Int) -> JinjaError { JinjaError("TemplateSyntaxError", message, line: line) }
    static func type(_ message: String) -> JinjaError { JinjaError("TypeError", message) }
    static func value(_ message: String) -> JinjaError { JinjaError("ValueError", message) }
    static func security(_ message: String) -> JinjaError { JinjaError("SecurityError", message) }
}

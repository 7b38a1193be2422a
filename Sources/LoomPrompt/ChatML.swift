/// The Qwen ChatML text format (`<|im_start|>role\n…<|im_end|>\n`), as rendered by the Qwen tokenizer's
/// chat template: a system turn first (by default "You are a helpful assistant."), then the turns, then the
/// assistant header when a reply is wanted.
public enum ChatML {
    /// The system prompt Qwen's template inserts when the conversation has none.
    public static let defaultSystemPrompt = "You are a helpful assistant."

    /// One text turn.
    public struct Turn: Sendable, Equatable {
        public var role: String
        public var content: String
        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    /// Renders `turns`, prefixed by a system turn with `system` unless it is nil, ending with the assistant header.
    public static func render(_ turns: [Turn], system: String? = defaultSystemPrompt, addGenerationPrompt: Bool = true) -> String {
        var text = ""
        if let system, turns.first?.role != "system" { text += "<|im_start|>system\n\(system)<|im_end|>\n" }
        for turn in turns { text += "<|im_start|>\(turn.role)\n\(turn.content)<|im_end|>\n" }
        if addGenerationPrompt { text += "<|im_start|>assistant\n" }
        return text
    }
}

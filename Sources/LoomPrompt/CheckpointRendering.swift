import LoomJSON
import LoomTokenizers

extension PromptRenderer {
    /// Renders with the Jinja chat template, then tokenizes the result as transformers does (special tokens parsed);
    /// each image token the template wrote takes the next image. With `.plain` text the messages' text is rendered
    /// between private-use sentinels and tokenized without special tokens, the template's own text with them.
    func renderCheckpoint(_ conversation: Conversation, addGenerationPrompt: Bool, text: TextTokens,
                          into chunks: inout ChunkBuilder) throws -> String {
        guard let checkpoint = chatTemplate else { throw PromptError.noChatTemplate("this checkpoint") }
        let hasVision = vision != nil
        let variables = specialTokenVariables
        let rendered = try checkpoint.template.render(messages: try CheckpointTemplate.messages(conversation, vision: hasVision),
                                                      addGenerationPrompt: addGenerationPrompt, variables: variables).text
        var ids: [Int]
        switch text {
        case .parsed:
            ids = tokenizer.encode(rendered)
        case .plain:
            let open = "\u{F0000}", close = "\u{F0001}"
            let wrapped = try checkpoint.template.render(
                messages: try CheckpointTemplate.messages(conversation, vision: hasVision) { open + $0 + close },
                addGenerationPrompt: addGenerationPrompt, variables: variables).text
            guard wrapped.replacingOccurrences(of: open, with: "").replacingOccurrences(of: close, with: "") == rendered else {
                throw PromptError.templateAltersText(checkpoint.file)
            }
            ids = []
            for (index, piece) in wrapped.components(separatedBy: open).enumerated() {
                let parts = piece.components(separatedBy: close)
                if index > 0, let content = parts.first { ids += tokenizer.encode(content, parseSpecialTokens: false) }
                for template in parts.dropFirst(index > 0 ? 1 : 0) { ids += tokenizer.encode(template) }
            }
        }
        let imageToken = vision?.imageTokenID
        let written = imageToken.map { token in ids.reduce(0) { $0 + ($1 == token ? 1 : 0) } } ?? 0
        guard written == chunks.images.count else {
            throw PromptError.templateImageCount(template: checkpoint.file, rendered: written, images: chunks.images.count)
        }
        var run: [Int] = []
        for id in ids {
            if id == imageToken {
                chunks.append(run)
                run = []
                chunks.appendImage()
            } else {
                run.append(id)
            }
        }
        chunks.append(run)
        return rendered
    }

    /// The tokenizer's named special tokens, which `apply_chat_template` passes to every template (`bos_token`, …).
    public var specialTokenVariables: JSONObject {
        var variables = JSONObject()
        for (name, id) in [("bos_token", tokenizer.bosTokenID), ("eos_token", tokenizer.eosTokenID), ("pad_token", tokenizer.padTokenID)] {
            if let id, let token = tokenizer.token(for: id) { variables.append(name, .string(token)) }
        }
        return variables
    }
}

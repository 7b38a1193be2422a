import LoomMedia
import LoomTokenizers

/// A conversation rendered for the model.
public struct RenderedPrompt: Sendable, Equatable {
    /// The prompt text with one `<image>` per image (not expanded).
    public let text: String
    /// Token ids as the model sees them, each image expanded to its run of image tokens.
    public let ids: [Int]
    /// The images in the order their token runs appear.
    public let images: [ImageSource]
    /// Tokens each image occupies.
    public let tokensPerImage: Int

    /// Positions taken by images.
    public var imageTokenTotal: Int { images.count * tokensPerImage }
}

/// Renders conversations with a template and tokenizes them, expanding each image into its token run.
public struct PromptRenderer: Sendable {
    /// What the renderer needs to know about the model's image handling.
    public struct Vision: Sendable, Equatable {
        /// Id of the `<image>` token.
        public let imageTokenID: Int
        /// Tokens per image (from ``LlavaConfiguration/imageTokenCount``).
        public let tokensPerImage: Int
        public init(imageTokenID: Int, tokensPerImage: Int) {
            self.imageTokenID = imageTokenID
            self.tokensPerImage = tokensPerImage
        }
    }

    public let tokenizer: Tokenizer
    /// Nil for a text-only model.
    public let vision: Vision?

    public init(tokenizer: Tokenizer, vision: Vision?) {
        self.tokenizer = tokenizer
        self.vision = vision
    }

    /// Renders `conversation` with `template` (nil: ``PromptTemplate/automatic(for:)``), ending with the
    /// assistant header when `addGenerationPrompt` is true.
    public func render(_ conversation: Conversation, template: PromptTemplate? = nil,
                       addGenerationPrompt: Bool = true) throws -> RenderedPrompt {
        let images = conversation.images
        guard !conversation.messages.isEmpty,
              conversation.messages.contains(where: { !$0.content.isEmpty }) else { throw PromptError.emptyConversation }
        if vision == nil && !images.isEmpty { throw PromptError.imagesWithoutVision(images.count) }
        let chosen = template ?? PromptTemplate.automatic(for: conversation)
        let markers = conversation.messages.reduce(0) { count, message in
            message.content.reduce(count) { n, part in
                if case .text(let t) = part { return n + t.components(separatedBy: PromptTemplate.imageMarker).count - 1 }
                return n
            }
        }
        if markers > 0 {
            if chosen == .hf { throw PromptError.markersInHFTemplate(markers) }
            throw PromptError.markerInText(markers)
        }
        let text: String
        let ids: [Int]
        switch chosen {
        case .hf where vision == nil:
            let turns = conversation.messages.map { ChatML.Turn(role: $0.role.rawValue, content: $0.plainText) }
            text = ChatML.render(turns, addGenerationPrompt: addGenerationPrompt)
            ids = tokenizer.encode(text)
        case .hf:
            text = renderHF(conversation, addGenerationPrompt: addGenerationPrompt)
            ids = expand(tokenizer.encode(text))
        case .interleaved:
            text = renderInterleaved(conversation, addGenerationPrompt: addGenerationPrompt)
            ids = expand(tokenizer.encode(text))
        case .llava:
            (text, ids) = renderLlava(conversation, addGenerationPrompt: addGenerationPrompt)
        }
        return RenderedPrompt(text: text, ids: ids, images: images, tokensPerImage: vision?.tokensPerImage ?? 0)
    }

    /// `chat_template.json` of llava-interleave: per message, all its images, then `\n` + each text part.
    func renderHF(_ conversation: Conversation, addGenerationPrompt: Bool) -> String {
        var text = ""
        for message in conversation.messages {
            text += "<|im_start|>\(message.role.rawValue)\n"
            text += String(repeating: PromptTemplate.imageMarker, count: message.images.count)
            for case .text(let t) in message.content { text += "\n" + t }
            text += "<|im_end|>\n"
        }
        if addGenerationPrompt { text += "<|im_start|>assistant\n" }
        return text
    }

    /// ChatML with every image where it stands in the content.
    func renderInterleaved(_ conversation: Conversation, addGenerationPrompt: Bool) -> String {
        var text = ""
        for message in conversation.messages {
            text += "<|im_start|>\(message.role.rawValue)\n\(message.markedText)<|im_end|>\n"
        }
        if addGenerationPrompt { text += "<|im_start|>assistant\n" }
        return text
    }

    /// The original LLaVA-NeXT `preprocess_qwen` of `llava/eval/model_vqa.py`: the system block, then each turn
    /// tokenized piecewise around its images, with a `\n` token after every image.
    func renderLlava(_ conversation: Conversation, addGenerationPrompt: Bool) -> (String, [Int]) {
        let newline = tokenizer.encode("\n")
        let imStart = tokenizer.encode("<|im_start|>"), imEnd = tokenizer.encode("<|im_end|>")
        let system = conversation.messages.first { $0.role == .system }?.plainText ?? ChatML.defaultSystemPrompt
        var text = "<|im_start|>system\n\(system)<|im_end|>\n"
        var ids = imStart + tokenizer.encode("system") + newline
            + tokenizer.encode(system) + imEnd + newline
        for message in conversation.messages where message.role != .system {
            text += "<|im_start|>\(message.role.rawValue)\n"
            ids += tokenizer.encode("<|im_start|>\(message.role.rawValue)") + newline
            let pieces = message.markedText.components(separatedBy: PromptTemplate.imageMarker)
            for (i, piece) in pieces.enumerated() {
                text += piece
                ids += tokenizer.encode(piece)
                if i < pieces.count - 1 {
                    text += PromptTemplate.imageMarker + "\n"
                    ids += imageRun + newline
                }
            }
            text += "<|im_end|>\n"
            ids += imEnd + newline
        }
        if addGenerationPrompt {
            text += "<|im_start|>assistant\n"
            ids += tokenizer.encode("<|im_start|>assistant") + newline
        }
        return (text, ids)
    }

    /// One image's run of image tokens.
    var imageRun: [Int] {
        guard let vision else { return [] }
        return Array(repeating: vision.imageTokenID, count: vision.tokensPerImage)
    }

    /// `ids` with every image token expanded into a run.
    func expand(_ ids: [Int]) -> [Int] {
        guard let vision else { return ids }
        return ids.flatMap { $0 == vision.imageTokenID ? imageRun : [$0] }
    }
}

extension Message {
    /// The text parts joined, images left out.
    var plainText: String {
        content.map { if case .text(let t) = $0 { return t } else { return "" } }.joined()
    }

    /// The content as text with an `<image>` marker where each image stands.
    var markedText: String {
        content.map { part -> String in
            switch part {
            case .text(let t): return t
            case .image: return PromptTemplate.imageMarker
            }
        }.joined()
    }
}

extension PromptRenderer {
    /// A prompt given verbatim (no chat format): special tokens are parsed and each `<image>` marker takes the
    /// next image; the counts must match.
    public func renderRaw(_ text: String, images: [ImageSource]) throws -> RenderedPrompt {
        guard !text.isEmpty else { throw PromptError.emptyConversation }
        let markers = text.components(separatedBy: PromptTemplate.imageMarker).count - 1
        if vision == nil && !images.isEmpty { throw PromptError.imagesWithoutVision(images.count) }
        guard markers == images.count || vision == nil else {
            throw PromptError.markerCountMismatch(markers: markers, images: images.count)
        }
        return RenderedPrompt(text: text, ids: expand(tokenizer.encode(text)), images: images,
                              tokensPerImage: vision?.tokensPerImage ?? 0)
    }
}

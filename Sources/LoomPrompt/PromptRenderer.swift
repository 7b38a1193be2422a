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
    /// Tokens each image occupies, in order.
    public let imageTokenCounts: [Int]

    /// Positions taken by images.
    public var imageTokenTotal: Int { imageTokenCounts.reduce(0, +) }
}

/// Renders conversations with a template and tokenizes them, expanding each image into its token run.
public struct PromptRenderer: Sendable {
    /// What the renderer needs to know about the model's image handling.
    public struct Vision: Sendable, Equatable {
        /// Id that marks image positions: the `<image>` token, or the original LLaVA code's −200 sentinel.
        public let imageTokenID: Int
        /// Tokens per image (from ``LlavaConfiguration/imageTokenCount``) unless given per image at render time.
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
    /// assistant header when `addGenerationPrompt` is true. `imageTokenCounts` gives each image's token count
    /// when it varies by image (multi-patch); otherwise every image takes ``Vision/tokensPerImage``.
    public func render(_ conversation: Conversation, template: PromptTemplate? = nil, addGenerationPrompt: Bool = true,
                       imageTokenCounts: [Int]? = nil) throws -> RenderedPrompt {
        let images = conversation.images
        let counts = imageTokenCounts ?? Array(repeating: vision?.tokensPerImage ?? 0, count: images.count)
        precondition(counts.count == images.count, "render: \(counts.count) token counts for \(images.count) images")
        guard !conversation.messages.isEmpty,
              conversation.messages.contains(where: { !$0.content.isEmpty }) else { throw PromptError.emptyConversation }
        if conversation.hasVideo { throw PromptError.unresolvedVideo }
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
        var runs = ImageRuns(vision: vision, counts: counts)
        switch chosen {
        case .hf where vision == nil:
            let turns = conversation.messages.map { ChatML.Turn(role: $0.role.rawValue, content: $0.plainText) }
            text = ChatML.render(turns, addGenerationPrompt: addGenerationPrompt)
            ids = tokenizer.encode(text)
        case .hf:
            text = renderHF(conversation, addGenerationPrompt: addGenerationPrompt)
            ids = encode(text, runs: &runs)
        case .interleaved:
            text = renderInterleaved(conversation, addGenerationPrompt: addGenerationPrompt)
            ids = encode(text, runs: &runs)
        case .llava:
            (text, ids) = renderLlava(conversation, addGenerationPrompt: addGenerationPrompt, runs: &runs)
        }
        return RenderedPrompt(text: text, ids: ids, images: images, imageTokenCounts: counts)
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
    func renderLlava(_ conversation: Conversation, addGenerationPrompt: Bool, runs: inout ImageRuns) -> (String, [Int]) {
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
                    ids += runs.next() + newline
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

    /// Tokens of `text`, with each `<image>` marker replaced by the next image's run. The pieces between markers
    /// are tokenized separately — exactly what a tokenizer with `<image>` as an added token does — so the
    /// tokenizer itself need not know the marker (the original checkpoints' does not).
    func encode(_ text: String, runs: inout ImageRuns) -> [Int] {
        let pieces = text.components(separatedBy: PromptTemplate.imageMarker)
        var ids: [Int] = []
        for (i, piece) in pieces.enumerated() {
            ids += tokenizer.encode(piece)
            if i < pieces.count - 1 { ids += runs.next() }
        }
        return ids
    }
}

/// Hands out each image's run of image-position ids in order.
struct ImageRuns {
    let vision: PromptRenderer.Vision?
    let counts: [Int]
    private var index = 0

    init(vision: PromptRenderer.Vision?, counts: [Int]) {
        self.vision = vision
        self.counts = counts
    }

    mutating func next() -> [Int] {
        guard let vision, index < counts.count else { return [] }
        defer { index += 1 }
        return Array(repeating: vision.imageTokenID, count: counts[index])
    }
}

extension Message {
    /// The text parts joined, images left out.
    var plainText: String {
        content.map { if case .text(let t) = $0 { return t } else { return "" } }.joined()
    }

    /// The content as text with an `<image>` marker where each image (and each view) stands.
    var markedText: String {
        content.map { part -> String in
            switch part {
            case .text(let t): return t
            case .image: return PromptTemplate.imageMarker
            case .views(let views): return String(repeating: PromptTemplate.imageMarker, count: views.count)
            case .video: return ""
            }
        }.joined()
    }
}

extension PromptRenderer {
    /// A prompt given verbatim (no chat format): special tokens are parsed and each `<image>` marker takes the
    /// next image; the counts must match. `imageTokenCounts` gives each image's token count when it varies by image
    /// (multi-patch); otherwise every image takes ``Vision/tokensPerImage``.
    public func renderRaw(_ text: String, images: [ImageSource], imageTokenCounts: [Int]? = nil) throws -> RenderedPrompt {
        guard !text.isEmpty else { throw PromptError.emptyConversation }
        let markers = text.components(separatedBy: PromptTemplate.imageMarker).count - 1
        if vision == nil && !images.isEmpty { throw PromptError.imagesWithoutVision(images.count) }
        guard markers == images.count || vision == nil else {
            throw PromptError.markerCountMismatch(marker: PromptTemplate.imageMarker, markers: markers, items: images.count)
        }
        let counts = imageTokenCounts ?? Array(repeating: vision?.tokensPerImage ?? 0, count: images.count)
        precondition(counts.count == images.count, "renderRaw: \(counts.count) token counts for \(images.count) images")
        var runs = ImageRuns(vision: vision, counts: counts)
        return RenderedPrompt(text: text, ids: vision == nil ? tokenizer.encode(text) : encode(text, runs: &runs),
                              images: images, imageTokenCounts: counts)
    }
}

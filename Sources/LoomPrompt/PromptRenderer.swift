import LoomMedia
import LoomTokenizers

/// One piece of a rendered prompt, in order: token ids of text, or one image and the positions it takes.
public enum PromptChunk: Sendable, Equatable {
    /// Token ids of rendered text.
    case text([Int])
    /// An image, taking `positions` decoder positions where it stands.
    case image(ImageSource, positions: Int)

    /// Decoder positions the chunk takes.
    public var positions: Int {
        switch self {
        case .text(let ids): ids.count
        case .image(_, let positions): positions
        }
    }
}

/// A conversation rendered for the model: typed chunks of text ids and images, in order.
public struct RenderedPrompt: Sendable, Equatable {
    /// The prompt text with one `<image>` per image (not expanded).
    public let text: String
    /// Text ids and images, in order.
    public let chunks: [PromptChunk]
    /// Token ids as printed for the model: each image expanded to its run of `imageTokenID`.
    public let ids: [Int]

    /// A prompt of `chunks`, each image shown in ``ids`` as a run of `imageTokenID`.
    public init(text: String, chunks: [PromptChunk], imageTokenID: Int) {
        self.text = text
        self.chunks = chunks
        ids = chunks.flatMap { chunk -> [Int] in
            switch chunk {
            case .text(let ids): ids
            case .image(_, let positions): Array(repeating: imageTokenID, count: positions)
            }
        }
    }

    /// The images in order.
    public var images: [ImageSource] {
        chunks.compactMap { if case .image(let source, _) = $0 { source } else { nil } }
    }

    /// Positions each image takes, in order.
    public var imageTokenCounts: [Int] {
        chunks.compactMap { if case .image(_, let positions) = $0 { positions } else { nil } }
    }

    /// Positions taken by images.
    public var imageTokenTotal: Int { imageTokenCounts.reduce(0, +) }
}

/// Renders conversations with a template and tokenizes them, expanding each image into its token run.
public struct PromptRenderer: Sendable {
    /// What the renderer needs to know about the model's image handling.
    public struct Vision: Sendable, Equatable {
        /// Id that marks image positions: the `<image>` token, or the original LLaVA code's −200 sentinel.
        public let imageTokenID: Int
        /// Tokens per image unless given per image at render time (0 when they always are).
        public let tokensPerImage: Int
        public init(imageTokenID: Int, tokensPerImage: Int = 0) {
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
        var chunks = ChunkBuilder(images: images, counts: counts)
        switch chosen {
        case .hf where vision == nil:
            let turns = conversation.messages.map { ChatML.Turn(role: $0.role.rawValue, content: $0.plainText) }
            text = ChatML.render(turns, addGenerationPrompt: addGenerationPrompt)
            chunks.append(tokenizer.encode(text))
        case .hf:
            text = renderHF(conversation, addGenerationPrompt: addGenerationPrompt)
            encode(text, into: &chunks)
        case .interleaved:
            text = renderInterleaved(conversation, addGenerationPrompt: addGenerationPrompt)
            encode(text, into: &chunks)
        case .llava:
            text = renderLlava(conversation, addGenerationPrompt: addGenerationPrompt, into: &chunks)
        }
        return RenderedPrompt(text: text, chunks: chunks.chunks, imageTokenID: vision?.imageTokenID ?? 0)
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
    func renderLlava(_ conversation: Conversation, addGenerationPrompt: Bool, into chunks: inout ChunkBuilder) -> String {
        let newline = tokenizer.encode("\n")
        let imStart = tokenizer.encode("<|im_start|>"), imEnd = tokenizer.encode("<|im_end|>")
        let system = conversation.messages.first { $0.role == .system }?.plainText ?? ChatML.defaultSystemPrompt
        var text = "<|im_start|>system\n\(system)<|im_end|>\n"
        chunks.append(imStart + tokenizer.encode("system") + newline + tokenizer.encode(system) + imEnd + newline)
        for message in conversation.messages where message.role != .system {
            text += "<|im_start|>\(message.role.rawValue)\n"
            chunks.append(tokenizer.encode("<|im_start|>\(message.role.rawValue)") + newline)
            let pieces = message.markedText.components(separatedBy: PromptTemplate.imageMarker)
            for (i, piece) in pieces.enumerated() {
                text += piece
                chunks.append(tokenizer.encode(piece))
                if i < pieces.count - 1 {
                    text += PromptTemplate.imageMarker + "\n"
                    chunks.appendImage()
                    chunks.append(newline)
                }
            }
            text += "<|im_end|>\n"
            chunks.append(imEnd + newline)
        }
        if addGenerationPrompt {
            text += "<|im_start|>assistant\n"
            chunks.append(tokenizer.encode("<|im_start|>assistant") + newline)
        }
        return text
    }

    /// Chunks of `text`, each `<image>` marker taking the next image. The pieces between markers are tokenized
    /// separately — exactly what a tokenizer with `<image>` as an added token does — so the tokenizer itself need
    /// not know the marker (the original checkpoints' does not).
    func encode(_ text: String, into chunks: inout ChunkBuilder) {
        let pieces = text.components(separatedBy: PromptTemplate.imageMarker)
        for (i, piece) in pieces.enumerated() {
            chunks.append(tokenizer.encode(piece))
            if i < pieces.count - 1 { chunks.appendImage() }
        }
    }
}

/// Collects a prompt's chunks in order, handing out each image with its position count as its marker comes.
struct ChunkBuilder {
    let images: [ImageSource]
    let counts: [Int]
    private(set) var chunks: [PromptChunk] = []
    private var index = 0

    init(images: [ImageSource], counts: [Int]) {
        self.images = images
        self.counts = counts
    }

    /// Appends text ids (joined to the text chunk before them).
    mutating func append(_ ids: [Int]) {
        guard !ids.isEmpty else { return }
        if case .text(let previous)? = chunks.last {
            chunks[chunks.count - 1] = .text(previous + ids)
        } else {
            chunks.append(.text(ids))
        }
    }

    /// Appends the next image.
    mutating func appendImage() {
        guard index < images.count else { return }
        chunks.append(.image(images[index], positions: counts[index]))
        index += 1
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
        var chunks = ChunkBuilder(images: images, counts: counts)
        if vision == nil { chunks.append(tokenizer.encode(text)) } else { encode(text, into: &chunks) }
        return RenderedPrompt(text: text, chunks: chunks.chunks, imageTokenID: vision?.imageTokenID ?? 0)
    }
}

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
    /// The Jinja chat template `.checkpoint` renders with: the checkpoint's own, or one the caller gave.
    public var chatTemplate: CheckpointTemplate?

    public init(tokenizer: Tokenizer, vision: Vision?, chatTemplate: CheckpointTemplate? = nil) {
        self.tokenizer = tokenizer
        self.vision = vision
        self.chatTemplate = chatTemplate
    }

    /// Renders `conversation` with `template` (nil: ``PromptTemplate/automatic(for:)``), ending with the
    /// assistant header when `addGenerationPrompt` is true. `imageTokenCounts` gives each image's token count
    /// when it varies by image (multi-patch); otherwise every image takes ``Vision/tokensPerImage``. `text` says how
    /// the conversation's own text is tokenized: `.parsed` as transformers' chat templates do, `.plain` never
    /// producing a special token or an image slot.
    public func render(_ conversation: Conversation, template: PromptTemplate? = nil, addGenerationPrompt: Bool = true,
                       imageTokenCounts: [Int]? = nil, text: TextTokens = .parsed) throws -> RenderedPrompt {
        let images = conversation.images
        let counts = imageTokenCounts ?? Array(repeating: vision?.tokensPerImage ?? 0, count: images.count)
        precondition(counts.count == images.count, "render: \(counts.count) token counts for \(images.count) images")
        guard !conversation.messages.isEmpty,
              conversation.messages.contains(where: { !$0.content.isEmpty }) else { throw PromptError.emptyConversation }
        if conversation.hasVideo { throw PromptError.unresolvedVideo }
        if vision == nil && !images.isEmpty { throw PromptError.imagesWithoutVision(images.count) }
        let chosen = template ?? PromptTemplate.automatic(for: conversation)
        if text == .parsed {
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
        }
        var chunks = ChunkBuilder(images: images, counts: counts)
        let rendered: String
        switch chosen {
        case .hf where vision == nil: rendered = encode(chatML(conversation, addGenerationPrompt: addGenerationPrompt), text, into: &chunks)
        case .hf: rendered = encode(hf(conversation, addGenerationPrompt: addGenerationPrompt), text, into: &chunks)
        case .interleaved: rendered = encode(interleaved(conversation, addGenerationPrompt: addGenerationPrompt), text, into: &chunks)
        case .llava: rendered = renderLlava(conversation, addGenerationPrompt: addGenerationPrompt, text: text, into: &chunks)
        case .checkpoint: rendered = try renderCheckpoint(conversation, addGenerationPrompt: addGenerationPrompt, text: text, into: &chunks)
        }
        return RenderedPrompt(text: rendered, chunks: chunks.chunks, imageTokenID: vision?.imageTokenID ?? 0)
    }

    /// A text-only conversation in Qwen's ChatML, with its default system prompt when the conversation has none.
    func chatML(_ conversation: Conversation, addGenerationPrompt: Bool) -> [Segment] {
        var segments: [Segment] = []
        if conversation.messages.first?.role != .system {
            segments.append(.template("<|im_start|>system\n\(ChatML.defaultSystemPrompt)<|im_end|>\n"))
        }
        for message in conversation.messages {
            segments += [.template("<|im_start|>\(message.role.rawValue)\n"), .content(message.plainText), .template("<|im_end|>\n")]
        }
        if addGenerationPrompt { segments.append(.template("<|im_start|>assistant\n")) }
        return segments
    }

    /// `chat_template.json` of llava-interleave: per message, all its images, then `\n` + each text part.
    func hf(_ conversation: Conversation, addGenerationPrompt: Bool) -> [Segment] {
        var segments: [Segment] = []
        for message in conversation.messages {
            segments.append(.template("<|im_start|>\(message.role.rawValue)\n"))
            segments += Array(repeating: .image, count: message.images.count)
            for case .text(let t) in message.content { segments += [.template("\n"), .content(t)] }
            segments.append(.template("<|im_end|>\n"))
        }
        if addGenerationPrompt { segments.append(.template("<|im_start|>assistant\n")) }
        return segments
    }

    /// ChatML with every image where it stands in the content.
    func interleaved(_ conversation: Conversation, addGenerationPrompt: Bool) -> [Segment] {
        var segments: [Segment] = []
        for message in conversation.messages {
            segments.append(.template("<|im_start|>\(message.role.rawValue)\n"))
            for part in message.content {
                switch part {
                case .text(let t): segments.append(.content(t))
                case .image: segments.append(.image)
                case .views(let views): segments += Array(repeating: .image, count: views.count)
                case .video: break
                }
            }
            segments.append(.template("<|im_end|>\n"))
        }
        if addGenerationPrompt { segments.append(.template("<|im_start|>assistant\n")) }
        return segments
    }

    /// Tokenizes `segments` into `chunks`; returns the rendered text (an `<image>` for each image). With `.parsed`
    /// text, each run of text between images is tokenized whole, as a tokenizer given the template's output does;
    /// with `.plain` text, the template's pieces are tokenized with special tokens and the conversation's without.
    func encode(_ segments: [Segment], _ text: TextTokens, into chunks: inout ChunkBuilder) -> String {
        var rendered = "", run: [Segment] = []
        func flush() {
            switch text {
            case .parsed: chunks.append(tokenizer.encode(run.map(\.text).joined()))
            case .plain:
                for piece in run {
                    if case .content(let t) = piece { chunks.append(tokenizer.encode(t, parseSpecialTokens: false)) }
                    else { chunks.append(tokenizer.encode(piece.text)) }
                }
            }
            run = []
        }
        for segment in segments {
            rendered += segment.text
            if case .image = segment {
                flush()
                chunks.appendImage()
            } else if case .template(let t) = segment, case .template(let previous)? = run.last {
                run[run.count - 1] = .template(previous + t)
            } else {
                run.append(segment)
            }
        }
        flush()
        return rendered
    }

    /// The original LLaVA-NeXT `preprocess_qwen` of `llava/eval/model_vqa.py`: the system block, then each turn
    /// tokenized piecewise around its images, with a `\n` token after every image.
    func renderLlava(_ conversation: Conversation, addGenerationPrompt: Bool, text: TextTokens, into chunks: inout ChunkBuilder) -> String {
        let parse = text == .parsed
        let newline = tokenizer.encode("\n")
        let imStart = tokenizer.encode("<|im_start|>"), imEnd = tokenizer.encode("<|im_end|>")
        let system = conversation.messages.first { $0.role == .system }?.plainText ?? ChatML.defaultSystemPrompt
        var rendered = "<|im_start|>system\n\(system)<|im_end|>\n"
        chunks.append(imStart + tokenizer.encode("system") + newline + tokenizer.encode(system, parseSpecialTokens: parse) + imEnd + newline)
        for message in conversation.messages where message.role != .system {
            rendered += "<|im_start|>\(message.role.rawValue)\n"
            chunks.append(tokenizer.encode("<|im_start|>\(message.role.rawValue)") + newline)
            var pending = ""
            for part in message.content {
                let images: Int
                switch part {
                case .text(let t):
                    pending += t
                    continue
                case .image: images = 1
                case .views(let views): images = views.count
                case .video: images = 0
                }
                for _ in 0..<images {
                    rendered += pending + PromptTemplate.imageMarker + "\n"
                    chunks.append(tokenizer.encode(pending, parseSpecialTokens: parse))
                    chunks.appendImage()
                    chunks.append(newline)
                    pending = ""
                }
            }
            rendered += pending + "<|im_end|>\n"
            chunks.append(tokenizer.encode(pending, parseSpecialTokens: parse) + imEnd + newline)
        }
        if addGenerationPrompt {
            rendered += "<|im_start|>assistant\n"
            chunks.append(tokenizer.encode("<|im_start|>assistant") + newline)
        }
        return rendered
    }
}

/// How a conversation's own text (not the template's) is tokenized.
public enum TextTokens: Sendable, Equatable {
    /// As transformers tokenizes a chat template's output: special tokens written in the text are parsed (a typed
    /// `<|im_end|>` ends the turn); `<image>` markers in text are refused (images are parts).
    case parsed
    /// Plain text: no special token and no image slot can come from it (what a server must do with users' text).
    case plain
}

/// A piece of a rendered conversation: the template's own text, the conversation's text, or an image.
enum Segment {
    case template(String)
    case content(String)
    case image

    /// The text it renders as.
    var text: String {
        switch self {
        case .template(let t), .content(let t): t
        case .image: PromptTemplate.imageMarker
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
        if vision == nil {
            chunks.append(tokenizer.encode(text))
        } else {
            // The markers are the caller's own: the prompt is given verbatim, images where its markers stand.
            let pieces = text.components(separatedBy: PromptTemplate.imageMarker)
            for (i, piece) in pieces.enumerated() {
                chunks.append(tokenizer.encode(piece))
                if i < pieces.count - 1 { chunks.appendImage() }
            }
        }
        return RenderedPrompt(text: text, chunks: chunks.chunks, imageTokenID: vision?.imageTokenID ?? 0)
    }
}

import LoomMedia

/// How a conversation becomes the model's text.
public enum PromptTemplate: String, Sendable, CaseIterable, Codable {
    /// The checkpoint's `chat_template.json` semantics (llava-hf): in each message all images first, then each
    /// text part on its own line; no system prompt. For a text-only checkpoint, Qwen's ChatML with its
    /// default system prompt.
    case hf
    /// Each image exactly where it stands in the content (an `<image>` marker, or an image part).
    case interleaved
    /// The original LLaVA-NeXT `qwen_1_5` conversation as the authors' evaluation tokenises it: system prompt
    /// "You are a helpful assistant.", and a `\n` token inserted after every image.
    case llava

    /// The marker that stands for an image in text.
    public static let imageMarker = "<image>"

    /// The template to use when none is named: `interleaved` when some image stands after text in its message
    /// (the user placed it), `hf` when every message's images lead it.
    public static func automatic(for conversation: Conversation) -> PromptTemplate {
        let placed = conversation.messages.contains { message in
            guard let firstText = message.content.firstIndex(where: { if case .text = $0 { return true } else { return false } })
            else { return false }
            return message.content[firstText...].contains { if case .image = $0 { return true } else { return false } }
        }
        return placed ? .interleaved : .hf
    }

    /// Content parts for `text` and `images` given separately (as on a command line). Under `hf` the images come
    /// first and the text is kept as is. Otherwise images replace the `<image>` markers in order — their counts
    /// must match — and with no markers at all the images come first.
    public static func parts(text: String, images: [ImageSource], template: PromptTemplate) throws -> [ContentPart] {
        let pieces = text.components(separatedBy: imageMarker)
        if template == .hf || pieces.count == 1 { return images.map { .image($0) } + [.text(text)] }
        guard pieces.count - 1 == images.count else {
            throw PromptError.markerCountMismatch(markers: pieces.count - 1, images: images.count)
        }
        var parts: [ContentPart] = []
        for (i, piece) in pieces.enumerated() {
            if !piece.isEmpty { parts.append(.text(piece)) }
            if i < images.count { parts.append(.image(images[i])) }
        }
        return parts
    }
}

/// Why a prompt could not be rendered.
public enum PromptError: Error, CustomStringConvertible, Equatable {
    case markerCountMismatch(markers: Int, images: Int)
    case markersInHFTemplate(Int)
    case imagesWithoutVision(Int)
    case markerInText(Int)
    case emptyConversation

    public var description: String {
        switch self {
        case .markerCountMismatch(let markers, let images):
            return "the prompt has \(markers) <image> marker\(markers == 1 ? "" : "s") but \(images) image\(images == 1 ? " was" : "s were") given"
        case .markersInHFTemplate(let count):
            return "the hf template places images itself; remove the \(count) <image> marker\(count == 1 ? "" : "s") or use --template interleaved"
        case .imagesWithoutVision(let count):
            return "this model has no vision tower but \(count) image\(count == 1 ? " was" : "s were") given"
        case .markerInText(let count):
            return "\(count) <image> marker\(count == 1 ? "" : "s") left in the text with no image to stand for; give images as image parts"
        case .emptyConversation:
            return "empty prompt: the conversation has no text and no images"
        }
    }
}

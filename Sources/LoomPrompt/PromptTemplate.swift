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
    /// The checkpoint's own Jinja chat template (or a template file the caller gave), rendered as transformers does.
    case checkpoint

    /// The marker that stands for an image in text.
    public static let imageMarker = "<image>"

    /// The template to use when none is named: `interleaved` when some image stands after text in its message
    /// (the user placed it), `hf` when every message's images lead it.
    public static func automatic(for conversation: Conversation) -> PromptTemplate {
        let placed = conversation.messages.contains { message in
            guard let firstText = message.content.firstIndex(where: { if case .text = $0 { return true } else { return false } })
            else { return false }
            return message.content[firstText...].contains { if case .text = $0 { return false } else { return true } }
        }
        return placed ? .interleaved : .hf
    }

    /// The marker that stands for a video in text.
    public static let videoMarker = "<video>"
    /// The marker that stands for the views of a 3D scene in text.
    public static let viewsMarker = "<views>"

    /// Content parts for text and media given separately (as on a command line). Under `hf` the media come first
    /// and the text is kept as is. Otherwise each `<image>`, `<video>` and `<views>` marker takes the next item
    /// of its kind — the counts must match per kind — and with no markers at all the media come first.
    public static func parts(text: String, media: [ContentPart], template: PromptTemplate) throws -> [ContentPart] {
        let markers = [imageMarker, videoMarker, viewsMarker]
        let pieces = split(text, on: markers)
        let markerCount = pieces.filter { markers.contains($0) }.count
        if template == .hf || markerCount == 0 { return media + [.text(text)] }
        var queues = Dictionary(grouping: media, by: marker(for:))
        for kind in markers {
            let wanted = pieces.filter { $0 == kind }.count
            let given = queues[kind]?.count ?? 0
            guard wanted == given else {
                throw PromptError.markerCountMismatch(marker: kind, markers: wanted, items: given)
            }
        }
        return pieces.compactMap { piece in
            if markers.contains(piece) { return queues[piece]!.removeFirst() }
            return piece.isEmpty ? nil : .text(piece)
        }
    }

    /// The marker a media part stands for.
    static func marker(for part: ContentPart) -> String {
        switch part {
        case .image: return imageMarker
        case .video: return videoMarker
        case .views: return viewsMarker
        case .text: return ""
        }
    }

    /// `text` cut into runs of plain text and the markers themselves, in order.
    static func split(_ text: String, on markers: [String]) -> [String] {
        var pieces: [String] = []
        var rest = text[...]
        while let found = markers.compactMap({ marker in rest.range(of: marker).map { (marker, $0) } }).min(by: { $0.1.lowerBound < $1.1.lowerBound }) {
            pieces.append(String(rest[..<found.1.lowerBound]))
            pieces.append(found.0)
            rest = rest[found.1.upperBound...]
        }
        pieces.append(String(rest))
        return pieces
    }
}

/// Why a prompt could not be rendered.
public enum PromptError: Error, CustomStringConvertible, Equatable {
    case markerCountMismatch(marker: String, markers: Int, items: Int)
    case markersInHFTemplate(Int)
    case imagesWithoutVision(Int)
    case markerInText(Int)
    case emptyConversation
    case unresolvedVideo
    case noChatTemplate(String)
    case templateImageCount(template: String, rendered: Int, images: Int)
    case templateAltersText(String)

    public var description: String {
        switch self {
        case .markerCountMismatch(let marker, let markers, let items):
            let noun = ["<image>": "image", "<video>": "video", "<views>": "views set"][marker] ?? "item"
            return "the prompt has \(markers) \(marker) marker\(markers == 1 ? "" : "s") but \(items) \(noun)\(items == 1 ? " was" : "s were") given"
        case .markersInHFTemplate(let count):
            return "the hf template places images itself; remove the \(count) <image> marker\(count == 1 ? "" : "s") or use --template interleaved"
        case .imagesWithoutVision(let count):
            return "this model has no vision tower but \(count) image\(count == 1 ? " was" : "s were") given"
        case .markerInText(let count):
            return "\(count) <image> marker\(count == 1 ? "" : "s") left in the text with no image to stand for; give images as image parts"
        case .emptyConversation:
            return "empty prompt: the conversation has no text and no images"
        case .unresolvedVideo:
            return "a video must be decoded into frames before the prompt is rendered (LoomModel does this)"
        case .noChatTemplate(let where_):
            return "\(where_) has no chat template (give --template hf, interleaved, llava or a template file)"
        case .templateImageCount(let template, let rendered, let images):
            return "the chat template \(template) rendered \(rendered) image token\(rendered == 1 ? "" : "s") for \(images) image\(images == 1 ? "" : "s")"
        case .templateAltersText(let template):
            return "the chat template \(template) changes message text, so it cannot keep special-token strings in it inert; use a built-in template"
        }
    }
}

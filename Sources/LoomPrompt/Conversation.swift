import Foundation
import LoomMedia

/// One piece of a message, in the order the user gave it.
public enum ContentPart: Sendable, Equatable {
    /// Text. In the `interleaved` and `llava` templates an `<image>` marker inside it stands for the next image.
    case text(String)
    /// One image.
    case image(ImageSource)
    /// The views of one 3D scene: one block of images, in order.
    case views([ImageSource])
    /// A video: its sampled frames enter as one block of images where it stands (see ``VideoRequest``).
    case video(VideoRequest)
}

/// A video in a prompt and how to sample its frames. `LoomKit` decodes it into frames before rendering.
public struct VideoRequest: Sendable, Equatable {
    /// How frames are chosen.
    public enum Sampling: Sendable, Equatable {
        /// `linspace(0, total−1, min(total, n))` truncated, as lmms-eval samples.
        case uniform
        /// Every `total // n`-th frame, as the authors' interleave demo does.
        case interval
        /// Frames at `rate` per second, at most `n`.
        case fps(Double)
    }

    public var url: URL
    /// Frames wanted (`n`); the blog's inference setting is 16.
    public var frames: Int
    public var sampling: Sampling
    /// Whether each frame is preceded by its time in the text (off by default, keeping the reference format).
    public var showTimestamps: Bool

    public init(url: URL, frames: Int = 16, sampling: Sampling = .uniform, showTimestamps: Bool = false) {
        self.url = url
        self.frames = frames
        self.sampling = sampling
        self.showTimestamps = showTimestamps
    }
}

/// Who speaks a message.
public enum Role: String, Sendable, Equatable, Codable {
    case system, user, assistant
}

/// One turn of a conversation.
public struct Message: Sendable, Equatable {
    public var role: Role
    public var content: [ContentPart]

    public init(role: Role, content: [ContentPart]) {
        self.role = role
        self.content = content
    }

    /// The images of this message, in order (views expanded; videos must have been resolved to frames).
    public var images: [ImageSource] {
        content.flatMap { part -> [ImageSource] in
            switch part {
            case .image(let source): return [source]
            case .views(let sources): return sources
            case .text, .video: return []
            }
        }
    }
}

/// An ordered list of messages; every image of every turn is kept, in order.
public struct Conversation: Sendable, Equatable {
    public var messages: [Message]

    public init(_ messages: [Message] = []) { self.messages = messages }

    /// A conversation of one user message.
    public static func user(_ content: [ContentPart]) -> Conversation {
        Conversation([Message(role: .user, content: content)])
    }

    /// A conversation of one user message of text and images given separately (see ``PromptTemplate/parts(text:media:template:)``).
    public static func user(text: String, images: [ImageSource], template: PromptTemplate) throws -> Conversation {
        .user(try PromptTemplate.parts(text: text, media: images.map { .image($0) }, template: template))
    }

    /// Appends a message.
    public mutating func append(_ role: Role, _ content: [ContentPart]) {
        messages.append(Message(role: role, content: content))
    }

    /// Every image of every message, in order.
    public var images: [ImageSource] { messages.flatMap(\.images) }

    /// Whether any message still holds a video to decode.
    public var hasVideo: Bool {
        messages.contains { $0.content.contains { if case .video = $0 { return true } else { return false } } }
    }
}

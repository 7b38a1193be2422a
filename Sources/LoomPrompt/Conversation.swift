import LoomMedia

/// One piece of a message, in the order the user gave it.
public enum ContentPart: Sendable, Equatable {
    /// Text. In the `interleaved` and `llava` templates an `<image>` marker inside it stands for the next image.
    case text(String)
    /// One image.
    case image(ImageSource)
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

    /// The images of this message, in order.
    public var images: [ImageSource] {
        content.compactMap { if case .image(let source) = $0 { return source } else { return nil } }
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

    /// A conversation of one user message of text and images given separately (see ``PromptTemplate/parts(text:images:template:)``).
    public static func user(text: String, images: [ImageSource], template: PromptTemplate) throws -> Conversation {
        .user(try PromptTemplate.parts(text: text, images: images, template: template))
    }

    /// Appends a message.
    public mutating func append(_ role: Role, _ content: [ContentPart]) {
        messages.append(Message(role: role, content: content))
    }

    /// Every image of every message, in order.
    public var images: [ImageSource] { messages.flatMap(\.images) }
}

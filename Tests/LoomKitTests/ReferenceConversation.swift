import LoomMedia
import LoomPrompt

/// The conversation of a reference case's `prompt`: a list of messages whose image parts take `images` in order, or
/// one rendered user turn (its text without the ChatML wrapper) asked with `images` in `template`.
func referenceConversation(_ json: [String: Any], images: [ImageSource], template: PromptTemplate) throws -> Conversation {
    switch json["prompt"] {
    case let messages as [[String: Any]]:
        var remaining = images[...]
        return Conversation(messages.map { message in
            let parts = (message["content"] as! [[String: Any]]).map { part -> ContentPart in
                part["type"] as! String == "image" ? .image(remaining.popFirst()!) : .text(part["text"] as! String)
            }
            return Message(role: Role(rawValue: message["role"] as! String)!, content: parts)
        })
    case let text as String:
        let question = text.hasPrefix("<|im_start|>user\n")
            ? String(text.dropFirst("<|im_start|>user\n".count)).components(separatedBy: "<|im_end|>")[0]
            : text
        return try Conversation.user(text: question, images: images, template: template)
    default:
        fatalError("case \(json["name"]!) has no prompt")
    }
}

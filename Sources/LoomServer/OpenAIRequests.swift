import Foundation

/// What both completion routes' bodies have.
protocol CompletionBody: Decodable, Sendable {
    var model: String { get }
    var stream: Bool? { get }
    var streamOptions: StreamOptions? { get }
}

/// `POST /v1/chat/completions`. Unknown fields are ignored (clients send extras); Loom's own extensions start with
/// `loom_`.
struct ChatCompletionRequest: CompletionBody {
    var model: String
    var messages: [ChatMessage]
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Float?
    var topP: Float?
    var topK: Int?
    var seed: UInt64?
    var stop: StopField?
    var logprobs: Bool?
    var topLogprobs: Int?
    var n: Int?
    var stream: Bool?
    var streamOptions: StreamOptions?
    /// vLLM's extension: `{"video": {"num_frames": 16}}`.
    var mediaIOKwargs: MediaIOKwargs?
    /// Loom's extensions: the template (`hf`, `interleaved`, `llava`), and video sampling.
    var loomTemplate: String?
    var loomFrames: Int?
    var loomSampling: String?
    var loomFPS: Double?

    enum CodingKeys: String, CodingKey {
        case model, messages, maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens", temperature
        case topP = "top_p", topK = "top_k", seed, stop, logprobs, topLogprobs = "top_logprobs", n, stream
        case streamOptions = "stream_options", mediaIOKwargs = "media_io_kwargs", loomTemplate = "loom_template"
        case loomFrames = "loom_frames", loomSampling = "loom_sampling", loomFPS = "loom_fps"
    }
}

/// `POST /v1/completions` (a text prompt, given verbatim).
struct CompletionRequest: CompletionBody {
    var model: String
    var prompt: PromptField
    var maxTokens: Int?
    var temperature: Float?
    var topP: Float?
    var topK: Int?
    var seed: UInt64?
    var stop: StopField?
    var logprobs: Int?
    var n: Int?
    var stream: Bool?
    var streamOptions: StreamOptions?

    enum CodingKeys: String, CodingKey {
        case model, prompt, maxTokens = "max_tokens", temperature, topP = "top_p", topK = "top_k", seed, stop, logprobs, n
        case stream, streamOptions = "stream_options"
    }
}

struct StreamOptions: Decodable {
    var includeUsage: Bool?
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

struct MediaIOKwargs: Decodable {
    struct Video: Decodable {
        var numFrames: Int?
        enum CodingKeys: String, CodingKey { case numFrames = "num_frames" }
    }
    var video: Video?
}

/// `stop`: one string or a list.
struct StopField: Decodable {
    var strings: [String]
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) { strings = [one] } else { strings = try container.decode([String].self) }
    }
}

/// A completion `prompt`: one string, or a list of exactly one string.
struct PromptField: Decodable {
    var text: String
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            text = one
            return
        }
        let many = try container.decode([String].self)
        guard many.count == 1 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "give one prompt per request (got \(many.count))")
        }
        text = many[0]
    }
}

/// One message of a chat.
struct ChatMessage: Decodable {
    var role: String
    var content: [ChatContentPart]

    enum CodingKeys: String, CodingKey { case role, content }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decode(String.self, forKey: .role)
        if try c.decodeNil(forKey: .content) {
            content = []
        } else if let text = try? c.decode(String.self, forKey: .content) {
            content = [.text(text)]
        } else {
            content = try c.decode([ChatContentPart].self, forKey: .content)
        }
    }
}

/// A typed part of a message's content.
enum ChatContentPart: Decodable {
    case text(String)
    /// `image_url` (`data:`, `file://` or `http(s)` URL).
    case image(url: String)
    /// `video_url` (vLLM's extension).
    case video(url: String)
    /// `loom_views`: the views of one 3D scene, in order (Loom's extension): `{"type": "loom_views", "loom_views":
    /// [{"url": …}, …]}`.
    case views(urls: [String])

    struct URLField: Decodable { var url: String }

    enum CodingKeys: String, CodingKey {
        case type, text, imageURL = "image_url", videoURL = "video_url", views = "loom_views"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "text": self = .text(try c.decode(String.self, forKey: .text))
        case "image_url": self = .image(url: try c.decode(URLField.self, forKey: .imageURL).url)
        case "video_url": self = .video(url: try c.decode(URLField.self, forKey: .videoURL).url)
        case "loom_views": self = .views(urls: try c.decode([URLField].self, forKey: .views).map(\.url))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c,
                                                   debugDescription: "unsupported content part type '\(type)' (text, image_url, video_url, loom_views)")
        }
    }
}

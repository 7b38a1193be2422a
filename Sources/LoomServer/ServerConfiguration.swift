import Foundation
import LoomEngine
import LoomPrompt

/// How `loom serve` listens, whom it serves and what it accepts. Every field has a default; ``validate()`` names the
/// first bad value.
public struct ServerConfiguration: Sendable {
    /// Address to bind (loopback by default).
    public var host = "127.0.0.1"
    public var port = 8080
    /// Bearer key every route but `/health` requires; nil serves anyone.
    public var apiKey: String?
    /// The model's name in `/v1/models` and in requests.
    public var servedModelName = "loom"
    /// Most images (video frames and views count as their images) and videos in one request.
    public var maxImagesPerPrompt = 16
    public var maxVideosPerPrompt = 1
    /// Refuse images whose header declares more pixels than this, before decoding them.
    public var maxImagePixels = 89_478_485
    /// Most bytes of a request body (clients send PNG data URLs).
    public var maxBodyBytes = 64 << 20
    /// `file://` media is read only from below this directory (nil: never).
    public var allowedLocalMediaPath: String?
    /// Whether `http(s)` media may be fetched (never from private, loopback or link-local addresses).
    public var allowRemoteMedia = false
    /// Most bytes and seconds of one remote fetch.
    public var maxRemoteMediaBytes = 64 << 20
    public var remoteMediaTimeout: TimeInterval = 10
    /// Origins answered with CORS headers (none by default).
    public var corsOrigins: [String] = []
    /// Frames sampled from a video, and how (overridable per request).
    public var videoFrames = 16
    public var videoSampling = VideoRequest.Sampling.uniform
    /// The template requests use unless they name one (`loom_template`); nil: the model's own — `llava` for the
    /// original LLaVA-NeXT checkpoints, the checkpoint's chat template when it ships one, else `hf`.
    public var template: PromptTemplate?
    /// Bind literal `<image>` markers in a message's text to that message's images (the authors' evaluation layout)
    /// when their counts match; off by default, when `<image>` typed in text is plain text.
    public var bindImageMarkers = false
    /// Seconds a client is told to wait when the queue is full.
    public var retryAfterSeconds = 1

    public init() {}

    /// Checks every value is usable.
    public func validate() throws {
        guard (1...65535).contains(port) || port == 0 else { throw ServerError.invalidConfiguration("--port must be 0…65535, is \(port)") }
        guard maxImagesPerPrompt >= 0, maxVideosPerPrompt >= 0 else {
            throw ServerError.invalidConfiguration("--limit-mm-per-prompt values must be ≥ 0")
        }
        guard maxImagePixels > 0 else { throw ServerError.invalidConfiguration("--max-image-pixels must be > 0") }
        guard maxBodyBytes > 0 else { throw ServerError.invalidConfiguration("--max-body-bytes must be > 0") }
        guard videoFrames >= 1 else { throw ServerError.invalidConfiguration("--frames must be ≥ 1") }
        if let path = allowedLocalMediaPath {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ServerError.invalidConfiguration("--allowed-local-media-path \(path) is not a directory")
            }
        }
        if apiKey?.isEmpty == true { throw ServerError.invalidConfiguration("--api-key is empty") }
    }

    /// Reads vLLM's `--limit-mm-per-prompt` JSON (`{"image": 16, "video": 1}`).
    public mutating func setMediaLimits(json: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw ServerError.invalidConfiguration("--limit-mm-per-prompt takes a JSON object such as {\"image\":16,\"video\":1}")
        }
        for (key, value) in object {
            guard let count = (value as? NSNumber)?.intValue, count >= 0 else {
                throw ServerError.invalidConfiguration("--limit-mm-per-prompt: \(key) must be a count ≥ 0")
            }
            switch key {
            case "image": maxImagesPerPrompt = count
            case "video": maxVideosPerPrompt = count
            default: throw ServerError.invalidConfiguration("--limit-mm-per-prompt: unknown modality '\(key)' (image, video)")
            }
        }
    }
}

/// A server that cannot start.
public enum ServerError: Error, CustomStringConvertible {
    case invalidConfiguration(String)
    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): reason
        }
    }
}

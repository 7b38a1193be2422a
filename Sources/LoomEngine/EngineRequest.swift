import Foundation
import LoomCore
import LoomGeneration
import LoomMedia
import LoomModels

/// A piece of a request's prompt, in order.
public enum EngineInput: Sendable {
    /// Token ids.
    case tokens([Int])
    /// A decoded image, encoded by the engine (or found in its feature cache) when its turn comes.
    case image(EngineImage)

    /// Decoder positions the piece takes.
    public var positions: Int {
        switch self {
        case .tokens(let ids): ids.count
        case .image(let image): image.positions
        }
    }
}

/// A decoded image of a prompt with what turns it into decoder rows.
public struct EngineImage: Sendable {
    /// The pixels.
    public let image: RGBImage
    /// How the model encodes it.
    public let encoder: any ImageEncoding
    /// Its content hash under that encoding (the feature-cache key).
    public let key: String
    /// Decoder positions its features take (``ImageEncoding/positions(width:height:)``).
    public let positions: Int

    public init(_ image: RGBImage, encoder: any ImageEncoding) {
        self.image = image
        self.encoder = encoder
        key = encoder.contentKey(of: image)
        positions = encoder.positions(width: image.width, height: image.height)
    }
}

/// Identifies a submitted request (for ``Engine/cancel(_:)``).
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public var description: String { "request \(rawValue)" }
}

/// What a client asks the engine for: a prompt and how to decode after it.
public struct EngineRequest: Sendable {
    public var prompt: [EngineInput]
    public var parameters: GenerationParameters

    public init(prompt: [EngineInput], parameters: GenerationParameters) {
        self.prompt = prompt
        self.parameters = parameters
    }

    /// Positions the prompt takes.
    public var positions: Int { prompt.reduce(0) { $0 + $1.positions } }
}

/// What the engine tells a request's handler, in order: tokens, then exactly one of `finished` or `failed`.
public enum EngineEvent: Sendable {
    /// A generated token and the text it completed.
    case token(GeneratedToken)
    /// Generation ended.
    case finished(GenerationResult)
    /// The request stopped without a result (cancelled, or its images could not be encoded).
    case failed(Error)
}

/// Why the engine refused or stopped a request.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case invalidRequest(String)
    /// The request's KV cache can never fit the budget.
    case exceedsBudget(bytes: Int, budget: Int)
    /// The waiting queue is full; try again later.
    case queueFull(waiting: Int)
    case cancelled
    case shutDown

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason), .invalidRequest(let reason): reason
        case .exceedsBudget(let bytes, let budget):
            "the request needs \(bytes >> 20) MiB of KV cache, more than the whole budget of \(budget >> 20) MiB"
        case .queueFull(let waiting): "the engine is busy: \(waiting) requests are already waiting"
        case .cancelled: "the request was cancelled"
        case .shutDown: "the engine has shut down"
        }
    }
}

/// One engine step, as reported to ``Engine/onStep``.
public struct EngineStepReport: Sendable {
    /// Sequences advanced by the batched decode.
    public let decodeRows: Int
    /// Prompt positions prefilled by this step's unit (0 when it encoded an image or had none).
    public let prefillRows: Int
    /// Images whose encoding this step's unit finished (cache hits excluded).
    public let encodedImages: Int
    /// Whether this step's unit ran vision-tower layers.
    public let visionWork: Bool
    /// Sequences running after the step, and requests still waiting.
    public let running: Int
    public let waiting: Int
    /// Wall time of the decode part and of the whole step.
    public let decodeMs: Double
    public let ms: Double
}

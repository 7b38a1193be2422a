import Foundation
import LoomCore
import LoomGeneration
import LoomModels

/// One request inside the engine: its prompt as it is encoded and prefilled, its KV cache once admitted, and its
/// decoding state. Touched only by the engine's thread after submission.
final class EngineSequence {
    let id: RequestID
    let prompt: [EngineInput]
    let positions: Int
    /// Bytes of KV cache the sequence reserves while it runs.
    let bytes: Int
    let handler: @Sendable (EngineEvent) -> Void
    var decoder: SequenceDecoder
    /// Projected features of the prompt's images, by prompt index, as they are encoded.
    var features: [Int: Tensor] = [:]
    /// The image being encoded now (the next one without features), between steps.
    var encoding: (any ImageEncodingJob)?
    /// The prompt as decoder input, once every image is encoded.
    var inputs: [DecoderInput]?
    /// Positions already prefilled.
    var prefilled = 0
    /// The last generated token, the input of the next decode step.
    var lastToken: Int?
    var cache: DecoderCache?
    var timings = GenerationTimings()
    let submitted = DispatchTime.now()
    var firstToken: DispatchTime?

    init(id: RequestID, request: EngineRequest, decoder: SequenceDecoder, bytes: Int, handler: @escaping @Sendable (EngineEvent) -> Void) {
        self.id = id
        prompt = request.prompt
        positions = request.positions
        self.decoder = decoder
        self.bytes = bytes
        self.handler = handler
    }

    /// Whether the prompt is fully prefilled and tokens are being generated.
    var isDecoding: Bool { lastToken != nil }

    /// The index of the next prompt image without features, if any.
    var nextImage: Int? {
        prompt.indices.first { index in
            if case .image = prompt[index], features[index] == nil { return true }
            return false
        }
    }

    /// The prompt as decoder input (every image's features must be known).
    func decoderInputs() -> [DecoderInput] {
        if let inputs { return inputs }
        let built = prompt.indices.map { index -> DecoderInput in
            switch prompt[index] {
            case .tokens(let ids): .tokens(ids)
            case .image: .features(features[index]!)
            }
        }
        inputs = built
        return built
    }
}

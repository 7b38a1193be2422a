import Foundation
import LoomCore
import LoomEngine
import LoomGeneration
import LoomMedia
import LoomModels

/// Requests of `loom bench`, run through the engine exactly as users' requests are.
struct BenchRun {
    let engine: Engine
    /// Text tokens beside the images of an image prompt.
    let textTokens: Int
    /// Tokens decoded after the prompt whose decode rate is reported.
    let decodeTokens: Int

    /// `count` deterministic token ids spread over the vocabulary.
    func textIDs(_ count: Int) -> [Int] {
        (0..<count).map { ($0 * 7919 + 13) % engine.model.vocabularySize }
    }

    /// A text-only prompt of `length` tokens.
    func textPrompt(_ length: Int) -> [EngineInput] { [.tokens(textIDs(length))] }

    /// `images` synthetic photos (each a little different) followed by the text tokens.
    func imagePrompt(images: Int, encoder: any ImageEncoding, variant: Int = 0) -> [EngineInput] {
        (0..<images).map { .image(EngineImage(BenchRun.syntheticPhoto(width: 640, height: 480, variant: variant * 64 + $0), encoder: encoder)) }
            + [.tokens(textIDs(textTokens))]
    }

    /// Greedy decoding that ignores end-of-sequence tokens, for `tokens` tokens.
    static func parameters(tokens: Int) -> GenerationParameters { GenerationParameters(maxNewTokens: tokens) }

    /// Runs `prompt`, decoding ``decodeTokens`` tokens after it when `decode` (else one token); also the
    /// milliseconds from `start` to the first token.
    func generate(_ prompt: [EngineInput], decode: Bool, since start: DispatchTime = .now()) throws
        -> (result: GenerationResult, firstTokenMs: Double) {
        var firstTokenMs: Double?
        let result = try engine.generate(EngineRequest(prompt: prompt, parameters: BenchRun.parameters(tokens: decode ? decodeTokens + 1 : 1))) { _ in
            if firstTokenMs == nil { firstTokenMs = millisecondsSince(start) }
        }
        return (result, firstTokenMs ?? 0)
    }

    /// What the batch-decode scenario measured for one batch size.
    struct BatchDecode: Encodable {
        let weights: String
        let batch: Int
        let aggregateDecodeTokensPerS: Double
        let perSequenceDecodeTokensPerS: Double
        /// Median wall time of a decode step advancing every one of the batch's sequences.
        let stepMs: Double
        /// Time to first token of one more request of the same kind, alone and while the batch decodes.
        let timeToFirstTokenAloneMs: Double
        let timeToFirstTokenUnderLoadMs: Double
        enum CodingKeys: String, CodingKey {
            case weights, batch, aggregateDecodeTokensPerS = "aggregate_decode_tokens_per_s"
            case perSequenceDecodeTokensPerS = "per_sequence_decode_tokens_per_s", stepMs = "step_ms"
            case timeToFirstTokenAloneMs = "time_to_first_token_alone_ms"
            case timeToFirstTokenUnderLoadMs = "time_to_first_token_under_load_ms"
        }
    }

    /// For each batch size B: B conversations with their own prompts of `images` images decode together; the figure
    /// is the median step over ``decodeTokens`` steps in which all B decode and nothing else runs. Once all B decode,
    /// one more request arrives and its time to first token is taken.
    func batchDecode(_ batches: [Int], images: Int, encoder: any ImageEncoding, towerLayers: Int, weights: String) throws -> [BatchDecode] {
        let alone = try timeToFirstToken(images: images, encoder: encoder, variant: 1)
        return try batches.map { batch in
            let steps = StepLog(batch: batch)
            engine.onStep = { steps.record($0) }
            defer { engine.onStep = nil }
            let prompt = imagePrompt(images: images, encoder: encoder, variant: 2)
            let positions = prompt.reduce(0) { $0 + $1.positions }
            // Every sequence keeps decoding while the later ones are prefilled and while the extra request is.
            let towerUnits = (towerLayers + engine.configuration.visionLayersPerStep - 1) / engine.configuration.visionLayersPerStep
            let units = images * towerUnits + (positions + engine.configuration.prefillChunk - 1) / engine.configuration.prefillChunk
            let budget = decodeTokens + units * (batch + 1) + 2
            let group = DispatchGroup()
            let failure = FailureBox()
            for index in 0..<batch {
                group.enter()
                try engine.submit(EngineRequest(prompt: imagePrompt(images: images, encoder: encoder, variant: 3 + index),
                                                parameters: BenchRun.parameters(tokens: budget))) { event in
                    switch event {
                    case .token: break
                    case .finished: group.leave()
                    case .failed(let error):
                        failure.error = error
                        group.leave()
                    }
                }
            }
            steps.allDecoding.wait()
            let underLoad = try timeToFirstToken(images: images, encoder: encoder, variant: 100 + batch)
            group.wait()
            if let error = failure.error { throw error }
            let stepMs = steps.medianFullStepMs(limit: decodeTokens)
            return BatchDecode(weights: weights, batch: batch, aggregateDecodeTokensPerS: Double(batch) / (stepMs / 1000),
                               perSequenceDecodeTokensPerS: 1000 / stepMs, stepMs: stepMs,
                               timeToFirstTokenAloneMs: alone, timeToFirstTokenUnderLoadMs: underLoad)
        }
    }

    /// Wall time from building a prompt of `images` images to its first token.
    func timeToFirstToken(images: Int, encoder: any ImageEncoding, variant: Int) throws -> Double {
        let start = DispatchTime.now()
        return try generate(imagePrompt(images: images, encoder: encoder, variant: variant), decode: false, since: start).firstTokenMs
    }

    /// A smooth, photo-like RGB image (gradients and texture) of the given size; `variant` shifts its texture.
    static func syntheticPhoto(width: Int, height: Int, variant: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8((x * 255) / width)
                pixels[i + 1] = UInt8((y * 255) / height)
                pixels[i + 2] = UInt8((((x + variant) ^ y) & 0x3F) * 3)
            }
        }
        return try! RGBImage(width: width, height: height, pixels: pixels)
    }
}

/// The engine steps of one batch-decode run.
private final class StepLog: @unchecked Sendable {
    let batch: Int
    /// Signalled at the first step in which every sequence of the batch decodes.
    let allDecoding = DispatchSemaphore(value: 0)
    private var fullSteps: [Double] = []
    private var signalled = false
    private let lock = NSLock()

    init(batch: Int) { self.batch = batch }

    func record(_ step: EngineStepReport) {
        lock.withLock {
            guard step.decodeRows == batch else { return }
            if !signalled {
                signalled = true
                allDecoding.signal()
            }
            if step.prefillRows == 0 && !step.visionWork { fullSteps.append(step.decodeMs) }
        }
    }

    /// The median decode time of the first `limit` steps in which the batch decoded and nothing else ran.
    func medianFullStepMs(limit: Int) -> Double {
        lock.withLock {
            let steps = fullSteps.prefix(limit).sorted()
            return steps.isEmpty ? .nan : steps[steps.count / 2]
        }
    }
}

/// The first error of a group of requests.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Error?
    var error: Error? {
        get { lock.withLock { stored } }
        set { lock.withLock { if stored == nil { stored = newValue } } }
    }
}

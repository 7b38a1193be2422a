import Foundation
import LoomCore
import LoomGeneration
import LoomModels
import LoomTokenizers

/// One thread that owns a decoder, the KV caches of every sequence and the image-feature cache, and advances many
/// conversations together.
///
/// Clients ``submit(_:handler:)`` requests (or take a ``stream(_:)``) and receive their tokens as events;
/// ``cancel(_:)`` (or dropping the stream) frees a request's cache at the next step. Each step runs one batched
/// decode of every generating sequence, then at most one bounded unit of prefill: a few vision-tower layers of an
/// image (``EngineConfiguration/visionLayersPerStep``), or up to ``EngineConfiguration/prefillChunk`` prompt
/// positions, of the oldest admitted request. Requests
/// are admitted in order of arrival while their reserved KV bytes fit the budget. A sequence's tokens do not
/// depend on what else runs: its prefill runs alone, and the decode products give every row the result it
/// would have alone.
public final class Engine: @unchecked Sendable {
    /// The decoder.
    public let model: any LanguageModel
    /// Detokenizes generated text; nil streams token ids only.
    public let tokenizer: Tokenizer?
    public let configuration: EngineConfiguration
    /// Projected features of images already encoded.
    public let featureCache: ImageFeatureCache
    /// Sequences whose decode rows run through one product together: the row products' limit, within which every
    /// row's result is the same whatever the batch.
    public static let decodeGroupRows = Linear.rowKernelLimit

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var waiting: [EngineSequence] = []
    private var cancelled: Set<RequestID> = []
    private var jobs: [() -> Void] = []
    private var reserved = 0
    private var runningCount = 0
    private var nextID = 0
    private var stopping = false
    private var observer: (@Sendable (EngineStepReport) -> Void)?
    // Owned by the engine thread:
    private var running: [EngineSequence] = []

    /// Starts an engine over `model`.
    public init(model: any LanguageModel, tokenizer: Tokenizer?, configuration: EngineConfiguration = EngineConfiguration()) throws {
        try configuration.validate()
        self.model = model
        self.tokenizer = tokenizer
        self.configuration = configuration
        featureCache = ImageFeatureCache(capacityBytes: configuration.featureCacheBytes)
        let thread = Thread { [self] in loop() }
        thread.name = "loom-engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Called on the engine's thread after every step (for benchmarks and metrics; keep it short).
    public var onStep: (@Sendable (EngineStepReport) -> Void)? {
        get { condition.withLock { observer } }
        set { condition.withLock { observer = newValue } }
    }

    /// Bytes of KV cache reserved by the running sequences.
    public var reservedBytes: Int { condition.withLock { reserved } }
    /// Sequences admitted and not finished.
    public var runningRequests: Int { condition.withLock { runningCount } }
    /// Requests waiting for admission.
    public var waitingRequests: Int { condition.withLock { waiting.count } }

    /// Queues `request`; `handler` receives its events on the engine's thread (it must return quickly). Throws
    /// when the request is invalid, can never fit the KV budget, or the waiting queue is full.
    @discardableResult
    public func submit(_ request: EngineRequest, handler: @escaping @Sendable (EngineEvent) -> Void) throws -> RequestID {
        let decoder = try SequenceDecoder(parameters: request.parameters, promptPositions: request.positions,
                                          contextLength: model.contextLength, tokenizer: tokenizer)
        for case .tokens(let ids) in request.prompt {
            if let bad = ids.first(where: { $0 < 0 || $0 >= model.vocabularySize }) {
                throw EngineError.invalidRequest("token id \(bad) is outside the model's vocabulary of \(model.vocabularySize)")
            }
        }
        for case .image(let image) in request.prompt {
            guard image.positions > 0 else { throw EngineError.invalidRequest("an image takes no positions") }
        }
        let bytes = model.cacheBytes(positions: decoder.reservedPositions)
        guard bytes <= configuration.kvBudgetBytes else {
            throw EngineError.exceedsBudget(bytes: bytes, budget: configuration.kvBudgetBytes)
        }
        return try condition.withLock {
            guard !stopping else { throw EngineError.shutDown }
            guard waiting.count < configuration.maxWaiting else { throw EngineError.queueFull(waiting: waiting.count) }
            let id = RequestID(rawValue: nextID)
            nextID += 1
            waiting.append(EngineSequence(id: id, request: request, decoder: decoder, bytes: bytes, handler: handler))
            condition.signal()
            return id
        }
    }

    /// `request`'s events as a stream: tokens, then the result; the stream throws when the request fails.
    /// Ending the stream early (dropping it, or cancelling the task that reads it) cancels the request.
    public func stream(_ request: EngineRequest) throws -> AsyncThrowingStream<EngineEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<EngineEvent, Error>.makeStream()
        let id = try submit(request) { event in
            switch event {
            case .token: continuation.yield(event)
            case .finished:
                continuation.yield(event)
                continuation.finish()
            case .failed(let error): continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { [weak self] _ in self?.cancel(id) }
        return stream
    }

    /// Stops `id` at the next step and frees its cache; its handler then receives `failed(EngineError.cancelled)`.
    /// Does nothing once the request has ended.
    public func cancel(_ id: RequestID) {
        condition.withLock {
            cancelled.insert(id)
            condition.signal()
        }
    }

    /// Runs `body` on the engine's thread between steps and returns its result (model work outside requests, e.g.
    /// timing one component, without racing the steps).
    public func run<T>(_ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome<T>()
        try condition.withLock {
            guard !stopping else { throw EngineError.shutDown }
            jobs.append {
                outcome.result = Result { try body() }
                done.signal()
            }
            condition.signal()
        }
        done.wait()
        return try outcome.result!.get()
    }

    /// Stops the engine: waiting and running requests fail with ``EngineError/shutDown``.
    public func shutdown() {
        condition.withLock {
            stopping = true
            condition.signal()
        }
    }

    // MARK: - The engine's thread

    private func loop() {
        while true {
            condition.lock()
            while !stopping && jobs.isEmpty && cancelled.isEmpty && waiting.isEmpty && running.isEmpty { condition.wait() }
            if stopping {
                let abandoned = waiting + running
                waiting = []
                condition.unlock()
                running = []
                for sequence in abandoned { finish(sequence, failing: EngineError.shutDown) }
                return
            }
            let pendingJobs = jobs, cancels = cancelled
            jobs = []
            cancelled = []
            let dropped = waiting.filter { cancels.contains($0.id) }
            waiting.removeAll { cancels.contains($0.id) }
            condition.unlock()
            for job in pendingJobs { job() }
            for sequence in dropped { sequence.handler(.failed(EngineError.cancelled)) }
            for sequence in running where cancels.contains(sequence.id) { finish(sequence, failing: EngineError.cancelled) }
            admit()
            if !running.isEmpty { step() }
        }
    }

    /// Moves waiting requests into the running set, oldest first, while their KV reservations fit the budget.
    private func admit() {
        let admitted: [EngineSequence] = condition.withLock {
            var taken: [EngineSequence] = []
            while running.count + taken.count < configuration.maxSequences, let first = waiting.first,
                  reserved + first.bytes <= configuration.kvBudgetBytes {
                taken.append(waiting.removeFirst())
                reserved += first.bytes
            }
            runningCount += taken.count
            return taken
        }
        for sequence in admitted {
            let cache = model.makeCache()
            cache.reserve(sequence.decoder.reservedPositions)
            sequence.cache = cache
            sequence.timings.queueMs = millisecondsSince(sequence.submitted)
            running.append(sequence)
        }
    }

    /// One step: a batched decode of every generating sequence, then one unit of prefill.
    private func step() {
        let start = DispatchTime.now()
        let decoding = running.filter(\.isDecoding)
        for first in stride(from: 0, to: decoding.count, by: Engine.decodeGroupRows) {
            decode(Array(decoding[first..<min(first + Engine.decodeGroupRows, decoding.count)]))
        }
        let decodeMs = millisecondsSince(start)
        var prefillRows = 0, encodedImages = 0, vision = false
        if let sequence = running.first(where: { !$0.isDecoding }) {
            (prefillRows, encodedImages, vision) = prefillUnit(sequence)
        }
        let report = condition.withLock {
            (observer, EngineStepReport(decodeRows: decoding.count, prefillRows: prefillRows, encodedImages: encodedImages,
                                        visionWork: vision, running: running.count, waiting: waiting.count,
                                        decodeMs: decodeMs, ms: millisecondsSince(start)))
        }
        report.0?(report.1)
    }

    /// One decoder pass over the last token of each of `group`, then each sequence's next token.
    private func decode(_ group: [EngineSequence]) {
        let embeddings = model.embed(group.map { $0.lastToken! })
        let hidden = model.forward(DecoderBatch(embeddings: embeddings, segments: group.map {
            .init(cache: $0.cache!, rows: 1, output: .lastRow)
        }))
        let logits = model.logits(hidden)
        for (row, sequence) in group.enumerated() {
            sequence.timings.decodeTokens += 1
            accept(logits.row(row), for: sequence)
        }
    }

    /// The next unit of `sequence`'s prompt: up to ``EngineConfiguration/visionLayersPerStep`` tower layers of its next
    /// image not found in the feature cache, or its next chunk of positions once every image has features. Returns
    /// the positions prefilled, the images finished, and whether the unit ran the vision tower.
    private func prefillUnit(_ sequence: EngineSequence) -> (rows: Int, images: Int, vision: Bool) {
        while let index = sequence.nextImage {
            guard case .image(let image) = sequence.prompt[index] else { break }
            let start = DispatchTime.now()
            do {
                if sequence.encoding == nil {
                    if let cached = featureCache.features(for: image.key) {
                        sequence.features[index] = cached
                        continue
                    }
                    sequence.encoding = try image.encoder.startEncoding(image.image)
                }
                let features = try sequence.encoding!.advance(layers: configuration.visionLayersPerStep)
                sequence.timings.encodeMs += millisecondsSince(start)
                guard let features else { return (0, 0, true) }
                guard features.rows == image.positions, features.columns == model.hiddenSize else {
                    throw EngineError.invalidRequest("an image gave [\(features.rows), \(features.columns)] features for "
                        + "\(image.positions) positions of width \(model.hiddenSize)")
                }
                sequence.encoding = nil
                sequence.features[index] = features
                featureCache.store(features, for: image.key)
                return (0, 1, true)
            } catch {
                finish(sequence, failing: error)
                return (0, 0, true)
            }
        }
        let start = DispatchTime.now()
        let range = sequence.prefilled..<min(sequence.prefilled + configuration.prefillChunk, sequence.positions)
        let hidden = model.prefill(sequence.decoderInputs(), positions: range, cache: sequence.cache!)
        sequence.prefilled = range.upperBound
        if range.upperBound == sequence.positions {
            sequence.timings.prefillTokens = sequence.positions
            if sequence.decoder.isFinished {
                sequence.timings.prefillMs += millisecondsSince(start)
                complete(sequence)
            } else {
                let logits = model.logits(hidden)
                sequence.timings.prefillMs += millisecondsSince(start)
                accept(logits.row(0), for: sequence)
            }
        } else {
            sequence.timings.prefillMs += millisecondsSince(start)
        }
        return (range.count, 0, false)
    }

    /// Feeds one row of logits to `sequence`: streams its token, and completes the sequence when it has ended.
    private func accept(_ logits: ArraySlice<Float>, for sequence: EngineSequence) {
        if sequence.firstToken == nil {
            let now = DispatchTime.now()
            sequence.firstToken = now
            sequence.timings.firstTokenMs = millisecondsSince(sequence.submitted)
        }
        let token = sequence.decoder.accept(logits)
        if let token {
            sequence.lastToken = token.id
            sequence.handler(.token(token))
        }
        if sequence.decoder.isFinished { complete(sequence) }
    }

    /// Ends `sequence` with its result.
    private func complete(_ sequence: EngineSequence) {
        if let tail = sequence.decoder.finish() { sequence.handler(.token(tail)) }
        sequence.timings.decodeMs = sequence.firstToken.map { millisecondsSince($0) } ?? 0
        let result = sequence.decoder.result(timings: sequence.timings)
        release(sequence)
        sequence.handler(.finished(result))
    }

    /// Ends `sequence` with `error`.
    private func finish(_ sequence: EngineSequence, failing error: Error) {
        release(sequence)
        sequence.handler(.failed(error))
    }

    /// Drops `sequence` from the running set and frees its cache and reservation.
    private func release(_ sequence: EngineSequence) {
        guard let index = running.firstIndex(where: { $0 === sequence }) else { return }
        running.remove(at: index)
        sequence.cache = nil
        condition.withLock {
            reserved -= sequence.bytes
            runningCount -= 1
        }
    }
}

/// The result of a job handed to the engine's thread, read by the thread that waited for it.
private final class Outcome<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

import Foundation
import Testing
import LoomCore
import LoomGeneration
import LoomModels
@testable import LoomEngine

/// Collects one request's events, from the engine's thread, for a test thread that waits on them.
final class Collector: @unchecked Sendable {
    private let condition = NSCondition()
    private(set) var tokens: [GeneratedToken] = []
    private(set) var result: GenerationResult?
    private(set) var error: Error?
    /// Called on the engine's thread after each token.
    var onToken: (Int) -> Void = { _ in }

    func handle(_ event: EngineEvent) {
        condition.withLock {
            switch event {
            case .token(let token): tokens.append(token)
            case .finished(let finished): result = finished
            case .failed(let failure): error = failure
            }
            condition.broadcast()
        }
        if case .token = event { onToken(condition.withLock { tokens.count }) }
    }

    var ended: Bool { condition.withLock { result != nil || error != nil } }

    /// Waits for the request to end (at most `seconds`); returns whether it did.
    @discardableResult
    func wait(seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        return condition.withLock {
            while result == nil && error == nil {
                if !condition.wait(until: deadline) { return false }
            }
            return true
        }
    }

    var ids: [Int] { condition.withLock { tokens.map(\.id).filter { $0 >= 0 } } }
}

/// Engine steps as observed by ``Engine/onStep``.
final class StepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [EngineStepReport] = []
    var steps: [EngineStepReport] { lock.withLock { recorded } }
    func record(_ step: EngineStepReport) { lock.withLock { recorded.append(step) } }
}

/// Waits until `condition` holds (at most `seconds`).
func eventually(seconds: Double = 30, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(2000)
    }
    return condition()
}

@Suite struct SchedulerTests {
    func engine(_ model: FakeModel, _ change: (inout EngineConfiguration) -> Void = { _ in }) throws -> Engine {
        var configuration = EngineConfiguration()
        change(&configuration)
        return try Engine(model: model, tokenizer: nil, configuration: configuration)
    }

    /// Runs `submit` while the engine's thread is held between steps, so that everything it submits is there before
    /// the next step (on a busy machine the engine could otherwise finish one request before the next arrives).
    func holding(_ engine: Engine, while submit: () throws -> Void) rethrows {
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? engine.run {
                inside.signal()
                release.wait()
            }
        }
        inside.wait()
        defer { release.signal() }
        try submit()
    }

    func request(first: Int, length: Int, tokens: Int) -> EngineRequest {
        EngineRequest(prompt: [.tokens([first] + Array(repeating: 1, count: length - 1))], parameters: .init(maxNewTokens: tokens))
    }

    /// Requests are admitted oldest first while their reservations fit the budget; every one finishes with its own
    /// tokens, and the reserved bytes return to zero.
    @Test func admitsByBudgetInOrder() throws {
        let model = FakeModel()
        // Each request reserves (10 + 20) positions = 30,000 bytes: three fit at once.
        let engine = try engine(model) { $0.kvBudgetBytes = 95_000 }
        defer { engine.shutdown() }
        let steps = StepRecorder()
        engine.onStep = { steps.record($0) }
        let collectors = (0..<7).map { _ in Collector() }
        try holding(engine) {
            for (i, collector) in collectors.enumerated() {
                try engine.submit(request(first: 10 + i, length: 10, tokens: 20)) { collector.handle($0) }
            }
        }
        for collector in collectors { #expect(collector.wait()) }
        for (i, collector) in collectors.enumerated() {
            #expect(collector.result?.tokenIDs == model.expectedTokens(first: 10 + i, length: 10, count: 20))
            #expect(collector.result?.finishReason == .maxTokens)
        }
        #expect(steps.steps.allSatisfy { $0.running <= 3 })
        #expect(steps.steps.contains { $0.running == 3 })
        let queued = collectors.map { $0.result!.timings.queueMs }
        #expect(queued[6] > queued[0])
        #expect(eventually { engine.reservedBytes == 0 && engine.runningRequests == 0 })
    }

    /// A request that can never fit the budget is refused at once, naming the bytes; a full queue answers busy.
    @Test func refusesWhatCannotFit() throws {
        let model = FakeModel()
        let engine = try engine(model) { $0.kvBudgetBytes = 50_000; $0.maxWaiting = 0 }
        defer { engine.shutdown() }
        #expect(throws: EngineError.exceedsBudget(bytes: 60_000, budget: 50_000)) {
            try engine.submit(request(first: 1, length: 30, tokens: 30)) { _ in }
        }
        #expect(throws: EngineError.queueFull(waiting: 0)) { try engine.submit(request(first: 1, length: 3, tokens: 3)) { _ in } }
        #expect(throws: EngineError.self) { try engine.submit(EngineRequest(prompt: [.tokens([99])], parameters: .init())) { _ in } }
        #expect(throws: GenerationError.emptyPrompt) { try engine.submit(EngineRequest(prompt: [], parameters: .init())) { _ in } }
    }

    /// Every step decodes every generating sequence in one call first, then runs at most one prefill unit of at
    /// most `prefillChunk` positions; long prompts are cut into such chunks.
    @Test func decodesFirstAndBoundsPrefill() throws {
        let model = FakeModel()
        let engine = try engine(model) { $0.prefillChunk = 8 }
        defer { engine.shutdown() }
        let steps = StepRecorder()
        engine.onStep = { steps.record($0); model.markStepEnd() }
        let lengths = [20, 26, 32, 38]
        let collectors = lengths.map { _ in Collector() }
        try holding(engine) {
            for (i, collector) in collectors.enumerated() {
                try engine.submit(request(first: 5 + i, length: lengths[i], tokens: 40)) { collector.handle($0) }
            }
        }
        for collector in collectors { #expect(collector.wait()) }
        for (i, collector) in collectors.enumerated() {
            #expect(collector.result?.tokenIDs == model.expectedTokens(first: 5 + i, length: lengths[i], count: 40))
        }
        #expect(steps.steps.allSatisfy { $0.prefillRows <= 8 })
        #expect(steps.steps.contains { $0.decodeRows == 4 })
        // Within each step: at most one decode call (one row per generating sequence), then at most one prefill call.
        var step: [FakeModel.Call] = []
        var stepCount = 0
        for call in model.calls {
            guard call != .stepEnd else {
                let decodes = step.filter(\.isDecode), prefills = step.filter { !$0.isDecode }
                #expect(decodes.count <= 1 && prefills.count <= 1)
                #expect(step.first?.isDecode ?? true || decodes.isEmpty)
                if case .forward(let rows)? = prefills.first { #expect(rows.count == 1 && rows[0] <= 8) }
                if case .forward(let rows)? = decodes.first { #expect(rows.count == steps.steps[stepCount].decodeRows) }
                step = []
                stepCount += 1
                continue
            }
            step.append(call)
        }
        let prefilled = model.calls.compactMap { call -> Int? in
            if case .forward(let rows) = call, !call.isDecode { rows[0] } else { nil }
        }
        #expect(prefilled.reduce(0, +) == lengths.reduce(0, +))
    }

    /// A cancelled request stops within a step: its handler hears `cancelled`, it decodes no further, and its
    /// reservation is freed while the others go on to their full answers.
    @Test func cancellationFreesWithinAStep() throws {
        let model = FakeModel()
        let engine = try engine(model)
        defer { engine.shutdown() }
        let long = Collector(), other = Collector()
        long.onToken = { count in if count == 5 { engine.cancel(RequestID(rawValue: 0)) } }
        let id = try engine.submit(request(first: 3, length: 6, tokens: 1000)) { long.handle($0) }
        #expect(id == RequestID(rawValue: 0))
        try engine.submit(request(first: 4, length: 6, tokens: 40)) { other.handle($0) }
        #expect(long.wait() && other.wait())
        #expect(long.error as? EngineError == .cancelled)
        #expect(long.ids.count <= 6)
        #expect(long.ids == Array(model.expectedTokens(first: 3, length: 6, count: long.ids.count)))
        #expect(other.result?.tokenIDs == model.expectedTokens(first: 4, length: 6, count: 40))
        #expect(eventually { engine.reservedBytes == 0 })
    }

    /// A waiting request cancelled before admission never runs; dropping a stream cancels its request.
    @Test func cancelsWaitingRequestsAndDroppedStreams() async throws {
        let model = FakeModel()
        let engine = try engine(model) { $0.maxSequences = 1 }
        defer { engine.shutdown() }
        let first = Collector(), second = Collector()
        try engine.submit(request(first: 1, length: 4, tokens: 200)) { first.handle($0) }
        let waitingID = try engine.submit(request(first: 2, length: 4, tokens: 5)) { second.handle($0) }
        engine.cancel(waitingID)
        #expect(second.wait())
        #expect(second.error as? EngineError == .cancelled && second.tokens.isEmpty)
        #expect(first.wait())
        var received = 0
        for try await event in try engine.stream(request(first: 7, length: 4, tokens: 10_000)) {
            if case .token = event { received += 1 }
            if received == 3 { break }
        }
        #expect(received == 3)
        #expect(eventually { engine.reservedBytes == 0 && engine.runningRequests == 0 })
    }

    /// With more sequences than fit at once, later requests are served in arrival order as room frees up: none waits
    /// forever behind newer ones.
    @Test func servesInArrivalOrder() throws {
        let model = FakeModel()
        let engine = try engine(model) { $0.maxSequences = 2 }
        defer { engine.shutdown() }
        let collectors = (0..<6).map { _ in Collector() }
        for (i, collector) in collectors.enumerated() {
            try engine.submit(request(first: i, length: 5 + 40 * (i % 2), tokens: 3 + i)) { collector.handle($0) }
        }
        for collector in collectors { #expect(collector.wait()) }
        #expect(model.starts == Array(0..<6))
        for (i, collector) in collectors.enumerated() {
            #expect(collector.result?.tokenIDs == model.expectedTokens(first: i, length: 5 + 40 * (i % 2), count: 3 + i))
        }
    }
}

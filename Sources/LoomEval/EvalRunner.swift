import Foundation
import LoomData
import LoomJSON
import LoomKit
import LoomMedia
import LoomPrompt

/// Answers one benchmark sample (every turn); implemented by a local model and by an OpenAI-compatible server.
public protocol AnswerBackend: Sendable {
    /// The model's name for `model_id`.
    var modelID: String { get }
    /// The answers to every turn of `sample`, in order.
    func answer(_ sample: BenchSample, protocol: EvalProtocol, settings: EvalSettings) throws -> [EvalResult]
}

/// How a run asks and where it finds media.
public struct EvalSettings: Sendable {
    public var mediaRoot: URL
    /// New tokens per answer (nil: the protocol's).
    public var maxNewTokens: Int?
    /// Frames sampled per video (NExT-QA).
    public var videoFrames = 16
    /// Questions in flight at once.
    public var parallel = 4
    /// Whether a sample that cannot be answered is reported and skipped rather than stopping the run.
    public var skipBad = false
    /// The prompt template of a local model (nil: the protocol's, `llava`). `checkpoint` asks a model in the format
    /// its own chat template describes, e.g. the one it was trained with.
    public var template: PromptTemplate?

    /// The template prompts are rendered with: ``template``, else the protocols' `llava`.
    public var promptTemplate: PromptTemplate { template ?? .llava }

    public init(mediaRoot: URL, maxNewTokens: Int? = nil) {
        self.mediaRoot = mediaRoot
        self.maxNewTokens = maxNewTokens
    }

    /// A media path of a sample, inside the media root.
    public func resolve(_ path: String) throws -> URL {
        switch MediaCheck(root: mediaRoot).resolve(path) {
        case .success(let url):
            guard FileManager.default.fileExists(atPath: url.path) else { throw RecordError("missing file \(path) under \(mediaRoot.path)") }
            return url
        case .failure(let error): throw RecordError("\(path): \(error.reason)")
        }
    }
}

/// A sample that could not be answered.
public struct EvalFailure: Error, CustomStringConvertible, Sendable {
    public let sampleID: String
    public let dataset: String
    public let reason: String
    public var description: String { "sample \(sampleID) (\(dataset)): \(reason)" }
}

/// Runs a benchmark through a backend with several samples in flight and appends the answers to a JSONL file in
/// sample order, so that the file is always a prefix of the complete run: `--resume` reads it back, drops a
/// partial last line or sample, and answers only what is missing.
public final class EvalRun {
    public let samples: [BenchSample]
    public let backend: any AnswerBackend
    public let evalProtocol: EvalProtocol
    public let settings: EvalSettings

    public init(samples: [BenchSample], backend: any AnswerBackend, protocol evalProtocol: EvalProtocol, settings: EvalSettings) {
        self.samples = samples
        self.backend = backend
        self.evalProtocol = evalProtocol
        self.settings = settings
    }

    /// What a finished run did.
    public struct Summary: Sendable {
        public var answered = 0
        public var resumed = 0
        public var failures: [EvalFailure] = []
        public var seconds = 0.0
    }

    /// Answers every sample not yet in `outputPath` (all of them unless `resume`), calling `progress(done, total)`.
    public func run(outputPath: String, resume: Bool, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let start = Date()
        var summary = Summary()
        let done = try prepareOutput(outputPath, resume: resume)
        let pending = samples.indices.filter { index in
            !(0..<samples[index].turns.count).allSatisfy {
                done.contains(EvalResult.key(dataset: samples[index].dataset, sampleID: samples[index].sampleID, turn: $0))
            }
        }
        summary.resumed = samples.count - pending.count
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? handle.close() }
        try handle.seekToEnd()
        let collector = OrderedWriter(handle: handle, order: pending)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = max(1, settings.parallel)
        let total = samples.count
        let counter = Counter(summary.resumed)
        progress(summary.resumed, total)
        for index in pending {
            let sample = samples[index]
            queue.addOperation { [backend, evalProtocol, settings] in
                if collector.stopped { return }
                do {
                    let results = try backend.answer(sample, protocol: evalProtocol, settings: settings)
                    collector.deliver(index, .success(results))
                } catch {
                    let failure = EvalFailure(sampleID: sample.sampleID, dataset: sample.dataset, reason: "\(error)")
                    collector.deliver(index, .failure(failure))
                    if !settings.skipBad { collector.stop() }
                }
                progress(counter.increment(), total)
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        let outcome = collector.outcome
        if let error = outcome.writeError { throw error }
        summary.answered = outcome.answered
        summary.failures = outcome.failures
        summary.seconds = Date().timeIntervalSince(start)
        if !settings.skipBad, let first = outcome.failures.first { throw first }
        return summary
    }

    /// Creates the output file, or (resuming) keeps only its complete samples; returns their answer keys.
    private func prepareOutput(_ path: String, resume: Bool) throws -> Set<String> {
        let exists = FileManager.default.fileExists(atPath: path)
        guard exists else {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw RecordError("cannot create \(path)") }
            return []
        }
        guard resume else { throw RecordError("\(path) exists: give --resume to continue it, or remove it") }
        let file = try ResultsFile(path: path)
        if let problem = file.problems.first {
            throw RecordError("\(path) line \(problem.line): \(problem.reason); not a results file of this run")
        }
        let expected = Dictionary(samples.map { (EvalResult.sampleKey(dataset: $0.dataset, sampleID: $0.sampleID), $0.turns.count) },
                                  uniquingKeysWith: { a, _ in a })
        var turns: [String: Int] = [:]
        for result in file.results {
            guard expected[result.sampleKey] != nil else {
                throw RecordError("\(path) holds sample \(result.sampleID) of \(result.dataset), which this benchmark (and shard) does not: not a results file of this run")
            }
            turns[result.sampleKey, default: 0] += 1
        }
        let complete = file.results.filter { turns[$0.sampleKey] == expected[$0.sampleKey] }
        if complete.count != file.results.count || file.completeLength != file.length {
            let output = try OutputFile(path: path)
            for result in complete { try output.write(result.jsonLine() + [0x0A]) }
            try output.finish()
        }
        return Set(complete.map(\.key))
    }
}

/// Writes each sample's answers once every earlier pending sample's are written (so the file is a prefix of the
/// run in sample order), and collects failures.
private final class OrderedWriter: @unchecked Sendable {
    private let lock = NSLock()
    private let handle: FileHandle
    private let order: [Int]
    private var next = 0
    private var waiting: [Int: Result<[EvalResult], EvalFailure>] = [:]
    private var isStopped = false
    private(set) var outcome = (answered: 0, failures: [EvalFailure](), writeError: Error?.none)

    init(handle: FileHandle, order: [Int]) {
        self.handle = handle
        self.order = order
    }

    var stopped: Bool { lock.withLock { isStopped } }

    func stop() { lock.withLock { isStopped = true } }

    func deliver(_ index: Int, _ result: Result<[EvalResult], EvalFailure>) {
        lock.withLock {
            waiting[index] = result
            while next < order.count, let ready = waiting.removeValue(forKey: order[next]) {
                next += 1
                switch ready {
                case .success(let results):
                    guard outcome.writeError == nil, !(isStopped && !outcome.failures.isEmpty) else { continue }
                    do {
                        try handle.write(contentsOf: results.flatMap { $0.jsonLine() + [0x0A] })
                        outcome.answered += 1
                    } catch {
                        outcome.writeError = error
                    }
                case .failure(let failure):
                    outcome.failures.append(failure)
                }
            }
        }
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int
    init(_ value: Int) { self.value = value }
    func increment() -> Int { lock.withLock { value += 1; return value } }
}

import Foundation
import LoomCore
import LoomData
import LoomModels
import LoomTokenizers

/// What one optimizer step did (one line of the JSON Lines log).
public struct StepRecord: Sendable, Equatable {
    public var step: Int
    /// Mean cross-entropy over the step's labelled tokens.
    public var loss: Double
    public var lr: Double
    /// Gradient norm before clipping.
    public var gradNorm: Double
    /// Labelled tokens and all positions of the step's samples.
    public var tokens: Int
    public var positions: Int
    public var samples: Int
    /// Passes over the data so far (fractional).
    public var epoch: Double
    public var seconds: Double
}

/// A training run: the model with its trained parts, the data in a seeded order, AdamW and the schedule. Every
/// step's samples and dropout masks are functions of the seed and the step number, so a run resumed from a
/// checkpoint repeats the uninterrupted run exactly.
public final class Trainer: @unchecked Sendable {
    public let options: TrainingOptions
    public let model: LlavaTrainingModel
    public let optimizer: AdamW
    public let schedule: LearningRateSchedule
    /// Optimizer steps done.
    public private(set) var step = 0
    /// Position of the next sample in the stream of epochs.
    public private(set) var cursor = 0
    /// The permutation of the epoch being read.
    private var order: (epoch: Int, indices: [Int])?
    let data: any TrainingDataSource
    let evalData: (any TrainingDataSource)?

    /// Loads the model and the data, sets up what is trained, and checks every record against the model before
    /// any step runs.
    public init(options: TrainingOptions) throws {
        try options.validate()
        self.options = options
        let directory = URL(fileURLWithPath: options.model)
        model = try LlavaTrainingModel(directory: directory)
        model.tune(Set(options.tune))
        if options.loraRank > 0 {
            var pairs: [LoRATarget: LoRAPair] = [:]
            if let adapter = options.adapter {
                let loaded = try LoRAAdapter.load(from: URL(fileURLWithPath: adapter))
                try loaded.validate(against: model.configuration.textConfig)
                guard loaded.configuration.r == options.loraRank else {
                    throw TrainError.invalidOption("the adapter in \(adapter) has rank \(loaded.configuration.r), not --lora-rank \(options.loraRank)")
                }
                pairs = loaded.pairs
            }
            try model.attachLoRA(rank: options.loraRank, scale: options.loraScale, dropout: Float(options.loraDropout),
                                 targets: options.loraTargets, seed: options.seed, pairs: pairs)
        }
        if options.dtype == "bf16" { model.compactFrozen(as: .bf16) }
        model.recomputation = options.recompute
        var tokenizer = try TrainingTokenizer(tokenizer: try Tokenizer(directory: directory), preset: LabelPreset(rawValue: options.preset)!)
        tokenizer.systemPrompt = options.systemPrompt
        // Media paths resolve under --media-root, else under each data file's own folder.
        let configuration = model.configuration
        func source(_ path: String) throws -> any TrainingDataSource {
            let mediaRoot = URL(fileURLWithPath: options.mediaRoot ?? (path as NSString).deletingLastPathComponent)
            let builder = try SampleBuilder(modelDirectory: directory, configuration: configuration, mediaRoot: mediaRoot,
                                            videoFrames: options.videoFrames)
            let head = FileHandle(forReadingAtPath: path).map { handle in defer { try? handle.close() }; return handle.readData(ofLength: 8) }
            return head.map(Array.init) == TokenShard.magic ? try ShardSource(path: path, builder: builder)
                : try RecordSource(path: path, tokenizer: tokenizer, builder: builder)
        }
        data = try source(options.data)
        evalData = try options.evalData.map(source)
        optimizer = AdamW(configuration: options.optimizer)
        guard options.batchTokens == nil || options.maxSteps != nil else {
            throw TrainError.invalidOption("--batch-tokens needs --max-steps (steps per epoch depend on the lengths)")
        }
        let perEpoch = (data.count + options.samplesPerStep - 1) / options.samplesPerStep
        schedule = LearningRateSchedule(shape: options.schedule, peak: options.lr, warmupSteps: options.warmupSteps,
                                        totalSteps: options.maxSteps ?? perEpoch * options.epochs)
        try schedule.validate()
        let limit = model.configuration.textConfig.maxPositionEmbeddings
        try data.check(limit: limit)
        try evalData?.check(limit: limit)
    }

    /// Continues after optimizer step `done` with the sample at `cursor` next (a restored checkpoint's).
    func resume(atStep done: Int, cursor: Int) {
        step = done
        self.cursor = cursor
    }

    /// Optimizer steps the run takes.
    public var totalSteps: Int { schedule.totalSteps }

    /// Runs the steps after ``step`` up to ``totalSteps``; `onStep` sees each step's record, `onEvaluation` each
    /// evaluation's mean loss, `onCheckpoint` each checkpoint directory written (every `saveEvery` steps).
    public func run(onStep: (StepRecord) throws -> Void = { _ in }, onEvaluation: (Int, Double) throws -> Void = { _, _ in },
                    onCheckpoint: (URL) throws -> Void = { _ in }) throws {
        while step < totalSteps {
            let record = try trainStep()
            try onStep(record)
            if options.evalEvery > 0, step % options.evalEvery == 0, evalData != nil { try onEvaluation(step, try evaluate()) }
            if options.saveEvery > 0, step % options.saveEvery == 0, step < totalSteps {
                let directory = URL(fileURLWithPath: options.out).appendingPathComponent("checkpoint-\(step)")
                try saveCheckpoint(to: directory)
                try onCheckpoint(directory)
            }
        }
    }

    /// Runs the next optimizer step.
    public func trainStep() throws -> StepRecord {
        let start = Date()
        let next = step + 1
        var samples: [TrainingSample] = []
        var positions = 0
        repeat {
            let sample = try data.sample(recordIndex(at: cursor))
            cursor += 1
            positions += sample.inputIDs.count
            samples.append(sample)
        } while options.batchTokens.map { positions < $0 } ?? (samples.count < options.samplesPerStep)
        let tokens = samples.reduce(0) { $0 + $1.supervisedCount }
        model.zeroGradients()
        var lossSum = 0.0
        if tokens > 0 {
            for (i, sample) in samples.enumerated() {
                let seed = SplitMix64.mix(options.seed ^ SplitMix64.mix(UInt64(next) &* 1_000_003 &+ UInt64(i)))
                lossSum += try model.accumulateGradients(sample, gradScale: 1 / Float(tokens), dropoutSeed: seed).lossSum
            }
        }
        let trainable = model.trainable
        let norm = clipGradients(trainable, maxNorm: options.maxGradNorm)
        let lr = schedule.rate(atStep: next)
        optimizer.update(trainable, lr: lr)
        step = next
        return StepRecord(step: next, loss: tokens > 0 ? lossSum / Double(tokens) : 0, lr: lr, gradNorm: norm, tokens: tokens,
                          positions: positions, samples: samples.count, epoch: Double(cursor) / Double(data.count),
                          seconds: Date().timeIntervalSince(start))
    }

    /// Mean cross-entropy over the evaluation data's labelled tokens (0 without evaluation data).
    public func evaluate() throws -> Double {
        guard let evalData else { return 0 }
        var sum = 0.0, tokens = 0
        for index in 0..<evalData.count {
            let (lossSum, count) = try model.loss(try evalData.sample(index))
            sum += lossSum
            tokens += count
        }
        return tokens > 0 ? sum / Double(tokens) : 0
    }

    /// The record at `position` of the stream of epochs (each epoch a permutation drawn from the seed and the
    /// epoch number).
    func recordIndex(at position: Int) -> Int {
        let epoch = position / data.count
        if order?.epoch != epoch { order = (epoch, Self.permutation(count: data.count, seed: options.seed, epoch: epoch)) }
        return order!.indices[position % data.count]
    }

    /// A seeded permutation of `0..<count` for `epoch`: Fisher–Yates over SplitMix64, written out so that the order
    /// never depends on the standard library's shuffling algorithm.
    static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var generator = SplitMix64(seed: seed ^ SplitMix64.mix(UInt64(epoch) &+ 0x5EED))
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }
}

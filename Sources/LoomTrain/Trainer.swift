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
        let mediaRoot = URL(fileURLWithPath: options.mediaRoot ?? (options.data as NSString).deletingLastPathComponent)
        let builder = try SampleBuilder(modelDirectory: directory, configuration: model.configuration, mediaRoot: mediaRoot,
                                        videoFrames: options.videoFrames)
        var tokenizer = try TrainingTokenizer(tokenizer: try Tokenizer(directory: directory), preset: LabelPreset(rawValue: options.preset)!)
        tokenizer.systemPrompt = options.systemPrompt
        func source(_ path: String) throws -> any TrainingDataSource {
            let head = FileHandle(forReadingAtPath: path).map { handle in defer { try? handle.close() }; return handle.readData(ofLength: 8) }
            return head.map(Array.init) == TokenShard.magic ? try ShardSource(path: path, builder: builder)
                : try RecordSource(path: path, tokenizer: tokenizer, builder: builder)
        }
        data = try source(options.data)
        evalData = try options.evalData.map(source)
        optimizer = AdamW(configuration: options.optimizer)
        let perEpoch = (data.count + options.samplesPerStep - 1) / options.samplesPerStep
        schedule = LearningRateSchedule(shape: options.schedule, peak: options.lr, warmupSteps: options.warmupSteps,
                                        totalSteps: options.maxSteps ?? perEpoch * options.epochs)
        try schedule.validate()
        let limit = model.configuration.textConfig.maxPositionEmbeddings
        try data.check(limit: limit)
        try evalData?.check(limit: limit)
    }

    /// Continues after optimizer step `done` (a restored checkpoint's).
    func resume(atStep done: Int) { step = done }

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
        let samples = try stepPositions(next).map { try data.sample($0) }
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
                          positions: samples.reduce(0) { $0 + $1.inputIDs.count }, samples: samples.count,
                          epoch: Double(next * options.samplesPerStep) / Double(data.count), seconds: Date().timeIntervalSince(start))
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

    /// Record indices of optimizer step `step` (1-based): the next `samplesPerStep` positions of the stream of
    /// epochs, each epoch a permutation drawn from the seed and the epoch number.
    func stepPositions(_ step: Int) -> [Int] {
        let n = data.count, k = options.samplesPerStep
        var orders: [Int: [Int]] = [:]
        return ((step - 1) * k..<(step * k)).map { position in
            let epoch = position / n
            if orders[epoch] == nil { orders[epoch] = Self.permutation(count: n, seed: options.seed, epoch: epoch) }
            return orders[epoch]![position % n]
        }
    }

    /// A seeded permutation of `0..<count` for `epoch` (Fisher–Yates over SplitMix64).
    static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var generator = SplitMix64(seed: seed ^ SplitMix64.mix(UInt64(epoch) &+ 0x5EED))
        var order = Array(0..<count)
        order.shuffle(using: &generator)
        return order
    }
}

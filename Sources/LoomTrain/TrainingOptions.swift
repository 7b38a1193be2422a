import Foundation
import LoomData

/// Everything a training run is asked to do, with the defaults of `loom train`. Saved in every checkpoint, so a
/// resumed run continues the same run.
public struct TrainingOptions: Codable, Sendable, Equatable {
    /// The checkpoint trained from (a llava-hf directory).
    public var model: String
    /// Training records (JSON array or JSON Lines, M4-Instruct schema), or a token shard (`.loomtok`) of
    /// `loom data tokenize --shard-out`.
    public var data: String
    /// Held-out records whose mean loss is reported every ``evalEvery`` steps.
    public var evalData: String?
    /// Where media paths of the records resolve; each data file's own folder when nil.
    public var mediaRoot: String?
    public var preset: String = LabelPreset.hf.rawValue
    /// The system prompt of the LLaVA-NeXT presets.
    public var systemPrompt = "You are a helpful assistant."
    /// Frames sampled from each video.
    public var videoFrames = 10
    /// Parts trained in full.
    public var tune: [TrainablePart] = []
    /// LoRA on the decoder's linears; rank 0 = none.
    public var loraRank = 0
    public var loraAlpha = 16.0
    public var loraDropout = 0.05
    public var loraTargets: [String] = DecoderLayerTraining.projectionNames
    public var useRslora = false
    /// A PEFT adapter to continue from instead of a fresh one.
    public var adapter: String?
    /// Whether backward recomputes each decoder layer instead of keeping its activations.
    public var recompute: Recomputation = .automatic
    /// How frozen matrices are held: `f32` (the parity reference) or `bf16` (half the memory; products widen them).
    public var dtype = "f32"
    public var lr = 2e-4
    public var schedule: LearningRateSchedule.Shape = .cosine
    public var warmupSteps = 0
    public var weightDecay = 0.0
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var epsilon = 1e-8
    public var maxGradNorm = 1.0
    /// An optimizer step takes samples until their positions reach this many (instead of `batchSize × gradAccum`).
    public var batchTokens: Int?
    /// Samples per micro-batch; an optimizer step takes `batchSize × gradAccum` samples.
    public var batchSize = 1
    public var gradAccum = 1
    /// Stop after this many optimizer steps (nil: after ``epochs`` passes over the data).
    public var maxSteps: Int?
    public var epochs = 1
    public var seed: UInt64 = 0
    /// Evaluate every this many steps (0: only at the end, when there is evaluation data).
    public var evalEvery = 0
    /// Write a resumable checkpoint every this many steps (0: only at the end).
    public var saveEvery = 0
    /// Where checkpoints and the final model go.
    public var out: String
    /// The JSON Lines log (one object per optimizer step); `<out>/log.jsonl` when nil.
    public var log: String?

    public init(model: String, data: String, out: String) {
        self.model = model
        self.data = data
        self.out = out
    }

    /// The LoRA scale α/r (α/√r with rsLoRA).
    public var loraScale: Float { Float(useRslora ? loraAlpha / Double(loraRank).squareRoot() : loraAlpha / Double(loraRank)) }

    /// Samples per optimizer step.
    public var samplesPerStep: Int { batchSize * gradAccum }

    /// Checks the options against each other; errors name the flag.
    public func validate() throws {
        guard LabelPreset(rawValue: preset) != nil else {
            throw TrainError.invalidOption("--preset '\(preset)' is not one of \(LabelPreset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ["f32", "bf16"].contains(dtype) else { throw TrainError.invalidOption("--dtype must be f32 or bf16, got '\(dtype)'") }
        guard loraRank >= 0 else { throw TrainError.invalidOption("--lora-rank must not be negative") }
        guard loraRank > 0 || !tune.isEmpty else {
            throw TrainError.invalidOption("nothing to train: give --tune PARTS and/or --lora-rank R")
        }
        guard adapter == nil || loraRank > 0 else { throw TrainError.invalidOption("--adapter needs --lora-rank (the adapter's rank)") }
        guard loraAlpha > 0 else { throw TrainError.invalidOption("--lora-alpha must be positive") }
        guard (0..<1).contains(loraDropout) else { throw TrainError.invalidOption("--lora-dropout must lie in [0, 1)") }
        guard !loraTargets.isEmpty || loraRank == 0 else { throw TrainError.invalidOption("--lora-targets is empty") }
        guard batchTokens.map({ $0 > 0 }) ?? true else { throw TrainError.invalidOption("--batch-tokens must be at least 1") }
        guard batchSize > 0, gradAccum > 0 else { throw TrainError.invalidOption("--batch-size and --grad-accum must be at least 1") }
        guard maxSteps.map({ $0 > 0 }) ?? true else { throw TrainError.invalidOption("--max-steps must be at least 1") }
        guard epochs > 0 else { throw TrainError.invalidOption("--epochs must be at least 1") }
        guard videoFrames > 0 else { throw TrainError.invalidOption("--video-frames must be at least 1") }
        guard evalEvery >= 0, saveEvery >= 0 else { throw TrainError.invalidOption("--eval-every and --save-every must not be negative") }
        guard maxGradNorm >= 0 else { throw TrainError.invalidOption("--max-grad-norm must not be negative") }
        try AdamW.Configuration(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay).validate()
        try LearningRateSchedule(shape: schedule, peak: lr, warmupSteps: warmupSteps, totalSteps: 1).validate()
    }

    /// The optimizer's settings.
    public var optimizer: AdamW.Configuration {
        AdamW.Configuration(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
    }
}

import ArgumentParser
import Foundation
import LoomTrain

/// `loom train`: fine-tune a llava-hf checkpoint on M4-Instruct records (full parts and/or LoRA), on the CPU.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a LLaVA model: the projector, the language model, the vision tower and/or LoRA adapters.",
        discussion: """
        Trains in f32 (frozen weights may be held in bf16 with --dtype bf16) with AdamW (PyTorch semantics: decoupled weight decay, none on biases and norms), global-norm \
        clipping and a warmup + constant/linear/cosine schedule, on the cross-entropy of the labelled tokens (--preset \
        decides which: hf = the llava-hf chat template's answers, llava-next = the authors' preprocess_qwen). Images \
        take the model's image-token run; videos --video-frames frames. A frozen vision tower's outputs are cached per \
        image. Every record is checked against the model before the first step.

        Output in --out: a PEFT adapter (adapter_config.json + adapter_model.safetensors, loadable with \
        PeftModel.from_pretrained and `loom generate --adapter`) when LoRA is on, else a full llava-hf checkpoint; \
        log.jsonl (one object per optimizer step: step, loss, lr, grad_norm, tokens, positions, samples, epoch, \
        seconds; eval_loss lines when --eval-data is given); checkpoint-N/ every --save-every steps, which \
        --resume continues exactly.

        Examples:
          loom train --model tiny-llava --data train.json --tune projector,language_model --lr 1e-5 --out run1
          loom train --model llava-interleave-qwen-0.5b-hf --data mine.json --lora-rank 8 --lora-alpha 16 \\
              --tune projector --lr 2e-4 --grad-accum 8 --max-steps 200 --eval-data held.json --eval-every 20 --out lora1
          loom train --resume lora1/checkpoint-100
        """)

    @Option(help: "Model directory or hub name (a llava-hf checkpoint).") var model: String?
    @Option(help: "Training records: a JSON array or JSON Lines file in the M4-Instruct schema, or a token shard of loom data tokenize --shard-out.") var data: String?
    @Option(help: "Held-out records; their mean loss is reported every --eval-every steps and at the end.") var evalData: String?
    @Option(help: "Folder the records' media paths are relative to (default: the data file's folder).") var mediaRoot: String?
    @Option(help: "Label convention: hf, llava-next or llava-next-0614.") var preset = "hf"
    @Option(help: "Frames sampled from each video.") var videoFrames = 10
    @Option(help: "The system prompt of the llava-next presets.") var systemPrompt = "You are a helpful assistant."
    @Option(help: "Parts trained in full, comma-separated: projector, language_model, vision_tower.") var tune: String?
    @Option(help: "LoRA rank on the language model (0: no LoRA).") var loraRank = 0
    @Option(help: "LoRA alpha (scale = alpha / rank).") var loraAlpha = 16.0
    @Option(help: "LoRA dropout probability.") var loraDropout = 0.05
    @Option(help: "LoRA target projections, comma-separated.") var loraTargets = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"
    @Flag(help: "Scale LoRA by alpha / sqrt(rank) (rsLoRA).") var useRslora = false
    @Option(help: "Continue from this PEFT adapter instead of a fresh one.") var adapter: String?
    @Option(help: "Recompute each decoder layer in backward instead of keeping its activations: auto (above 4096 positions), always or never.")
    var recompute = "auto"
    @Option(help: "How frozen weights are held: f32 (the parity reference) or bf16 (half the memory).") var dtype = "f32"
    @Option(help: "Peak learning rate (default 2e-4 with LoRA, 1e-5 for full fine-tuning).") var lr: Double?
    @Option(help: "Schedule after warmup: constant, linear or cosine.") var schedule = "cosine"
    @Option(help: "Linear warmup steps.") var warmupSteps = 0
    @Option(help: "AdamW weight decay (not on biases and norms).") var weightDecay = 0.0
    @Option(help: "AdamW beta1.") var adamBeta1 = 0.9
    @Option(help: "AdamW beta2.") var adamBeta2 = 0.999
    @Option(help: "AdamW epsilon.") var adamEpsilon = 1e-8
    @Option(help: "Clip the global gradient norm to this (0: no clipping).") var maxGradNorm = 1.0
    @Option(help: "Samples per micro-batch.") var batchSize = 1
    @Option(help: "Micro-batches per optimizer step.") var gradAccum = 1
    @Option(help: "Batch by token budget: an optimizer step takes samples until their positions reach this many (needs --max-steps).")
    var batchTokens: Int?
    @Option(help: "Optimizer steps (default: --epochs passes over the data).") var maxSteps: Int?
    @Option(help: "Passes over the data when --max-steps is not given.") var epochs = 1
    @Option(help: "Seed of the data order, LoRA initialisation and dropout.") var seed: UInt64 = 0
    @Option(help: "Evaluate on --eval-data every this many steps (0: at the end only).") var evalEvery = 0
    @Option(help: "Write a resumable checkpoint every this many steps (0: none).") var saveEvery = 0
    @Option(help: "Output directory.") var out: String?
    @Option(help: "JSON Lines log (default: OUT/log.jsonl).") var log: String?
    @Option(help: "Continue the run saved in this checkpoint directory (its options are kept; --out and --log may move).") var resume: String?

    func validate() throws {
        if resume == nil {
            if model == nil || data == nil || out == nil { throw ValidationError("give --model, --data and --out (or --resume CHECKPOINT)") }
            if tune == nil && loraRank == 0 { throw ValidationError("nothing to train: give --tune PARTS and/or --lora-rank R") }
        }
    }

    func options() throws -> TrainingOptions {
        var options = TrainingOptions(model: try ModelLocation.resolve(model!).path, data: data!, out: out!)
        options.evalData = evalData
        options.mediaRoot = mediaRoot
        options.preset = preset
        options.videoFrames = videoFrames
        options.systemPrompt = systemPrompt
        options.tune = try (tune ?? "").split(separator: ",").map { name in
            guard let part = TrainablePart(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--tune: unknown part '\(name)' (projector, language_model, vision_tower)")
            }
            return part
        }
        options.loraRank = loraRank
        options.loraAlpha = loraAlpha
        options.loraDropout = loraDropout
        options.loraTargets = loraTargets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        options.useRslora = useRslora
        options.adapter = adapter
        options.dtype = dtype
        guard let recomputation = Recomputation(rawValue: recompute) else {
            throw ValidationError("--recompute must be auto, always or never, got '\(recompute)'")
        }
        options.recompute = recomputation
        options.lr = lr ?? (loraRank > 0 ? 2e-4 : 1e-5)
        guard let shape = LearningRateSchedule.Shape(rawValue: schedule) else {
            throw ValidationError("--schedule must be constant, linear or cosine, got '\(schedule)'")
        }
        options.schedule = shape
        options.warmupSteps = warmupSteps
        options.weightDecay = weightDecay
        options.beta1 = adamBeta1
        options.beta2 = adamBeta2
        options.epsilon = adamEpsilon
        options.maxGradNorm = maxGradNorm
        options.batchSize = batchSize
        options.gradAccum = gradAccum
        options.batchTokens = batchTokens
        options.maxSteps = maxSteps
        options.epochs = epochs
        options.seed = seed
        options.evalEvery = evalEvery
        options.saveEvery = saveEvery
        options.log = log
        return options
    }

    func run() throws {
        let started = Date()
        let trainer: Trainer
        do {
            trainer = try resume.map { try Trainer(resuming: URL(fileURLWithPath: $0), out: out, log: log) } ?? Trainer(options: try options())
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        let options = trainer.options
        let outURL = URL(fileURLWithPath: options.out)
        try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)
        let logFile = try TrainingLogFile(path: options.log ?? outURL.appendingPathComponent("log.jsonl").path, append: resume != nil)
        let trained = trainer.model.trainable.reduce(0) { $0 + $1.count }
        writeError("loaded in \(String(format: "%.1f", Date().timeIntervalSince(started))) s: \(trainer.model.trainable.count) tensors trained "
            + "(\(trained) values), steps \(trainer.step + 1)…\(trainer.totalSteps) of \(options.samplesPerStep) sample(s)")
        let progress = ProgressLine("train", total: trainer.totalSteps, items: "steps")
        var recent: [StepRecord] = []
        try trainer.run(onStep: { record in
            try logFile.write(record)
            recent = Array((recent + [record]).suffix(10))
            let tokensPerSecond = Double(recent.reduce(0) { $0 + $1.positions }) / max(recent.reduce(0) { $0 + $1.seconds }, 1e-9)
            progress.finish()
            writeError(String(format: "step %d/%d  loss %.4f  lr %.3g  grad %.3f  %.0f positions/s  %.2f s/step",
                              record.step, trainer.totalSteps, record.loss, record.lr, record.gradNorm, tokensPerSecond, record.seconds))
            progress.update(done: record.step)
        }, onEvaluation: { step, loss in
            try logFile.writeEvaluation(step: step, loss: loss)
            writeError(String(format: "step %d  eval_loss %.4f", step, loss))
        }, onCheckpoint: { directory in
            writeError("checkpoint: \(directory.path)")
        })
        progress.finish()
        if options.evalData != nil && (options.evalEvery == 0 || trainer.step % options.evalEvery != 0) {
            let loss = try trainer.evaluate()
            try logFile.writeEvaluation(step: trainer.step, loss: loss)
            writeError(String(format: "step %d  eval_loss %.4f", trainer.step, loss))
        }
        try trainer.saveCheckpoint(to: outURL.appendingPathComponent("checkpoint-\(trainer.step)"))
        let written = try TrainedModelExport.write(trainer.model, options: options, to: outURL)
        writeError("wrote \(written) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}

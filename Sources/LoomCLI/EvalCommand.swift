import ArgumentParser
import Foundation
import LoomData
import LoomEval
import LoomKit
import LoomPrompt

/// `loom eval`: the LLaVA-Interleave Bench and video multiple choice, answered and scored as the references do.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run and score the LLaVA-Interleave Bench (and NExT-QA-style video multiple choice).",
        discussion: """
        Inputs: the authors' files (multi_image_in_domain.json, multi_image_out_domain.json, multi_view_in_domain.json \
        with the unzipped eval_images as the media root), a JSONL export of lmms-eval's dataset (sample_id, sub_task, \
        question_type, question, answer, image_0…), or NExT-QA multiple choice (question, a0…a4 or options, answer, video).

        Examples:
          loom eval list multi_image_in_domain.json
          loom eval run --model llava-interleave-qwen-0.5b-hf --data multi_image_in_domain.json --media-root interleave_data --out in_domain.jsonl
          loom eval run --server http://127.0.0.1:8080 --data bench.jsonl --protocol lmms-eval --out served.jsonl
          loom eval score in_domain.*.jsonl --output markdown
          loom eval score bf16.jsonl --compare int4.jsonl
        """,
        subcommands: [EvalListCommand.self, EvalRunCommand.self, EvalScoreCommand.self])
}

/// `loom eval list`: what a benchmark file holds.
struct EvalListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Show the datasets, question types and sizes of a benchmark file.")

    @Argument(help: "A benchmark file.") var file: String

    func run() throws {
        let bench = try BenchFile(path: file)
        var rows: [(String, String, Int, Int, Int)] = []
        var index: [String: Int] = [:]
        for sample in bench.samples {
            let key = sample.dataset + "\u{0}" + sample.questionType
            if index[key] == nil { index[key] = rows.count; rows.append((sample.dataset, sample.questionType, 0, 0, 0)) }
            rows[index[key]!].2 += 1
            rows[index[key]!].3 += sample.turns.count
            rows[index[key]!].4 += sample.images.count
        }
        let layouts = Set(bench.samples.map(\.layout.rawValue)).sorted().joined(separator: ", ")
        writeOut("\(file): \(bench.samples.count) samples (\(layouts) layout), \(rows.count) dataset/question-type groups\n")
        let width = max(7, rows.map(\.0.count).max() ?? 0)
        writeOut("dataset".padding(toLength: width, withPad: " ", startingAt: 0) + "  question type   samples  turns  images\n")
        for row in rows {
            writeOut(row.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + row.1.padding(toLength: 14, withPad: " ", startingAt: 0)
                     + String(format: "%9d %6d %7d\n", row.2, row.3, row.4))
        }
        for problem in bench.problems { writeError("record \(problem.index), sample \(problem.sampleID): \(problem.reason)") }
        if !bench.problems.isEmpty { throw ExitCode(1) }
    }
}

/// `loom eval run`: every answer, appended per sample, resumable and sharded.
struct EvalRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Answer every question of a benchmark with a model (or a server) into a results file.",
        discussion: """
        Answers are appended per sample to --out as JSON lines with the authors' field names (dataset, sample_id, \
        prompt, pred_response, gt_response, question_type, plus turn, model_id, protocol, timings), in sample order. \
        --resume continues an interrupted run: it keeps the complete samples already written and answers the rest.
        --shard i/n answers the i-th of n contiguous slices. Without --shard, a Slurm array task \
        (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job pod \
        (JOB_COMPLETION_INDEX with LOOM_SHARD_COUNT set to spec.completions) picks its slice itself; merge with \
        `loom eval score part*.jsonl`. Job files: README, "Evaluation".
        """)

    @Option(help: "Model directory or hub repo id (ORG/NAME[@REV], from the Hugging Face cache).") var model: String?
    @Option(help: "An OpenAI-compatible server to evaluate instead of a local model (e.g. http://127.0.0.1:8080).") var server: String?
    @Option(help: "The model name sent to --server.") var serverModel = "loom"
    @Option(help: "The benchmark file.") var data: String
    @Option(help: "The folder image and video paths are relative to (default: the benchmark file's folder).") var mediaRoot: String?
    @Option(help: "The results file (JSON lines).") var out: String
    @Option(help: "authors (model_vqa.py: 1024 new tokens) or lmms-eval (16 new tokens, images padded to square).") var `protocol` = "authors"
    @Option(help: "New tokens per answer (default: the protocol's).") var maxNewTokens: Int?
    @Option(help: "Prompt template of a local model (default: the protocol's, llava): llava, checkpoint (the model's own chat template, e.g. the format it was trained in), hf or interleaved.") var template: PromptTemplate?
    @Option(help: "Questions in flight at once (the engine batches their decoding).") var parallel = 4
    @Option(help: "Frames sampled per video question.") var frames = 16
    @Option(help: "Answer only the i-th of n contiguous slices (i/n).") var shard: String?
    @Flag(help: "Continue --out where an interrupted run stopped.") var resume = false
    @Flag(help: "Report a sample that cannot be answered and go on (default: stop at it).") var skipBad = false
    @OptionGroup var compute: ComputeFlags

    func validate() throws {
        if (model == nil) == (server == nil) { throw ValidationError("give --model DIR or --server URL (one of them)") }
        if EvalProtocol(rawValue: `protocol`) == nil { throw ValidationError("--protocol must be authors or lmms-eval, got '\(`protocol`)'") }
        if template != nil && server != nil { throw ValidationError("--template applies to a local --model; a server renders prompts with its own template") }
        if parallel < 1 || frames < 1 || (maxNewTokens ?? 1) < 1 { throw ValidationError("--parallel, --frames and --max-new-tokens must be at least 1") }
    }

    func run() throws {
        let bench = try BenchFile(path: data)
        if let problem = bench.problems.first, !skipBad {
            throw ValidationError("\(data): record \(problem.index), sample \(problem.sampleID): \(problem.reason) (--skip-bad skips such records)")
        }
        for problem in bench.problems { writeError("skipped record \(problem.index), sample \(problem.sampleID): \(problem.reason)") }
        let slice = try shard.map(ShardSpec.init(parsing:)) ?? ShardSpec.fromEnvironment()
        let samples = slice.map { Array(bench.samples[$0.range(total: bench.samples.count)]) } ?? bench.samples
        if let slice { writeError("shard \(slice): \(samples.count) of \(bench.samples.count) samples") }
        let root = URL(fileURLWithPath: mediaRoot ?? (data as NSString).deletingLastPathComponent, isDirectory: true)
        var settings = EvalSettings(mediaRoot: root, maxNewTokens: maxNewTokens)
        settings.parallel = parallel
        settings.videoFrames = frames
        settings.skipBad = skipBad
        settings.template = template
        let backend: any AnswerBackend
        if let model {
            backend = LocalBackend(loom: try LoomModel(directory: try ModelLocation.resolve(model), compute: try compute.options()))
        } else {
            guard let url = URL(string: server!), url.scheme == "http" || url.scheme == "https" else { throw ValidationError("--server must be an http(s) URL") }
            backend = ServerBackend(baseURL: url, model: serverModel, apiKey: ProcessInfo.processInfo.environment["OPENAI_API_KEY"])
        }
        let progress = ProgressLine("eval", total: samples.count, items: "samples")
        let evaluation = EvalRun(samples: samples, backend: backend, protocol: EvalProtocol(rawValue: `protocol`)!, settings: settings)
        let summary: EvalRun.Summary
        do {
            summary = try evaluation.run(outputPath: out, resume: resume) { done, _ in progress.update(done: done) }
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        for failure in summary.failures { writeError("skipped \(failure)") }
        writeError("\(out): \(summary.answered) samples answered in \(String(format: "%.1f", summary.seconds)) s"
                   + (summary.resumed > 0 ? ", \(summary.resumed) already there" : "") + (summary.failures.isEmpty ? "" : ", \(summary.failures.count) skipped"))
    }
}

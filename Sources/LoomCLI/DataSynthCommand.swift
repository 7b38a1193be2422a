import ArgumentParser
import Foundation
import LoomData

/// `loom data synth`: procedural M4 tasks with their images, deterministic per seed (train.md §9.2).
struct DataSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Generate procedural M4-Instruct tasks (PNG images, frame-folder videos) with exact answers.",
        discussion: """
        Tasks (--task, comma-separated, or all): \(SynthTasks.names.joined(separator: ", ")). Single image: \
        color, shape, digit; multi-image: spot-difference, odd-one-out; video (a folder of PNG frames, one <image> \
        marker): count-frames, motion; multi-view: which-view; multi-patch (AnyRes, images twice --image-size): \
        read-detail.

        Writes OUT/data.json (a JSON array, one record per line) and the media under OUT (images/<id>.png, \
        images/<id>_<k>.png, videos/<id>/frame_00.png…), paths relative to OUT. Records: {"id": "<task>-<seed>", \
        "image" or "video", "conversations", "metadata": {"dataset": <task>, "question_type": "exact", "format"}}: \
        one file for loom data (--media-root OUT), loom train and loom eval, which scores them by exact match per task.

        --count N samples of each task, interleaved round-robin: record i is task i mod T with seed S + i, so a \
        run uses the seeds S ..< S + N·T. The same arguments give byte-identical files. Keep training and \
        held-out sets apart by their seed ranges: by convention training seeds below 1,000,000, held-out seeds \
        from 1,000,000 on. --format mixed makes each multi-image, view or video sample front or interleaved with \
        p = 0.5 from its seed (the pictures and answer of a seed are the same in every format).

        Examples:
          loom data synth --task all --count 1000 --seed 0 --out train
          loom data synth --task color,shape,digit --count 500 --seed 500000 --out stage-a
          loom data synth --task all --count 50 --seed 1000000 --format front --out heldout
          loom eval run --model DIR --data heldout/data.json --out answers.jsonl
          loom eval score answers.jsonl
        """)

    @Option(help: "Tasks: comma-separated names, or all.") var task: String
    @Option(help: "Samples per task.") var count: Int
    @Option(help: "The seed of the first sample (sample i uses seed + i).") var seed: UInt64 = 0
    @Option(help: "front, interleaved or mixed (p = 0.5 per sample).") var format = "mixed"
    @Option(help: "Image side in pixels (read-detail draws at twice this).") var imageSize = 48
    @Option(help: "The output folder (new or empty).") var out: String

    func validate() throws {
        _ = try tasks()
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard SynthFormat(rawValue: format) != nil else { throw ValidationError("--format must be front, interleaved or mixed, got '\(format)'") }
        guard SynthOptions.imageSizes.contains(imageSize) else {
            throw ValidationError("--image-size must be in \(SynthOptions.imageSizes.lowerBound)…\(SynthOptions.imageSizes.upperBound)")
        }
        if let contents = try? FileManager.default.contentsOfDirectory(atPath: out), !contents.isEmpty {
            throw ValidationError("--out \(out) is not empty; give a new or empty folder")
        }
    }

    /// The tasks `--task` names, in the order given (`all`: every task).
    func tasks() throws -> [any SynthTask] {
        if task == "all" { return SynthTasks.all }
        return try task.split(separator: ",").map { name in
            guard let found = SynthTasks.named(String(name)) else {
                throw ValidationError("unknown task '\(name)'; tasks: \(SynthTasks.names.joined(separator: ", ")), or all")
            }
            return found
        }
    }

    func run() throws {
        let synth = SynthRun(tasks: try tasks(), count: count, seed: seed,
                             options: SynthOptions(imageSize: imageSize, format: SynthFormat(rawValue: format)!))
        let progress = ProgressLine("synth", total: synth.total, items: "samples")
        do {
            try synth.write(to: URL(fileURLWithPath: out, isDirectory: true)) { progress.update(done: $0) }
        } catch {
            progress.finish()
            throw error
        }
        let seconds = progress.finish()
        writeError("\(out)/data.json: \(synth.total) samples (\(synth.tasks.count) task\(synth.tasks.count == 1 ? "" : "s") × \(count)), "
                   + "seeds \(seed)…\(seed &+ UInt64(synth.total - 1)), in \(String(format: "%.1f", seconds)) s")
    }
}

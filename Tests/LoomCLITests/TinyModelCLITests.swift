import Foundation
import LoomTestSupport
import Testing

/// The model Loom trained itself (`models/tiny-m4`, built by `make tiny-model`) answers samples it has never seen,
/// through `loom eval` as a user runs it; and the first training stage, from scratch, learns in a couple of minutes.
@Suite(.serialized) struct TinyModelCLITests {
    static let model = Fixtures.repositoryRoot.appendingPathComponent("models/tiny-m4")

    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("loom-tiny-\(UUID().uuidString)-\(name)")
    }

    /// Exact-match accuracy (a fraction) per task of `model` on `count` fresh samples per task from `seed` on, asked in the
    /// checkpoint's own chat template (the format it was trained in).
    static func heldOutAccuracy(model: URL, tasks: String, count: Int, seed: Int, format: String) throws -> [String: Double] {
        let folder = temporary(format)
        defer { try? FileManager.default.removeItem(at: folder) }
        let synth = try CLI.run(["data", "synth", "--task", tasks, "--count", "\(count)", "--seed", "\(seed)", "--format", format,
                                 "--out", folder.path])
        #expect(synth.status == 0, "\(synth.stderr)")
        let data = folder.appendingPathComponent("data.json").path, results = folder.appendingPathComponent("r.jsonl").path
        let run = try CLI.run(["eval", "run", "--model", model.path, "--data", data, "--out", results, "--template", "checkpoint",
                               "--max-new-tokens", "12"], timeout: 600)
        #expect(run.status == 0, "\(run.stderr)")
        let score = try CLI.run(["eval", "score", results, "--output", "json", "--data", data])
        #expect(score.status == 0, "\(score.stderr)")
        return try #require(try score.json()["datasets"] as? [String: Double])
    }

    /// The tasks of the committed model, and the lowest accuracy (a fraction) it reaches per task on fresh samples in both
    /// prompt formats. Measured (models/tiny-m4/training/held-*.txt): colour 100, count-frames 48–52, the others at
    /// chance (shape 30, digit 18, spot-difference 2, odd-one-out 30–32, motion 30, which-view 28–30) — the recipe
    /// has not yet taught the tower shapes (PyTorch with the same recipe stays at chance too); issue 17 asks for ≥ 95.
    static let tasks = ["color", "shape", "digit", "spot-difference", "odd-one-out", "count-frames", "motion", "which-view"]
    static let floors: [String: Double] = ["color": 0.99, "count-frames": 0.35]

    @Test(arguments: [("front", 5_000_000), ("interleaved", 5_100_000)])
    func committedModelAnswersFreshSamples(format: String, seed: Int) throws {
        let accuracy = try Self.heldOutAccuracy(model: Self.model, tasks: Self.tasks.joined(separator: ","), count: 50,
                                                seed: seed, format: format)
        #expect(accuracy.keys.sorted() == Self.tasks.sorted())
        for (task, floor) in Self.floors {
            #expect((accuracy[task] ?? 0) >= floor, "\(format) \(task): \(accuracy[task] ?? 0) < \(floor)")
        }
    }

    /// Stage A in miniature: fresh weights (the committed architecture and tokenizer), the colour task only, 200 steps
    /// of batch 16 — the loss falls below half its start and fresh colour questions are answered.
    @Test func singleImageStageLearnsFromScratch() throws {
        let folder = Self.temporary("smoke")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data"), initial = folder.appendingPathComponent("init"), out = folder.appendingPathComponent("a")
        #expect(try CLI.run(["data", "synth", "--task", "color", "--count", "3200", "--seed", "0", "--out", data.path]).status == 0)
        let made = try CLI.run(["init", "--config", Self.model.appendingPathComponent("architecture.json").path, "--tokenizer", Self.model.path,
                                "--fit-tokenizer", "--seed", "0", "--out", initial.path])
        #expect(made.status == 0, "\(made.stderr)")
        let train = try CLI.run(["train", "--model", initial.path, "--data", data.appendingPathComponent("data.json").path,
                                 "--tune", "projector,language_model,vision_tower", "--preset", "llava-next", "--lr", "1e-3",
                                 "--warmup-steps", "50", "--schedule", "constant", "--weight-decay", "0.01", "--adam-beta2", "0.98",
                                 "--batch-size", "16", "--max-steps", "200", "--seed", "1", "--out", out.path], timeout: 900)
        #expect(train.status == 0, "\(train.stderr)")
        let log = try TrainCLITests.log(out)
        let first = try #require(log.first?["loss"] as? Double), last = try #require(log.last?["loss"] as? Double)
        #expect(log.count == 200 && last < 0.5 * first, "loss \(first) → \(last)")
        let accuracy = try Self.heldOutAccuracy(model: out, tasks: "color", count: 50, seed: 4_000_000, format: "front")
        #expect((accuracy["color"] ?? 0) >= 0.9, "colour accuracy \(accuracy)")
    }
}

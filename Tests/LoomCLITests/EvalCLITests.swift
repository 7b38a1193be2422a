import Foundation
import LoomTestSupport
import Testing

/// `loom eval run` end to end on a tiny synthetic benchmark (written here in the authors' and lmms-eval's layouts)
/// with the tiny fixture model: answers equal `loom generate`'s, a killed run resumes to the same file, shards merge
/// to the unsharded run, and bad inputs are named.
@Suite(.serialized) struct EvalCLITests {
    static let model = Fixtures.url("llava/tiny-84").path
    static let images = ["coffee.jpg", "chelsea.jpg", "astronaut.jpg", "rocket.jpg"]

    /// A benchmark folder: `bench.json` (authors), `bench.jsonl` (lmms-eval), `eval_images/…`.
    static func makeBench(samples: Int = 6) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bench-\(UUID().uuidString)")
        let images = directory.appendingPathComponent("eval_images/Split1")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for name in Self.images { try FileManager.default.copyItem(at: Fixtures.url("llava/images/\(name)"), to: images.appendingPathComponent(name)) }
        var authors: [String] = [], lmms: [String] = []
        let datasets = [("Spot-the-Diff", "open-ended"), ("NLVR2_Mantis", "multi-choice"), ("ScanQA", "open-ended")]
        for index in 0..<samples {
            let (dataset, type) = datasets[index % datasets.count]
            let paths = (0..<(1 + index % 3)).map { "eval_images/Split1/\(Self.images[(index + $0) % Self.images.count])" }
            let question = index % 2 == 0 ? paths.map { _ in "<image>" }.joined() + "\nWhat differs? Answer \(index)."
                                          : "Look at " + paths.map { _ in "<image>" }.joined(separator: " and ") + ". Which one? \(index)"
            let answer = type == "multi-choice" ? "A" : "A cup on a table \(index)."
            var conversations = #"[{"from": "human", "value": \#(json(question))}, {"from": "gpt", "value": \#(json(answer))}]"#
            if samples >= 9 && index == 5 {
                // A multi-turn sample, as the authors' bench has: one result line per turn.
                conversations = #"[{"from": "human", "value": \#(json(question))}, {"from": "gpt", "value": \#(json(answer))}, {"from": "human", "value": "And then?"}, {"from": "gpt", "value": "Nothing."}]"#
            }
            authors.append(#"{"sample_id": \#(index), "conversations": \#(conversations), "image": [\#(paths.map(json).joined(separator: ", "))], "metadata": {"dataset": "\#(dataset)", "question_type": "\#(type)"}}"#)
            let imageFields = paths.enumerated().map { "\"image_\($0.offset)\": \(json($0.element))" }.joined(separator: ", ")
            lmms.append(#"{"sample_id": \#(index), "sub_task": "\#(dataset)", "question_type": "\#(type)", "question": \#(json(question.replacingOccurrences(of: "<image>", with: ""))), "answer": \#(json(answer)), \#(imageFields)}"#)
        }
        try ("[\n" + authors.joined(separator: ",\n") + "\n]\n").write(to: directory.appendingPathComponent("bench.json"), atomically: true, encoding: .utf8)
        try (lmms.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("bench.jsonl"), atomically: true, encoding: .utf8)
        return directory
    }

    static func json(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes]), as: UTF8.self)
    }

    /// The results of a file without their timings (which differ between runs).
    static func results(_ path: String) throws -> [NSDictionary] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            var object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            object["timings"] = nil
            return object as NSDictionary
        }
    }

    func run(_ bench: URL, _ arguments: [String]) throws -> CLI.Run {
        try CLI.run(["eval", "run", "--model", Self.model, "--max-new-tokens", "24"] + arguments.map {
            $0.replacingOccurrences(of: "@", with: bench.path + "/")
        })
    }

    @Test func answersEqualLoomGenerate() throws {
        let bench = try Self.makeBench(samples: 4)
        defer { try? FileManager.default.removeItem(at: bench) }
        let first = try self.run(bench, ["--data", "@bench.json", "--out", "@authors.jsonl"])
        #expect(first.status == 0, "\(first.stderr)")
        let results = try Self.results(bench.path + "/authors.jsonl")
        #expect(results.count == 4)
        let records = try JSONSerialization.jsonObject(with: Data(contentsOf: bench.appendingPathComponent("bench.json"))) as! [[String: Any]]
        for (record, result) in zip(records, results) {
            let question = ((record["conversations"] as! [[String: String]])[0])["value"]!
            let images = (record["image"] as! [String]).flatMap { ["--image", bench.path + "/" + $0] }
            let generated = try CLI.run(["generate", "--model", Self.model, "--template", "llava", "--prompt", question,
                                         "--max-tokens", "24", "--output", "json"] + images)
            #expect(generated.status == 0, "\(generated.stderr)")
            let text = try generated.json()["text"] as! String
            #expect(result["pred_response"] as? String == text.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(result["sample_id"] as? Int == record["sample_id"] as? Int)
            #expect(result["prompt"] as? String == question)
            #expect(result["protocol"] as? String == "authors")
        }
        let lmms = try self.run(bench, ["--data", "@bench.jsonl", "--protocol", "lmms-eval", "--out", "@lmms.jsonl"])
        #expect(lmms.status == 0, "\(lmms.stderr)")
        #expect(try Self.results(bench.path + "/lmms.jsonl").map { $0["dataset"] as? String } == ["Spot-the-Diff", "NLVR2_Mantis", "ScanQA", "Spot-the-Diff"])
    }

    @Test func resumeAfterAKillAndShardsEqualTheWholeRun() throws {
        let count = 30
        let bench = try Self.makeBench(samples: count)
        defer { try? FileManager.default.removeItem(at: bench) }
        let whole = try self.run(bench, ["--data", "@bench.json", "--out", "@whole.jsonl", "--parallel", "3"])
        #expect(whole.status == 0, "\(whole.stderr)")
        let expected = try Self.results(bench.path + "/whole.jsonl")
        #expect(expected.map { $0["sample_id"] as? Int } == Array(0...5) + Array(5..<count))
        #expect(expected.map { $0["turn"] as? Int }[5...6] == [0, 1])
        #expect(expected[6]["prompt"] as? String == "And then?")

        for index in 0..<3 {
            let part = try self.run(bench, ["--data", "@bench.json", "--out", "@part\(index).jsonl", "--shard", "\(index)/3"])
            #expect(part.status == 0, "\(part.stderr)")
        }
        #expect(try (0..<3).flatMap { try Self.results(bench.path + "/part\($0).jsonl") } == expected)

        // Kill a run once it has written some answers, then resume it.
        let partial = bench.path + "/killed.jsonl"
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["eval", "run", "--model", Self.model, "--max-new-tokens", "24", "--parallel", "1",
                             "--data", bench.path + "/bench.json", "--out", partial]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, ((try? String(contentsOfFile: partial, encoding: .utf8))?.split(separator: "\n").count ?? 0) < 2 {
            Thread.sleep(forTimeInterval: 0.002)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let written = try Self.results(partial).count
        #expect(written >= 2 && written < count + 1, "killed after \(written) answers")
        // As if the kill had come in the middle of writing a line.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"dataset": "Spot-the-Diff", "sample_id": 2"#.utf8))
        try handle.close()
        let again = try self.run(bench, ["--data", "@bench.json", "--out", "@killed.jsonl"])
        #expect(again.status == 1, "an existing results file needs --resume")
        #expect(again.stderr.contains("--resume"))
        let resumed = try self.run(bench, ["--data", "@bench.json", "--out", "@killed.jsonl", "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("already there"), "\(resumed.stderr)")
        #expect(try Self.results(partial) == expected)
    }

    @Test func videoMultipleChoiceIsAnsweredAndScored() throws {
        let bench = try Self.makeBench(samples: 1)
        defer { try? FileManager.default.removeItem(at: bench) }
        try FileManager.default.copyItem(at: Fixtures.url("video/h264.mp4"), to: bench.appendingPathComponent("clip.mp4"))
        try #"{"qid": "v1", "video": "clip.mp4", "question": " What happens? ", "a0": "a", "a1": "b", "a2": "c", "a3": "d", "a4": "e", "answer": 2}"#
            .appending("\n").write(toFile: bench.path + "/nextqa.jsonl", atomically: true, encoding: .utf8)
        let listed = try CLI.run(["eval", "list", bench.path + "/nextqa.jsonl"])
        #expect(listed.stdout.contains("1 samples (nextqa layout)"), "\(listed.stdout)")
        let run = try self.run(bench, ["--data", "@nextqa.jsonl", "--out", "@video.jsonl", "--frames", "4"])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(try Self.results(bench.path + "/video.jsonl").first)
        #expect(result["gt_response"] as? String == "C")
        #expect(result["options"] as? [String] == ["a", "b", "c", "d", "e"])
        #expect(result["dataset"] as? String == "NExT-QA")
        let scored = try CLI.run(["eval", "score", bench.path + "/video.jsonl", "--scorer", "lmms-eval", "--output", "json"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let score = try #require((try scored.json()["datasets"] as? [String: Double])?["NExT-QA"])
        #expect(score == 0 || score == 1)
    }

    @Test func badInputsAreNamed() throws {
        let bench = try Self.makeBench(samples: 3)
        defer { try? FileManager.default.removeItem(at: bench) }
        try FileManager.default.removeItem(at: bench.appendingPathComponent("eval_images/Split1/chelsea.jpg"))
        let stopped = try self.run(bench, ["--data", "@bench.json", "--out", "@a.jsonl", "--parallel", "1"])
        #expect(stopped.status != 0)
        #expect(stopped.stderr.contains("sample 1 (NLVR2_Mantis)") && stopped.stderr.contains("missing file eval_images/Split1/chelsea.jpg"),
                "\(stopped.stderr)")
        let skipped = try self.run(bench, ["--data", "@bench.json", "--out", "@b.jsonl", "--skip-bad"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("skipped sample"), "\(skipped.stderr)")
        let answered = try Self.results(bench.path + "/b.jsonl").map { $0["sample_id"] as? Int }
        #expect(answered == [0, 2])

        let malformed = bench.path + "/malformed.json"
        try #"[{"sample_id": 1, "conversations": [{"from": "human", "value": "Hi"}], "metadata": {"dataset": "X", "question_type": "open-ended"}}]"#
            .write(toFile: malformed, atomically: true, encoding: .utf8)
        let bad = try self.run(bench, ["--data", "@malformed.json", "--out", "@c.jsonl"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("record 0, sample 1: `conversations` must hold question/answer pairs"), "\(bad.stderr)")

        try #"{"dataset": "Other", "sample_id": 99, "pred_response": "x", "gt_response": "y", "question_type": "open-ended"}"#
            .appending("\n").write(toFile: bench.path + "/other.jsonl", atomically: true, encoding: .utf8)
        let foreign = try self.run(bench, ["--data", "@bench.json", "--out", "@other.jsonl", "--resume", "--skip-bad"])
        #expect(foreign.status != 0)
        #expect(foreign.stderr.contains("sample 99 of Other") && foreign.stderr.contains("not a results file of this run"), "\(foreign.stderr)")
    }
}

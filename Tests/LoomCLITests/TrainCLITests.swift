import Foundation
import LoomTestSupport
import Testing

/// `loom train` end to end on the tiny llava fixture: over-fitting a few records, exact resume, the outputs a
/// PyTorch user loads, and bad inputs refused before any step.
@Suite(.serialized) struct TrainCLITests {
    /// A folder with images, a frame folder and `train.json` of eight records (one- and two-image, a video).
    static func dataset() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loom-train-\(UUID().uuidString)")
        let frames = folder.appendingPathComponent("clip")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        let images = Fixtures.url("llava/images")
        for name in ["coffee.jpg", "chelsea.jpg", "rocket.jpg", "astronaut.jpg", "camera.png"] {
            try FileManager.default.copyItem(at: images.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        for (index, name) in ["rocket.jpg", "astronaut.jpg", "coffee.jpg"].enumerated() {
            try FileManager.default.copyItem(at: images.appendingPathComponent(name), to: frames.appendingPathComponent("frame\(index).jpg"))
        }
        func record(_ id: Int, _ media: String, _ question: String, _ answer: String) -> String {
            #"{"id": "s\#(id)", \#(media), "conversations": [{"from": "human", "value": "\#(question)"}, {"from": "gpt", "value": "\#(answer)"}]}"#
        }
        let records = [
            record(0, #""image": "coffee.jpg""#, #"<image>\nWhat is this?"#, "A cup of coffee."),
            record(1, #""image": "chelsea.jpg""#, #"<image>\nWhat is this?"#, "A cat."),
            record(2, #""image": "rocket.jpg""#, #"<image>\nWhat is this?"#, "A rocket."),
            record(3, #""image": "astronaut.jpg""#, #"<image>\nWho is this?"#, "An astronaut."),
            record(4, #""image": ["coffee.jpg", "chelsea.jpg"]"#, #"Image 1: <image>\nImage 2: <image>\nWhich is warmer?"#, "Image 1."),
            record(5, #""image": ["rocket.jpg", "camera.png"]"#, #"<image><image>\nWhich one flies?"#, "The first."),
            record(6, #""video": "clip""#, #"<image>\nWhat happens?"#, "A launch."),
            record(7, #""image": "camera.png""#, #"<image>\nWhat is this?"#, "A photographer."),
        ]
        try ("[" + records.joined(separator: ",\n") + "]").write(to: folder.appendingPathComponent("train.json"), atomically: true, encoding: .utf8)
        return folder
    }

    static let model = Fixtures.url("llava/tiny-84").path

    static func log(_ directory: URL) throws -> [[String: Any]] {
        try String(contentsOf: directory.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test func overfitsEightSamples() throws {
        let data = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: data) }
        let out = data.appendingPathComponent("full")
        let run = try CLI.run(["train", "--model", Self.model, "--data", data.appendingPathComponent("train.json").path,
                               "--preset", "llava-next", "--tune", "projector,language_model", "--lr", "1e-2", "--schedule", "constant", "--batch-size", "8",
                               "--max-steps", "30", "--video-frames", "3", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        let log = try Self.log(out)
        #expect(log.map { $0["step"] as! Int } == Array(1...30))
        let first = log.first!["loss"] as! Double, last = log.last!["loss"] as! Double
        #expect(last < 0.05 * first, "loss \(first) → \(last)")
        #expect(log.allSatisfy { $0["samples"] as! Int == 8 && $0["tokens"] as! Int > 0 })
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("config.json").path))
        // The trained checkpoint answers as trained: greedy decoding of a training prompt (the llava template renders
        // what the llava-next preset trained on) gives its answer.
        let answer = try CLI.run(["generate", "--model", out.path, "--image", data.appendingPathComponent("chelsea.jpg").path,
                                  "--prompt", "What is this?", "--template", "llava", "--max-tokens", "8", "--temperature", "0"])
        #expect(answer.status == 0, "\(answer.stderr)")
        #expect(answer.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "A cat.", "\(answer.stdout)")
    }

    @Test(arguments: [["--batch-size", "2", "--grad-accum", "2"], ["--batch-tokens", "150"]])
    func resumeRepeatsTheUninterruptedRun(batching: [String]) throws {
        let data = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: data) }
        let common = ["train", "--model", Self.model, "--data", data.appendingPathComponent("train.json").path, "--lora-rank", "4",
                      "--lora-alpha", "8", "--lora-dropout", "0.1", "--tune", "projector", "--lr", "5e-3",
                      "--max-steps", "4", "--warmup-steps", "1", "--video-frames", "2", "--seed", "7"] + batching
        let whole = data.appendingPathComponent("whole"), first = data.appendingPathComponent("first")
        let resumed = data.appendingPathComponent("resumed")
        let a = try CLI.run(common + ["--out", whole.path])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try CLI.run(common + ["--out", first.path, "--save-every", "2"])
        #expect(b.status == 0, "\(b.stderr)")
        let c = try CLI.run(["train", "--resume", first.appendingPathComponent("checkpoint-2").path, "--out", resumed.path])
        #expect(c.status == 0, "\(c.stderr)")
        let reference = try Self.log(whole).map { $0["loss"] as! Double }
        if batching.contains("--batch-tokens") {
            // Steps take samples until 150 positions: their count follows the lengths (images take 36 each).
            #expect(try Self.log(whole).allSatisfy { ($0["positions"] as! Int) >= 150 })
        }
        let continued = try Self.log(resumed)
        #expect(continued.map { $0["step"] as! Int } == [3, 4])
        #expect(continued.map { $0["loss"] as! Double } == Array(reference[2...]), "resumed \(continued), whole \(reference)")
        let adapterA = try Data(contentsOf: whole.appendingPathComponent("adapter_model.safetensors"))
        let adapterC = try Data(contentsOf: resumed.appendingPathComponent("adapter_model.safetensors"))
        #expect(adapterA == adapterC)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: whole.appendingPathComponent("adapter_config.json"))) as! [String: Any]
        #expect(config["r"] as? Int == 4 && config["peft_type"] as? String == "LORA")
        #expect(config["modules_to_save"] as? [String] == ["multi_modal_projector"])
    }

    @Test func trainsFromScratchAfterInit() throws {
        let data = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: data) }
        let initial = data.appendingPathComponent("init"), out = data.appendingPathComponent("scratch")
        let made = try CLI.run(["init", "--config", Fixtures.url("llava/tiny-84/config.json").path, "--tokenizer", Self.model,
                                "--seed", "3", "--out", initial.path])
        #expect(made.status == 0, "\(made.stderr)")
        let again = try CLI.run(["init", "--config", Fixtures.url("llava/tiny-84/config.json").path, "--tokenizer", Self.model,
                                 "--seed", "3", "--out", data.appendingPathComponent("init2").path])
        #expect(again.status == 0)
        #expect(try Data(contentsOf: initial.appendingPathComponent("model.safetensors"))
            == Data(contentsOf: data.appendingPathComponent("init2/model.safetensors")))
        let run = try CLI.run(["train", "--model", initial.path, "--data", data.appendingPathComponent("train.json").path,
                               "--tune", "projector,language_model,vision_tower", "--lr", "1e-2", "--schedule", "constant",
                               "--batch-size", "8", "--max-steps", "12", "--video-frames", "2", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        let losses = try Self.log(out).map { $0["loss"] as! Double }
        #expect(losses.last! < 0.5 * losses.first!, "\(losses)")
    }

    @Test func tokenShardsTrainAsTheirRecords() throws {
        let data = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: data) }
        let shard = data.appendingPathComponent("train.loomtok")
        let tokenize = try CLI.run(["data", "tokenize", data.appendingPathComponent("train.json").path, "--model", Self.model,
                                    "--preset", "hf", "--shard-out", shard.path])
        #expect(tokenize.status == 0, "\(tokenize.stderr)")
        let common = ["train", "--model", Self.model, "--tune", "projector", "--lr", "1e-3", "--batch-size", "4", "--max-steps", "2",
                      "--video-frames", "2", "--media-root", data.path]
        let fromRecords = try CLI.run(common + ["--data", data.appendingPathComponent("train.json").path, "--out", data.appendingPathComponent("a").path])
        let fromShard = try CLI.run(common + ["--data", shard.path, "--out", data.appendingPathComponent("b").path])
        #expect(fromRecords.status == 0 && fromShard.status == 0, "\(fromRecords.stderr)\(fromShard.stderr)")
        #expect(try Self.log(data.appendingPathComponent("a")).map { $0["loss"] as! Double }
            == Self.log(data.appendingPathComponent("b")).map { $0["loss"] as! Double })
    }

    @Test func badInputsAreRefusedBeforeAnyStep() throws {
        let data = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: data) }
        let base = ["train", "--model", Self.model, "--out", data.appendingPathComponent("out").path, "--max-steps", "1"]
        let bad = data.appendingPathComponent("bad.json")
        try #"[{"id": "x", "image": ["missing.jpg"], "conversations": [{"from": "human", "value": "<image>\nHi"}, {"from": "gpt", "value": "Yo"}]}]"#
            .write(to: bad, atomically: true, encoding: .utf8)
        let missing = try CLI.run(base + ["--data", bad.path, "--tune", "projector"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("record 0 (x)") && missing.stderr.contains("missing.jpg"), "\(missing.stderr)")
        try #"[{"id": "y", "image": ["coffee.jpg", "chelsea.jpg"], "conversations": [{"from": "human", "value": "<image>\nHi"}, {"from": "gpt", "value": "Yo"}]}]"#
            .write(to: bad, atomically: true, encoding: .utf8)
        let markers = try CLI.run(base + ["--data", bad.path, "--tune", "projector"])
        #expect(markers.status != 0)
        #expect(markers.stderr.contains("record 0 (y): 1 <image> markers") && markers.stderr.contains("for 2 images"), "\(markers.stderr)")
        let train = data.appendingPathComponent("train.json").path
        let rank = try CLI.run(base + ["--data", train, "--lora-rank", "100"])
        #expect(rank.status != 0)
        #expect(rank.stderr.contains("--lora-rank 100 is larger than"), "\(rank.stderr)")
        let nothing = try CLI.run(base + ["--data", train])
        #expect(nothing.status != 0)
        #expect(nothing.stderr.contains("nothing to train"), "\(nothing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("out/log.jsonl").path))
    }
}

import Foundation
import Testing
import LoomTestSupport

/// `loom generate`, `tokenize`, `detokenize` run as processes on the tiny reference checkpoints.
@Suite struct TextGenerationCLITests {
    let model = Fixtures.url("qwen2/gqa-f32").path

    @Test func generateJSONMatchesTransformersGreedy() throws {
        let chat = try Fixtures.referenceJSON(Fixtures.url("qwen2/gqa-f32"))["chat"] as! [String: Any]
        let run = try CLI.run(["generate", "--model", model, "--prompt", chat["prompt"] as! String,
                               "--max-tokens", "32", "--output", "json", "--logprobs", "2"])
        let (json, expected) = try expectReferenceGeneration(run, chat, idsKey: "prompt_ids")
        let logprobs = try #require(json["logprobs"] as? [[String: Any]])
        #expect(logprobs.count == expected.count)
        #expect((logprobs.first?["top"] as? [Any])?.count == 2)
        let timings = try #require(json["timings"] as? [String: Any])
        for key in ["load_ms", "prefill_ms", "decode_ms", "prefill_tokens_per_s", "decode_tokens_per_s"] {
            #expect((timings[key] as? NSNumber)?.doubleValue ?? -1 >= 0, "timing \(key)")
        }
    }

    @Test func streamedTextEqualsJSONText() throws {
        let args = ["generate", "--model", model, "--prompt", "Tell me about weaving.", "--max-tokens", "20"]
        let text = try CLI.run(args)
        let json = try CLI.run(args + ["--output", "json"]).json()
        #expect(text.status == 0)
        #expect(text.stdout == (json["text"] as! String) + "\n")
        #expect(text.stderr.contains("prefill"))
    }

    @Test func tokenizeAndDetokenizeRoundTrip() throws {
        let run = try CLI.run(["tokenize", "--model", model, "<|im_start|>user\nHi there<|im_end|>"])
        #expect(run.status == 0)
        let ids = Fixtures.ints(try run.json(), "ids")
        #expect(ids.first == 513 && ids.last == 514)
        let plain = Fixtures.ints(try CLI.run(["tokenize", "--model", model, "--no-special", "<|im_start|>"]).json(), "ids")
        #expect(!plain.contains(513))
        let back = try CLI.run(["detokenize", "--model", model] + ids.map(String.init))
        #expect(back.stdout == "<|im_start|>user\nHi there<|im_end|>\n")
    }

    /// `--file` reads texts longer than a command line holds (a 300 KiB argument is refused by the kernel).
    @Test func tokenizeReadsAFile() throws {
        let model = Fixtures.url("qwen2/gqa-f32").path
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("loom-text-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        let text = String(repeating: "Hello there, ", count: 3) + "<|im_end|>"
        try text.write(to: file, atomically: true, encoding: .utf8)
        let fromFile = try CLI.run(["tokenize", "--model", model, "--file", file.path])
        let fromArgument = try CLI.run(["tokenize", "--model", model, text])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(Fixtures.ints(try fromFile.json(), "ids") == Fixtures.ints(try fromArgument.json(), "ids"))
        let long = String(repeating: "a", count: 300 << 10)
        try long.write(to: file, atomically: true, encoding: .utf8)
        let big = try CLI.run(["tokenize", "--model", model, "--file", file.path])
        #expect(big.status == 0, "\(big.stderr)")
        #expect(!Fixtures.ints(try big.json(), "ids").isEmpty)
    }

    /// Each failure exits non-zero with a one-line message that names the cause.
    @Test(arguments: [
        (["generate", "--model", "/nonexistent/model", "--prompt", "hi"], "/nonexistent/model"),
        (["generate", "--model", Fixtures.url("qwen2/gqa-f32").path, "--prompt", ""], "empty prompt"),
        (["generate", "--model", Fixtures.url("qwen2/gqa-f32").path, "--raw", "--prompt", String(repeating: "a b ", count: 400)], "context"),
        (["generate", "--model", Fixtures.url("qwen2/gqa-f32").path, "--prompt", "hi", "--top-p", "0"], "top-p"),
        (["detokenize", "--model", Fixtures.url("qwen2/gqa-f32").path, "99999"], "99999"),
    ])
    func failuresAreOneLineErrors(arguments: [String], mentions: String) throws {
        let run = try CLI.run(arguments)
        #expect(run.status != 0)
        let lines = run.stderr.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.count >= 1)
        #expect(lines.first?.contains(mentions) == true, "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
    }

    @Test func unknownModelTypeAndCorruptWeights() throws {
        let dir = try Fixtures.copy(Fixtures.url("qwen2/gqa-f32"))
        let config = dir.appendingPathComponent("config.json")
        let original = try Data(contentsOf: config)
        try Data(String(decoding: original, as: UTF8.self).replacingOccurrences(of: "\"qwen2\"", with: "\"mamba\"").utf8).write(to: config)
        let unknown = try CLI.run(["generate", "--model", dir.path, "--prompt", "hi"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown model_type 'mamba'"))
        try original.write(to: config)
        let weights = dir.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count / 2).write(to: weights)
        let truncated = try CLI.run(["generate", "--model", dir.path, "--prompt", "hi"])
        #expect(truncated.status != 0)
        #expect(truncated.stderr.contains("truncated"))
    }
}

import Foundation
import Testing
import LoomCheckpoint
import LoomCore
import LoomTestSupport

/// `loom generate`, `prompt` and `pixels` with images, on the tiny LLaVA reference checkpoint.
@Suite struct MultimodalCLITests {
    let model = Fixtures.url("llava/tiny-84").path
    func image(_ name: String) -> String { Fixtures.url("llava/images/\(name)").path }

    func reference(_ caseName: String) throws -> [String: Any] {
        try #require(try Fixtures.referenceCase(caseName, in: Fixtures.url("llava/tiny-84")))
    }

    @Test func interleavedGenerationMatchesTransformers() throws {
        let expected = try reference("interleaved-1")
        let run = try CLI.run(["generate", "--model", model, "--prompt", "What is in <image>?", "--image", image("chelsea.jpg"),
                               "--max-tokens", "32", "--output", "json"])
        let (json, _) = try expectReferenceGeneration(run, expected)
        #expect(((json["timings"] as? [String: Any])?["encode_ms"] as? NSNumber)?.doubleValue ?? 0 > 0)
    }

    /// `loom quantize --weights bf16` writes a copy that `generate` maps instead of packing, and that generates
    /// exactly what the original generates in bf16.
    @Test(.enabled(if: Capabilities.packedBF16, Capabilities.packedBF16Reason)) func packedCopyGeneratesAsOriginal() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-packed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let source = Fixtures.url("llava/tiny-84-bf16").path
        let quantize = try CLI.run(["quantize", "--model", source, "--weights", "bf16", "--out", out.path])
        #expect(quantize.status == 0, "\(quantize.stderr)")
        let arguments = ["--prompt", "What is in <image>?", "--image", image("chelsea.jpg"), "--max-tokens", "8",
                         "--output", "json", "--dtype", "bf16"]
        let original = try CLI.run(["generate", "--model", source] + arguments)
        let packed = try CLI.run(["generate", "--model", out.path] + arguments)
        #expect(original.status == 0 && packed.status == 0, "\(original.stderr) \(packed.stderr)")
        let ids = Fixtures.ints(try original.json(), "token_ids")
        #expect(!ids.isEmpty)
        #expect(Fixtures.ints(try packed.json(), "token_ids") == ids)
        #expect(try packed.json()["text"] as? String == original.json()["text"] as? String)
    }

    @Test func promptCommandReportsExpandedIds() throws {
        let expected = try reference("hf-2img")
        let run = try CLI.run(["prompt", "--model", model, "--template", "hf", "--prompt", "Compare",
                               "--image", image("coffee.jpg"), "--image", image("chelsea.jpg")])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try run.json()
        #expect(json["text"] as? String == "<|im_start|>user\n<image><image>\nCompare<|im_end|>\n<|im_start|>assistant\n")
        #expect((json["image_token_count"] as? NSNumber)?.intValue == 72)
        let ids = Fixtures.ints(json, "ids")
        #expect(ids.filter { $0 == 515 }.count == 72)
        #expect(Array(ids.prefix(3)) == Array(Fixtures.ints(expected, "input_ids").prefix(3)))
    }

    @Test func llavaTemplateMatchesOriginalTokenisation() throws {
        let expected = try reference("llava-1img")
        let run = try CLI.run(["prompt", "--model", model, "--template", "llava", "--prompt", "<image>\nWhat is shown in this image?",
                               "--image", image("astronaut.jpg")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Fixtures.ints(try run.json(), "ids") == Fixtures.ints(expected, "input_ids"))
    }

    @Test func pixelsCommandWritesTheProcessorsTensor() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString).npy")
        let run = try CLI.run(["pixels", "--model", model, "--image", image("coffee.jpg"), "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        let data = try Data(contentsOf: out)
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'descr': '<f4'") && header.contains("'shape': (3, 84, 84)"))
        let values = data[(10 + headerLength)...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let expected = try Fixtures.referenceTensor(Fixtures.url("llava/tiny-84"), "pixel_values.coffee.jpg")
        #expect(values.count == expected.count)
        #expect(maxAbsDifference(values, expected.data) <= 1e-6)
    }

    /// Each failure exits non-zero with a one-line message that names the cause.
    @Test func failuresAreOneLineErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let truncated = dir.appendingPathComponent("cut.jpg")
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: image("astronaut.jpg")))
        try jpeg.prefix(jpeg.count / 3).write(to: truncated)
        let garbage = dir.appendingPathComponent("garbage.png")
        try Data("this is not an image".utf8).write(to: garbage)
        let cases: [([String], String)] = [
            (["--prompt", "Compare <image> and <image>.", "--image", image("coffee.jpg")], "2 <image> markers but 1 image"),
            (["--prompt", "Compare <image>.", "--image", image("coffee.jpg"), "--template", "hf"], "hf template"),
            (["--prompt", "What is this?", "--image", truncated.path], "cut.jpg"),
            (["--prompt", "What is this?", "--image", garbage.path], "garbage.png"),
            (["--prompt", "What is this?", "--image", dir.appendingPathComponent("absent.jpg").path], "absent.jpg"),
        ]
        for (arguments, mention) in cases {
            let run = try CLI.run(["generate", "--model", model, "--max-tokens", "2"] + arguments)
            #expect(run.status != 0, "\(arguments)")
            let first = run.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.contains(mention), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("Fatal error"))
        }
    }

    @Test func missingVisionWeightsAreNamed() throws {
        let dir = try Fixtures.copy(Fixtures.url("llava/tiny-84"))
        let weights = dir.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(path: weights.path)
        let kept = try file.entries.keys.filter { !$0.hasPrefix("vision_tower.") }.map { try file.weight($0)! }
        let copy = dir.appendingPathComponent("model.tmp")
        try SafeTensorsWriter.write(kept, to: copy)
        try FileManager.default.removeItem(at: weights)
        try FileManager.default.moveItem(at: copy, to: weights)
        let run = try CLI.run(["generate", "--model", dir.path, "--prompt", "hi", "--image", image("coffee.jpg")])
        #expect(run.status != 0)
        #expect(run.stderr.contains("no vision tower weights"), "\(run.stderr)")
    }

    @Test func imagesOverThePixelLimitAreRefused() throws {
        let run = try CLI.run(["generate", "--model", model, "--prompt", "hi", "--image", image("coffee.jpg"), "--max-image-pixels", "1000"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("coffee.jpg"), "\(run.stderr)")
        #expect(run.stderr.lowercased().contains("pixel"), "\(run.stderr)")
    }
}

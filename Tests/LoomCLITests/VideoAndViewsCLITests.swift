import Foundation
import Testing
import LoomTestSupport

/// `--video` and `--views` on the command line, against the M4 reference cases.
@Suite struct VideoAndViewsCLITests {
    let model = Fixtures.url("llava/tiny-84").path

    func m4Case(_ name: String) throws -> [String: Any] {
        try #require(try Fixtures.referenceCase(name, in: Fixtures.url("m4")))
    }

    @Test func promptReportsVideoFramesAndTokens() throws {
        let reference = try m4Case("video-image")
        let run = try CLI.run(["prompt", "--model", model, "--prompt", "Watch <video> and compare it with <image>.",
                               "--video", Fixtures.url("m4/video/pan.mov").path, "--frames", "8",
                               "--image", Fixtures.url("llava/images/chelsea.jpg").path])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try run.json()
        #expect(Fixtures.ints(json, "ids") == Fixtures.ints(reference, "input_ids"))
        let media = try #require(json["media"] as? [[String: Any]])
        #expect(media.count == 2)
        #expect(media[0]["kind"] as? String == "video" && Fixtures.ints(media[0], "frame_indices") == Fixtures.ints(reference, "frame_indices"))
        #expect((media[0]["tokens"] as? NSNumber)?.intValue == 8 * 36 && (media[1]["tokens"] as? NSNumber)?.intValue == 36)
        #expect((media[0]["timestamps"] as? [NSNumber])?.count == 8)
    }

    @Test func viewsFolderGeneratesLikeTransformers() throws {
        let reference = try m4Case("views-6")
        let run = try CLI.run(["generate", "--model", model, "--prompt", "Scene: <views>\nWhere is the helmet?",
                               "--views", Fixtures.url("m4/views/scene").path, "--max-tokens", "32", "--output", "json"])
        try expectReferenceGeneration(run, reference)
    }

    @Test func badVideosAndScenesAreOneLineErrors() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("loom-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let cases: [([String], String)] = [
            (["--video", Fixtures.url("video/truncated.mp4").path], "truncated.mp4"),
            (["--video", Fixtures.url("video/audio.m4a").path], "audio.m4a"),
            (["--video", "/nonexistent/clip.mp4"], "clip.mp4"),
            (["--views", empty.path], "no image files"),
            (["--prompt", "Two <video> and <video>", "--video", Fixtures.url("m4/video/pan.mov").path], "2 <video> markers but 1 video"),
        ]
        for (arguments, mention) in cases {
            let prompt = arguments.contains("--prompt") ? [] : ["--prompt", "What happens?"]
            let run = try CLI.run(["generate", "--model", model, "--max-tokens", "2"] + prompt + arguments)
            #expect(run.status != 0, "\(arguments)")
            let first = run.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.contains(mention), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("Fatal error"))
        }
    }

    @Test func benchTimesAVideoPrompt() throws {
        let run = try CLI.run(["bench", "--model", model, "--video", Fixtures.url("m4/video/pan.mov").path, "--frames", "16",
                               "--scenario", "1-image", "--text-tokens", "10", "--decode-tokens", "2"])
        #expect(run.status == 0, "\(run.stderr)")
        let video = try #require(try run.json()["video"] as? [String: Any])
        #expect((video["frames"] as? NSNumber)?.intValue == 16 && (video["total_frames"] as? NSNumber)?.intValue == 24)
        #expect((video["tokens"] as? NSNumber)?.intValue == 16 * 36 + 10)
        #expect(((video["time_to_first_token_ms"] as? NSNumber)?.doubleValue ?? 0) >= ((video["decode_ms"] as? NSNumber)?.doubleValue ?? 1))
    }

    /// In bf16, `loom bench` measures the bf16 product rate in the same process and relates the tower's rate to it.
    @Test(.enabled(if: Capabilities.packedBF16, Capabilities.packedBF16Reason)) func benchRelatesVisionToTheProductRate() throws {
        let run = try CLI.run(["bench", "--model", model, "--dtype", "bf16", "--scenario", "1-image", "--text-tokens", "4",
                               "--decode-tokens", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        let efficiency = try #require(try run.json()["vision_efficiency"] as? [String: Any])
        let gemm = try #require((efficiency["gemm_bf16_gflops"] as? NSNumber)?.doubleValue)
        let vision = try #require((efficiency["vision_gflops"] as? NSNumber)?.doubleValue)
        let ratio = try #require((efficiency["efficiency"] as? NSNumber)?.doubleValue)
        #expect(gemm > 0 && vision > 0 && abs(ratio - vision / gemm) < 1e-9)
    }
}

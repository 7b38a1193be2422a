import Foundation
import Testing
import LoomTestSupport

/// `loom generate` and `loom prompt` on the tiny LLaVA-NeXT (AnyRes) checkpoint: each image takes the token count
/// its size gives, and the continuation matches transformers'.
@Suite struct AnyResCLITests {
    let model = Fixtures.url("llava_next/tiny-anyres").path
    func image(_ name: String) -> String { Fixtures.url("llava/images/\(name)").path }

    func reference(_ caseName: String) throws -> [String: Any] {
        try #require(try Fixtures.referenceCase(caseName, in: Fixtures.url("llava_next/tiny-anyres")))
    }

    @Test(arguments: [("wide", "chelsea.jpg"), ("tall", "rocket.jpg"), ("square", "astronaut.jpg")])
    func generationMatchesTransformers(caseName: String, file: String) throws {
        let expected = try reference(caseName)
        let run = try CLI.run(["generate", "--model", model, "--prompt", "What is shown in this image?", "--image", image(file),
                               "--max-tokens", "32", "--output", "json"])
        try expectReferenceGeneration(run, expected)
    }

    @Test func promptReportsEachImagesTokenCount() throws {
        let expected = try reference("two-images")
        let run = try CLI.run(["prompt", "--model", model, "--prompt", "Compare <image> and <image>.",
                               "--image", image("coffee.jpg"), "--image", image("camera.png")])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try run.json()
        #expect(Fixtures.ints(json, "ids") == Fixtures.ints(expected, "input_ids"))
        #expect(Fixtures.ints(json, "image_tokens") == [69, 79])
        #expect((json["image_token_count"] as? NSNumber)?.intValue == 148)
    }
}

/// `--image-mode anyres` on a llava-interleave checkpoint: flat multi-patch as the original LLaVA-NeXT code runs it.
@Suite struct InterleaveAnyResCLITests {
    @Test func anyResModeMatchesTheFlatReference() throws {
        let directory = Fixtures.url("llava_next/interleave-anyres")
        let wide = try #require(try Fixtures.referenceCase("wide", in: directory))
        let run = try CLI.run(["generate", "--model", Fixtures.url("llava/tiny-84").path, "--prompt", "What is in <image>?",
                               "--image", Fixtures.url("llava/images/chelsea.jpg").path, "--image-mode", "anyres",
                               "--grid-pinpoints", "84x168,168x84,168x168", "--max-tokens", "32", "--output", "json"])
        try expectReferenceGeneration(run, wide)
    }

    @Test func badPinpointsAreRefused() throws {
        let run = try CLI.run(["generate", "--model", Fixtures.url("llava/tiny-84").path, "--prompt", "hi",
                               "--image", Fixtures.url("llava/images/coffee.jpg").path, "--image-mode", "anyres",
                               "--grid-pinpoints", "100x168"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("84"), "\(run.stderr)")
    }
}

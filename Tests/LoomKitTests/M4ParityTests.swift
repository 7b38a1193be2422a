import Foundation
import Testing
import LoomCore
import LoomEngine
import LoomMedia
import LoomModels
import LoomPrompt
import LoomTestSupport
@testable import LoomKit

/// The reference case `name` of the M4 fixtures (`make_m4_fixtures.py`).
func m4Case(_ name: String) throws -> [String: Any] {
    try #require(try Fixtures.referenceCase(name, in: Fixtures.url("m4")))
}

/// The other M4 shapes and the original checkpoint layout against transformers (fixtures of `make_m4_fixtures.py`).
@Suite struct M4ParityTests {
    /// Compares ids, logits (the recorded rows) and the greedy continuation of `prompt` with a reference case.
    func check(_ loom: LoomModel, _ prompt: RenderedPrompt, _ reference: [String: Any], logits expected: Tensor) throws {
        #expect(prompt.imageTokenTotal == (reference["image_token_count"] as? NSNumber)?.intValue)
        try expectReferenceParity(loom, prompt, inputIDs: Fixtures.ints(reference, "input_ids"), logits: expected,
                                  logitRows: reference["logits_rows"] == nil ? nil : Fixtures.ints(reference, "logits_rows"),
                                  greedyIDs: Fixtures.ints(reference, "greedy_ids"), eosTokenIDs: [514],
                                  label: reference["name"] as? String ?? "")
    }

    @Test func sixViewScene() throws {
        let loom = try LoadedFixtures.model("tiny-84")
        let folder = Fixtures.url("m4/views/scene")
        let views = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { ImageSource.file(folder.appendingPathComponent($0)) }
        #expect(views.count == 6)
        let chat = Conversation.user([.text("Scene: "), .views(views), .text("\nWhere is the helmet?")])
        let prompt = try loom.prompt(chat, template: .interleaved)
        try check(loom, prompt, try m4Case("views-6"), logits: try Fixtures.referenceTensor(Fixtures.url("m4"), "logits.views-6"))
    }

    /// The same weights in the lmms-lab layout (`llava_qwen`): original tokenisation with the −200 sentinel and
    /// images padded to a square with the mean colour.
    @Test(arguments: ["llava-pad-1img", "llava-pad-2img"])
    func originalCheckpointLayout(caseName: String) throws {
        let directory = Fixtures.url("llava_qwen/tiny-84-lmms")
        let loom = try LoomModel(directory: directory)
        #expect(loom.model.modelType == "llava_qwen")
        let reference = try #require(try Fixtures.referenceCase(caseName, in: directory))
        let images = (reference["images"] as! [String]).map { ImageSource.file(Fixtures.url("llava/images/\($0)")) }
        let chat = try Conversation.user(text: reference["prompt"] as! String, images: images, template: .llava)
        let prompt = try loom.prompt(chat)
        try check(loom, prompt, reference, logits: try Fixtures.referenceTensor(directory, "logits.\(caseName)"))
    }
}

/// The image-feature cache: later turns re-encode nothing they have seen; different pixels never share an entry.
@Suite struct ImageFeatureCacheTests {
    let astronaut = ImageSource.file(Fixtures.url("llava/images/astronaut.jpg"))
    let coffee = ImageSource.file(Fixtures.url("llava/images/coffee.jpg"))

    @Test func multiTurnConversationEncodesEachImageOnce() throws {
        let loom = try LoomModel(directory: Fixtures.url("llava/tiny-84"))
        var chat = Conversation.user([.image(astronaut), .text("What is this?")])
        let first = try loom.reply(to: chat, parameters: .init(maxNewTokens: 4, eosTokenIDs: [514]))
        #expect(loom.featureCache.misses == 1 && loom.featureCache.hits == 0)
        chat.append(.assistant, [.text(first.result.text)])
        chat.append(.user, [.image(coffee), .image(astronaut), .text("And these?")])
        _ = try loom.reply(to: chat, parameters: .init(maxNewTokens: 4, eosTokenIDs: [514]))
        // The second turn looks up each of its three images: the astronaut (twice) is found, the coffee is encoded.
        #expect(loom.featureCache.misses == 2)
        #expect(loom.featureCache.hits == 2)
        #expect(loom.featureCache.count == 2)
    }

    @Test func imagesDifferingInOnePixelGetTheirOwnEntries() throws {
        let loom = try LoomModel(directory: Fixtures.url("llava/tiny-84"))
        let original = try astronaut.load()
        var pixels = original.pixels
        let middle = (original.height / 2 * original.width + original.width / 2) * 3
        for c in 0..<3 { pixels[middle + c] = 255 - pixels[middle + c] }
        let changed = try RGBImage(width: original.width, height: original.height, pixels: pixels)
        let prompt = try loom.prompt(.user([.image(.pixels(original)), .image(.pixels(changed)), .text("Same?")]))
        let (embeddings, _) = try loom.embed(prompt)
        #expect(loom.featureCache.count == 2 && loom.featureCache.misses == 2)
        let start = try #require(prompt.ids.firstIndex(of: 515))
        let firstImage = embeddings.rows(start..<(start + 36)), secondImage = embeddings.rows((start + 36)..<(start + 72))
        #expect(maxAbsDifference(firstImage.data, secondImage.data) > 0)
    }

    @Test func leastRecentlyUsedEntriesGoFirst() {
        let cache = ImageFeatureCache(capacityBytes: 3 * 16)
        let tensor = Tensor(zeros: [4])
        cache.store(tensor, for: "a")
        cache.store(tensor, for: "b")
        cache.store(tensor, for: "c")
        _ = cache.features(for: "a")
        cache.store(tensor, for: "d")
        #expect(cache.features(for: "b") == nil)
        #expect(cache.features(for: "a") != nil && cache.features(for: "c") != nil && cache.features(for: "d") != nil)
        #expect(cache.storedBytes == 48)
        cache.store(Tensor(zeros: [100]), for: "huge")
        #expect(cache.features(for: "huge") == nil && cache.count == 3)
    }

    @Test func keysCoverPixelsSizeAndSettings() {
        let pixels = [UInt8](repeating: 7, count: 12)
        let key = imageContentKey(width: 2, height: 2, pixels: pixels, settings: "s")
        #expect(key.count == 64)
        #expect(key != imageContentKey(width: 4, height: 1, pixels: pixels, settings: "s"))
        #expect(key != imageContentKey(width: 2, height: 2, pixels: pixels, settings: "t"))
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

/// Videos in prompts: frames sampled as lmms-eval does, each an image of the prompt, against transformers fed the
/// frames PyAV decodes.
@Suite struct VideoPromptParityTests {
    let video = Fixtures.url("m4/video/pan.mov")

    @Test func sixteenFrameVideo() throws {
        let loom = try LoadedFixtures.model("tiny-84")
        let reference = try m4Case("video-16")
        let chat = Conversation.user([.video(VideoRequest(url: video, frames: 16)), .text("Describe the video.")])
        let (prompt, media) = try loom.preparePrompt(chat, template: .hf)
        #expect(media.count == 1 && media[0].kind == "video" && media[0].images == 16 && media[0].tokens == 16 * 36)
        #expect(media[0].frameIndices == Fixtures.ints(reference, "frame_indices"))
        #expect(media[0].totalFrames == 24)
        try M4ParityTests().check(loom, prompt, reference, logits: try Fixtures.referenceTensor(Fixtures.url("m4"), "logits.video-16"))
    }

    @Test func videoAndImageInOneMessage() throws {
        let loom = try LoadedFixtures.model("tiny-84")
        let reference = try m4Case("video-image")
        let parts = try PromptTemplate.parts(text: "Watch <video> and compare it with <image>.",
                                             media: [.image(.file(Fixtures.url("llava/images/chelsea.jpg"))),
                                                     .video(VideoRequest(url: video, frames: 8))], template: .interleaved)
        let (prompt, media) = try loom.preparePrompt(.user(parts), template: .interleaved)
        #expect(media.map(\.kind) == ["video", "image"])
        #expect(media[0].frameIndices == Fixtures.ints(reference, "frame_indices"))
        try M4ParityTests().check(loom, prompt, reference, logits: try Fixtures.referenceTensor(Fixtures.url("m4"), "logits.video-image"))
    }

    @Test func frameTimesGoBeforeEachFrame() throws {
        let loom = try LoadedFixtures.model("tiny-84")
        let chat = Conversation.user([.video(VideoRequest(url: video, frames: 3, showTimestamps: true)), .text("When?")])
        let (prompt, media) = try loom.preparePrompt(chat, template: .interleaved)
        let times = try #require(media[0].timestamps)
        #expect(times.count == 3 && times[0] == 0)
        #expect(prompt.text.contains(String(format: "[%.2fs] <image>", times[1])))
    }
}

/// An image encoded a few tower layers at a time (as the engine's steps run it) gives exactly the features of one go,
/// for one view and for AnyRes views over several tower passes.
@Suite struct SteppedEncodingTests {
    @Test func encodingLayerByLayerEqualsOneGo() throws {
        let loom = try LoomModel(directory: Fixtures.url("llava/tiny-84"))
        let image = try ImageSource.file(Fixtures.url("llava/images/chelsea.jpg")).load()
        for pinpoints in [nil, [[84, 168], [168, 84], [168, 168]]] as [[[Int]]?] {
            if let pinpoints { try loom.useAnyRes(pinpoints: pinpoints) }
            let encoder = try #require(loom.imageEncoder)
            let whole = try encoder.features(of: image)
            let job = try encoder.startEncoding(image)
            var steps = 0
            var result: Tensor?
            while result == nil {
                result = try job.advance(layers: 1)
                steps += 1
            }
            #expect(result?.data == whole.data && result?.shape == whole.shape)
            #expect(steps > 1)
        }
    }
}

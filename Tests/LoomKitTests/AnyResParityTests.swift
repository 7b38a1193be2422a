import Foundation
import Testing
import LoomCheckpoint
import LoomCore
import LoomMedia
import LoomModels
import LoomPrompt
import LoomTestSupport
@testable import LoomKit

/// One AnyRes reference case: the conversation, the ids `LlavaNextProcessor` gave, each image's token count.
struct AnyResCase {
    let name: String
    let template: PromptTemplate
    let conversation: Conversation
    let inputIDs: [Int]
    let imageTokenCounts: [Int]
    let greedyIDs: [Int]
    let logitRows: [Int]?

    init(_ json: [String: Any]) throws {
        name = json["name"] as! String
        template = PromptTemplate(rawValue: json["template"] as! String)!
        let images = (json["images"] as! [String]).map { ImageSource.file(AnyResParityTests.image($0)) }
        inputIDs = Fixtures.ints(json, "input_ids")
        imageTokenCounts = Fixtures.ints(json, "image_token_counts")
        greedyIDs = Fixtures.ints(json, "greedy_ids")
        logitRows = json["logits_rows"] == nil ? nil : Fixtures.ints(json, "logits_rows")
        conversation = try referenceConversation(json, images: images, template: template)
    }

    static func all(in directory: String) throws -> [AnyResCase] {
        try (Fixtures.referenceJSON(Fixtures.url(directory))["cases"] as! [[String: Any]]).map { try AnyResCase($0) }
    }
}

/// LLaVA-NeXT multi-patch images through the path a user takes (`LoomModel(directory:)`, render, generate) against
/// transformers' `LlavaNextForConditionalGeneration` + `LlavaNextProcessor`, and `flat` AnyRes on a llava-interleave
/// checkpoint against the original LLaVA-NeXT merge.
@Suite struct AnyResParityTests {
    static let next = "llava_next/tiny-anyres"
    static let interleave = "llava_next/interleave-anyres"
    static let nextCases = (try? AnyResCase.all(in: next).map(\.name)) ?? []
    static let interleaveCases = (try? AnyResCase.all(in: interleave).map(\.name)) ?? []
    static let nextImages = ["chelsea.jpg", "rocket.jpg", "astronaut.jpg", "chelsea-97x23.png", "rocket-19x75.png",
                             "coffee.jpg", "camera.png"]

    /// A test image: the odd-sized crops live with the AnyRes fixtures, the photos with the LLaVA ones.
    static func image(_ name: String) -> URL {
        let local = Fixtures.url("llava_next/images/\(name)")
        return FileManager.default.fileExists(atPath: local.path) ? local : Fixtures.url("llava/images/\(name)")
    }

    /// Key of the llava-interleave tiny checkpoint tiled at the interleave fixture's pinpoints.
    static let interleaveModel = "llava/tiny-84 + anyres"

    static func model(_ key: String) throws -> LoomModel {
        try LoadedFixtures.lock.withLock {
            if let model = LoadedFixtures.cache[key] { return model }
            let model: LoomModel
            if key == interleaveModel {
                model = try LoomModel(directory: Fixtures.url("llava/tiny-84"))
                try model.useAnyRes(pinpoints: try Fixtures.referenceJSON(Fixtures.url(interleave))["image_grid_pinpoints"] as! [[Int]])
            } else {
                model = try LoomModel(directory: Fixtures.url(key))
            }
            LoadedFixtures.cache[key] = model
            return model
        }
    }

    @Test(arguments: nextCases)
    func llavaNext(caseName: String) throws {
        try check(try Self.model(Self.next), caseName, reference: Self.next)
    }

    @Test(arguments: interleaveCases)
    func interleaveFlat(caseName: String) throws {
        try check(try Self.model(Self.interleaveModel), caseName, reference: Self.interleave)
    }

    /// The views (global squash, then tiles) against `LlavaNextImageProcessorPil`: the 8-bit views exactly, the
    /// normalized tensor within 1e-6.
    @Test(arguments: nextImages)
    func pixelTiles(file: String) throws {
        let loom = try Self.model(Self.next)
        let multiPatch = try #require(loom.multiPatch)
        let image = try ImageSource.file(Self.image(file)).load()
        let (shape, expected) = try Self.referenceBytes("pixel_values_u8.\(file)")
        let views = multiPatch.processor.views(of: image)
        let planar = views.flatMap { view in (0..<3).flatMap { c in stride(from: c, to: view.pixels.count, by: 3).map { view.pixels[$0] } } }
        #expect(planar == expected, "\(file): 8-bit views differ")
        let pixels = try loom.pixels(.file(Self.image(file)))
        #expect(pixels.shape == shape)
        let normalized = expected.map { (Float(Double($0) * (1.0 / 255.0)) - 0.5) / 0.5 }
        #expect(maxAbsDifference(pixels.data, normalized) <= 1e-6)
    }

    /// An 8-bit tensor of the LLaVA-NeXT fixture's `reference.safetensors`.
    static func referenceBytes(_ name: String) throws -> (shape: [Int], bytes: [UInt8]) {
        let file = try SafeTensorsFile(path: Fixtures.url(next).appendingPathComponent("reference.safetensors").path)
        guard let raw = file.rawTensor(name), raw.entry.dtypeName == "U8" else { throw CheckpointError.missingTensor(name) }
        return (raw.entry.shape, Array(raw.bytes))
    }

    /// Packed features (global view, then unpadded rows each closed by `image_newline`) against transformers.
    @Test(arguments: nextImages)
    func packedFeatures(file: String) throws {
        let loom = try Self.model(Self.next)
        let features = try #require(loom.multiPatch).features(of: try ImageSource.file(Self.image(file)).load())
        let expected = try Fixtures.referenceTensor(Fixtures.url(Self.next), "image_features.\(file)")
        #expect(features.shape == expected.shape)
        #expect(maxAbsDifference(features.data, expected.data) < 1e-4)
    }

    /// A llava-interleave checkpoint tiles only when asked; a text-only or LLaVA-NeXT one refuses.
    @Test func anyResIsOptInForInterleaveCheckpoints() throws {
        let plain = try LoomModel(directory: Fixtures.url("llava/tiny-84"))
        #expect(plain.multiPatch == nil)
        let image = ImageSource.file(Self.image("chelsea.jpg"))
        #expect(try plain.prompt(.user([.image(image), .text("Hi")])).imageTokenCounts == [36])
        try plain.useAnyRes(pinpoints: [[84, 168], [168, 84], [168, 168]])
        #expect(try plain.prompt(.user([.image(image), .text("Hi")])).imageTokenCounts == [5 * 36])
        #expect(throws: ModelError.self) { try plain.useAnyRes(pinpoints: [[84, 100]]) }
        #expect(throws: ModelError.self) { try Self.model(Self.next).useAnyRes(pinpoints: [[42, 42]]) }
    }

    /// The raw-prompt path counts tiled images the same way.
    @Test func rawPromptCountsEachImage() throws {
        let loom = try Self.model(Self.next)
        let item = try #require(try AnyResCase.all(in: Self.next).first { $0.name == "two-images" })
        let text = "<|im_start|>user\nCompare <image> and <image>.<|im_end|>\n<|im_start|>assistant\n"
        let prompt = try loom.promptRaw(text, images: item.conversation.images)
        #expect(prompt.ids == item.inputIDs && prompt.imageTokenCounts == [69, 79])
    }

    /// The processor configuration of the llava-hf `llava-v1.6` repositories (shortest edge, CLIP statistics).
    @Test func hubProcessorConfiguration() throws {
        let json = """
        {"crop_size":{"height":336,"width":336},"do_center_crop":true,"do_normalize":true,"do_rescale":true,"do_resize":true,
         "image_grid_pinpoints":[[336,672],[672,336],[672,672],[1008,336],[336,1008]],"image_mean":[0.48145466,0.4578275,0.40821073],
         "image_processor_type":"LlavaNextImageProcessor","image_std":[0.26862954,0.26130258,0.27577711],"resample":3,
         "rescale_factor":0.00392156862745098,"size":{"shortest_edge":336}}
        """
        let c = try JSONDecoder().decode(LlavaNextImageProcessorConfiguration.self, from: Data(json.utf8))
        try c.validate(tileSize: 336)
        #expect(c.tileSize == 336 && c.imageMean == LlavaNextImageProcessorConfiguration.clipMean)
        #expect(throws: MediaError.self) { try c.validate(tileSize: 384) }
        var odd = c
        odd.imageGridPinpoints = [[336, 500]]
        #expect(throws: MediaError.self) { try odd.validate(tileSize: 336) }
        let processor = try AnyResImageProcessor(configuration: c, tileSize: 336)
        let pixels = processor.preprocess(try RGBImage(width: 1000, height: 500, pixels: [UInt8](repeating: 9, count: 1_500_000)))
        #expect(pixels.views.shape == [3, 3, 336, 336] && pixels.rows == 1 && pixels.columns == 2)
        #expect(LlavaNextImageProcessorConfiguration().tileSize == 224)
    }

    func check(_ loom: LoomModel, _ caseName: String, reference: String) throws {
        let item = try #require(try AnyResCase.all(in: reference).first { $0.name == caseName })
        let prompt = try loom.prompt(item.conversation, template: item.template)
        #expect(prompt.imageTokenCounts == item.imageTokenCounts, "\(caseName): image token counts differ")
        let expected = try Fixtures.referenceTensor(Fixtures.url(reference), "logits.\(caseName)")
        try expectReferenceParity(loom, prompt, inputIDs: item.inputIDs, logits: expected, logitRows: item.logitRows,
                                  greedyIDs: item.greedyIDs, label: caseName)
    }
}

import Foundation
import Testing
import LoomCore
import LoomGeneration
import LoomMedia
import LoomModels
import LoomPrompt
import LoomTestSupport
@testable import LoomKit

/// One reference case of a LLaVA fixture: its conversation, the ids transformers fed the model, the logits and
/// greedy continuation it produced.
struct LlavaCase {
    let name: String
    let template: PromptTemplate
    let images: [ImageSource]
    let conversation: Conversation
    let inputIDs: [Int]
    let greedyIDs: [Int]
    let logitRows: [Int]?

    init(_ json: [String: Any], imagesDirectory: URL) throws {
        name = json["name"] as! String
        template = PromptTemplate(rawValue: json["template"] as! String)!
        images = (json["images"] as! [String]).map { .file(imagesDirectory.appendingPathComponent($0)) }
        inputIDs = Fixtures.ints(json, "input_ids")
        greedyIDs = Fixtures.ints(json, "greedy_ids")
        logitRows = json["logits_rows"] == nil ? nil : Fixtures.ints(json, "logits_rows")
        conversation = try referenceConversation(json, images: images, template: template)
    }

    /// Every case of the fixture directory `name`.
    static func all(in name: String) throws -> [LlavaCase] {
        let reference = try Fixtures.referenceJSON(Fixtures.url("llava/\(name)"))
        return try (reference["cases"] as! [[String: Any]]).map { try LlavaCase($0, imagesDirectory: Fixtures.url("llava/images")) }
    }
}

/// Loaded models are shared between tests of a suite.
enum LoadedFixtures {
    nonisolated(unsafe) static var cache: [String: LoomModel] = [:]
    static let lock = NSLock()
    static func model(_ name: String) throws -> LoomModel {
        try lock.withLock {
            if let model = cache[name] { return model }
            let model = try LoomModel(directory: Fixtures.url("llava/\(name)"), compute: .f32)
            cache[name] = model
            return model
        }
    }
}

@Suite struct LlavaParityTests {
    static let tinyCases = (try? LlavaCase.all(in: "tiny-84").filter { !$0.greedyIDs.isEmpty }.map(\.name)) ?? []

    /// Rendered ids, logits at every position, and greedy continuation against transformers for every case.
    @Test(arguments: tinyCases)
    func tiny84(caseName: String) throws {
        try check("tiny-84", caseName, referenceDirectory: "tiny-84")
    }

    @Test(arguments: ["hf-1img", "interleaved-2"])
    func realGeometry384(caseName: String) throws {
        try check("geometry-384", caseName, referenceDirectory: "geometry-384")
    }

    @Test(arguments: ["hf-1img", "interleaved-2"])
    func bf16Weights(caseName: String) throws {
        try check("tiny-84-bf16", caseName, referenceDirectory: "tiny-84-bf16")
    }

    /// Checkpoints saved with the tensor names of transformers ≥ 4.52 / v5, and what 5.24's `save_pretrained`
    /// writes, give the same results as the hub layout.
    @Test(arguments: [("tiny-84-v5names", "tiny-84"), ("tiny-84-bf16-v5save", "tiny-84-bf16")])
    func renamedLayouts(directory: String, sameAs: String) throws {
        try check(directory, "interleaved-2", referenceDirectory: sameAs)
        try check(directory, "hf-1img", referenceDirectory: sameAs)
    }

    @Test func sixteenImagesExpandToTheProcessorsIds() throws {
        let loom = try LoadedFixtures.model("tiny-84")
        let item = try #require(try LlavaCase.all(in: "tiny-84").first { $0.name == "hf-16img" })
        let prompt = try loom.prompt(item.conversation, template: item.template)
        #expect(prompt.ids == item.inputIDs)
        #expect(prompt.images.count == 16 && prompt.imageTokenTotal == 16 * 36)
    }

    /// Pixels and projected features of each image against transformers, to localise any logit difference.
    @Test(arguments: ["astronaut.jpg", "coffee.jpg", "chelsea.jpg", "rocket.jpg", "camera.png"])
    func imageFeatures(file: String) throws {
        let loom = try LoadedFixtures.model("tiny-84")
        let dir = Fixtures.url("llava/tiny-84")
        let pixels = try loom.pixels(.file(Fixtures.url("llava/images/\(file)")))
        let expectedPixels = try Fixtures.referenceTensor(dir, "pixel_values.\(file)")
        #expect(pixels.shape == expectedPixels.shape)
        #expect(maxAbsDifference(pixels.data, expectedPixels.data) <= 1e-6)
        let features = try #require(loom.imageEncoder).features(of: try ImageSource.file(Fixtures.url("llava/images/\(file)")).load())
        let expected = try Fixtures.referenceTensor(dir, "vision_features.\(file)")
        #expect(features.shape == expected.shape)
        #expect(maxAbsDifference(features.data, expected.data) < 1e-4)
    }

    func check(_ directory: String, _ caseName: String, referenceDirectory: String) throws {
        let loom = try LoadedFixtures.model(directory)
        let item = try #require(try LlavaCase.all(in: referenceDirectory).first { $0.name == caseName })
        let prompt = try loom.prompt(item.conversation, template: item.template)
        let expected = try Fixtures.referenceTensor(Fixtures.url("llava/\(referenceDirectory)"), "logits.\(caseName)")
        try expectReferenceParity(loom, prompt, inputIDs: item.inputIDs, logits: expected, logitRows: item.logitRows,
                                  greedyIDs: item.greedyIDs, label: "\(directory)/\(caseName)")
    }
}

import ArgumentParser
import Foundation
import LoomCore
import LoomKit
import LoomMedia

/// `loom prompt`: the rendered prompt and its token ids, images expanded.
struct PromptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prompt", abstract: "Print the rendered prompt and its token ids as JSON.")

    @OptionGroup var input: PromptOptions

    func run() throws {
        let loom = try input.loadModel()
        let (rendered, media) = try input.render(with: loom)
        try printJSON(Output(text: rendered.text, ids: rendered.ids, imageTokenCount: rendered.imageTokenTotal,
                             images: rendered.images.count, imageTokens: rendered.imageTokenCounts, media: media))
    }

    struct Output: Encodable {
        let text: String
        let ids: [Int]
        let imageTokenCount: Int
        let images: Int
        let imageTokens: [Int]
        /// Each media item in order: kind, images, tokens, and for videos the frame indices and times.
        let media: [MediaReport]
        enum CodingKeys: String, CodingKey {
            case text, ids, imageTokenCount = "image_token_count", images, imageTokens = "image_tokens", media
        }
    }
}

/// `loom pixels`: one image preprocessed for the model, saved as NumPy `.npy`.
struct PixelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pixels", abstract: "Write an image's preprocessed float32 tensor [3,H,W] as .npy.")

    @Option(help: "Model directory (its preprocessor_config.json).") var model: String
    @Option(help: "The image file.") var image: String
    @Option(help: "Output .npy file.") var out: String

    func run() throws {
        let loom = try LoomModel(directory: try ModelLocation.resolve(model))
        let pixels = try loom.pixels(.path(image))
        try NPY.write(pixels, to: URL(fileURLWithPath: out))
    }
}

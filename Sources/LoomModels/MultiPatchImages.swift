import Foundation
import LoomCheckpoint
import LoomCore
import LoomMedia

/// Multi-patch ("AnyRes") images: how an image is tiled, how many prompt positions it takes, and its decoder-ready
/// features. LLaVA-NeXT checkpoints (`llava_next`) always take images this way, merging `spatial_unpad` with their
/// `image_newline`; a llava-interleave checkpoint does when asked for AnyRes pinpoints, merging `flat` (it has no
/// `image_newline`).
public struct MultiPatchImages: ImageEncoding, @unchecked Sendable {
    /// Tiles and normalizes images.
    public let processor: AnyResImageProcessor
    /// Counts and merges the views' features.
    public let layout: AnyResLayout
    let model: LlavaModel
    let newline: [Float]?

    /// For a LLaVA-NeXT checkpoint: `preprocessor_config.json` of `directory` (a `LlavaNextImageProcessor`'s), whose
    /// pinpoints must be the model's; without the file, the model's pinpoints with SigLIP's default normalization.
    init(directory: URL?, model next: LlavaNextModel) throws {
        let name = "preprocessor_config.json"
        let configuration = next.configuration
        let tile = configuration.llava.visionConfig.imageSize
        var processing = LlavaNextImageProcessorConfiguration(
            imageGridPinpoints: configuration.imageGridPinpoints, size: .init(height: tile, width: tile),
            cropSize: .init(height: tile, width: tile), imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5])
        if let directory, FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            processing = try ConfigFile.read(LlavaNextImageProcessorConfiguration.self, named: name, in: directory)
        }
        guard processing.imageGridPinpoints == configuration.imageGridPinpoints else {
            throw ModelError.invalidConfiguration("\(name) image_grid_pinpoints \(processing.imageGridPinpoints) differ from "
                + "config.json's \(configuration.imageGridPinpoints)")
        }
        processor = try AnyResImageProcessor(configuration: processing, tileSize: tile)
        layout = configuration.layout
        model = next.llava
        newline = next.imageNewline
    }

    /// For a LLaVA checkpoint (llava-interleave) tiled at `pinpoints` (`[height, width]` pairs, multiples of the
    /// vision tower's image size) with views normalized by `views` (its SigLIP processor's settings), merged `flat`.
    init(model: LlavaModel, pinpoints: [[Int]], views: ImageProcessorConfiguration) throws {
        layout = try model.flatAnyResLayout(pinpoints: pinpoints)
        processor = try AnyResImageProcessor(grid: layout.grid, views: views)
        self.model = model
        newline = nil
    }

    public var imageTokenID: Int { model.configuration.imageTokenIndex }

    public func positions(width: Int, height: Int) -> Int {
        layout.imageTokenCount(forImageOfWidth: width, height: height)
    }

    public func pixels(of image: RGBImage) -> Tensor { processor.preprocess(image).views }

    public func startEncoding(_ image: RGBImage) throws -> any ImageEncodingJob {
        let pixels = processor.preprocess(image)
        return try model.anyResEncoding(views: pixels.views, imageWidth: pixels.imageWidth, imageHeight: pixels.imageHeight,
                                        layout: layout, newline: newline)
    }

    public var settings: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let views = (try? encoder.encode(processor.viewProcessor.configuration)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let pinpoints = layout.grid.pinpoints.map(\.description).joined(separator: ",")
        return "anyres|\(layout.merge.rawValue)|\(pinpoints)|\(views)"
    }
}

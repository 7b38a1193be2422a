import Foundation
import LoomCheckpoint
import LoomCore
import LoomMedia
import LoomModels
import LoomPrompt

/// Multi-patch ("AnyRes") images for a loaded model: how an image is tiled, how many prompt positions it takes, and
/// its decoder-ready features. LLaVA-NeXT checkpoints (`llava_next`) always use it, merging `spatial_unpad` with
/// their `image_newline`; a llava-interleave checkpoint uses it after ``LoomModel/useAnyRes(pinpoints:)``, merging
/// `flat` (it has no `image_newline`).
public struct MultiPatchImages: @unchecked Sendable {
    /// Tiles and normalizes images.
    public let processor: AnyResImageProcessor
    /// Counts and merges the views' features.
    public let layout: AnyResLayout
    let model: LlavaModel
    let newline: [Float]?

    /// For a LLaVA-NeXT checkpoint: its `preprocessor_config.json` (a `LlavaNextImageProcessor`'s), whose pinpoints
    /// must be the model's; without the file, the model's pinpoints with SigLIP's default normalization.
    init(directory: URL, model next: LlavaNextModel) throws {
        let name = "preprocessor_config.json"
        let configuration = next.configuration
        let tile = configuration.llava.visionConfig.imageSize
        var processing = LlavaNextImageProcessorConfiguration(
            imageGridPinpoints: configuration.imageGridPinpoints, size: .init(height: tile, width: tile),
            cropSize: .init(height: tile, width: tile), imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5])
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
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
    public init(model: LlavaModel, pinpoints: [[Int]], views: ImageProcessorConfiguration) throws {
        layout = try model.flatAnyResLayout(pinpoints: pinpoints)
        processor = try AnyResImageProcessor(grid: layout.grid, views: views)
        self.model = model
        newline = nil
    }

    /// What the prompt renderer needs; the per-image counts come from ``imageTokenCounts(_:)`` at render time.
    var promptVision: PromptRenderer.Vision {
        .init(imageTokenID: model.configuration.imageTokenIndex, tokensPerImage: layout.tokensPerView)
    }

    /// Prompt positions each image takes, from the images' sizes (read from file headers, not decoded).
    public func imageTokenCounts(_ images: [ImageSource]) throws -> [Int] {
        try images.map { image in
            let size = try image.size()
            return layout.imageTokenCount(forImageOfWidth: size.width, height: size.height)
        }
    }

    /// Decoder-ready features of `image`: `[imageTokenCount, hiddenSize]`.
    public func features(of image: RGBImage) throws -> Tensor {
        let pixels = processor.preprocess(image)
        return try model.anyResImageFeatures(views: pixels.views, imageWidth: pixels.imageWidth,
                                             imageHeight: pixels.imageHeight, layout: layout, newline: newline)
    }

    /// What, besides the pixels, decides an image's features (for ``ImageFeatureCache`` keys).
    var settings: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let views = (try? encoder.encode(processor.viewProcessor.configuration)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let pinpoints = layout.grid.pinpoints.map(\.description).joined(separator: ",")
        return "anyres|\(layout.merge.rawValue)|\(pinpoints)|\(views)"
    }
}

extension LoomModel {
    /// Tiles this LLaVA (llava-interleave) checkpoint's images at `pinpoints` (`[height, width]` pairs, multiples of
    /// the vision tower's image size, e.g. `[[384, 768], [768, 384], [768, 768]]`), merging the views' features
    /// `flat` — LLaVA-NeXT's AnyRes as the original code runs it with `mm_patch_merge_type: flat`. Later prompts
    /// count and encode images this way. LLaVA-NeXT checkpoints tile by their own configuration already.
    public func useAnyRes(pinpoints: [[Int]]) throws {
        guard !(model is LlavaNextModel) else {
            throw ModelError.invalidConfiguration("llava_next checkpoints tile images by their own image_grid_pinpoints")
        }
        guard let llava = model as? LlavaModel, let imageProcessor else {
            throw ModelError.invalidConfiguration("AnyRes images need a LLaVA checkpoint; this is '\(model.modelType)'")
        }
        multiPatch = try MultiPatchImages(model: llava, pinpoints: pinpoints, views: imageProcessor.configuration)
    }

    /// The normalized views of one image when images are tiled (``multiPatch``): the global view, then the tiles.
    public func multiPatchPixels(_ image: ImageSource) throws -> AnyResPixels {
        guard let multiPatch else { throw ModelError.invalidInput("images are not tiled for this model (no AnyRes)") }
        return multiPatch.processor.preprocess(try image.load(limits: imageLimits))
    }

    /// `text` rendered verbatim (``PromptRenderer/renderRaw(_:images:imageTokenCounts:)``), each image taking its
    /// multi-patch token count when images are tiled.
    public func promptRaw(_ text: String, images: [ImageSource]) throws -> RenderedPrompt {
        try renderer.renderRaw(text, images: images, imageTokenCounts: try multiPatch?.imageTokenCounts(images))
    }

    /// ``embed(_:)`` for tiled images: each image's packed features (from ``featureCache`` when already encoded),
    /// in order, in place of its token run.
    func embedMultiPatch(_ prompt: RenderedPrompt, _ multiPatch: MultiPatchImages) throws -> (embeddings: Tensor, encodeMs: Double) {
        let start = DispatchTime.now()
        let width = languageModel.hiddenSize
        var rows: [Float] = []
        for (source, count) in zip(prompt.images, prompt.imageTokenCounts) {
            let image = try source.load(limits: imageLimits)
            let key = ImageFeatureCache.key(width: image.width, height: image.height, pixels: image.pixels,
                                            settings: multiPatch.settings)
            let features: Tensor
            if let cached = featureCache.features(for: key) {
                features = cached
            } else {
                features = try multiPatch.features(of: image)
                featureCache.store(features, for: key)
            }
            guard features.rows == count else {
                throw ModelError.invalidInput("\(source.label) (\(image.width)×\(image.height)) gives \(features.rows) feature rows "
                    + "but the prompt holds \(count) positions for it")
            }
            rows += features.data
        }
        let embeddings = try multiPatch.model.embed(ids: prompt.ids,
                                                    imageFeatures: Tensor(shape: [rows.count / width, width], data: rows))
        return (embeddings, millisecondsSince(start))
    }
}

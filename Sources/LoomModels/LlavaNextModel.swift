import Foundation
import LoomCheckpoint
import LoomCore

/// LLaVA-NeXT (`LlavaNextForConditionalGeneration`): LLaVA's vision tower, projector and decoder, with every image
/// seen as a global view plus a grid of tiles whose features are merged by the configuration's
/// ``AnyResLayout`` — `spatial_unpad` with the learned `image_newline` vector, as transformers does.
public final class LlavaNextModel: LoadedModel, @unchecked Sendable {
    public let configuration: LlavaNextConfiguration
    /// The tower, projector and decoder, found with LLaVA's tensor-layout detection.
    public let llava: LlavaModel
    /// The vector closing each row of the unpadded feature grid; nil when the checkpoint has none (`flat` only).
    public let imageNewline: [Float]?

    /// Names `image_newline` has: llava-hf hub files and transformers' `save_pretrained`, then transformers-5
    /// in-memory names and the original LLaVA-NeXT checkpoints.
    static let newlineNames = ["image_newline", "model.image_newline"]

    /// Builds the model from `source`.
    public init(configuration: LlavaNextConfiguration, source: any TensorSource) throws {
        try configuration.validate()
        self.configuration = configuration
        llava = try LlavaModel(configuration: configuration.llava, source: source)
        if let name = Self.newlineNames.first(where: { source.contains($0) }) {
            imageNewline = try source.vector(name, count: configuration.llava.textConfig.hiddenSize)
        } else {
            imageNewline = nil
        }
        if configuration.patchMerge == .spatialUnpad && imageNewline == nil {
            throw ModelError.invalidConfiguration("checkpoint has no image_newline (looked for "
                + Self.newlineNames.joined(separator: ", ") + "), which spatial_unpad merging needs")
        }
    }

    public var modelType: String { configuration.llava.modelType }
    public var languageModel: any LanguageModel { llava.decoder }

    /// Decoder-ready features of one image from its views (`[1 + tiles, 3, size, size]`, the global view first,
    /// tiles row-major), for an image of `imageWidth` × `imageHeight` pixels:
    /// `[configuration.imageTokenCount(forImageOfWidth:height:), hiddenSize]`.
    public func imageFeatures(views: Tensor, imageWidth: Int, imageHeight: Int) throws -> Tensor {
        try llava.anyResImageFeatures(views: views, imageWidth: imageWidth, imageHeight: imageHeight,
                                      layout: configuration.layout, newline: imageNewline)
    }
}

extension LlavaModel {
    /// The multi-patch layout for this model with explicit `pinpoints` (`[height, width]` pairs, multiples of the
    /// vision tower's image size) and `flat` merging: how the llava-interleave checkpoints, which have no
    /// `image_newline`, take AnyRes images (the original LLaVA-NeXT code with `mm_patch_merge_type: flat`).
    public func flatAnyResLayout(pinpoints: [[Int]]) throws -> AnyResLayout {
        let vision = configuration.visionConfig
        if let problem = AnyResGrid.problem(pinpoints: pinpoints, tileSize: vision.imageSize) {
            throw ModelError.invalidConfiguration(problem)
        }
        return AnyResLayout(grid: AnyResGrid(pinpoints: pinpoints, tileSize: vision.imageSize),
                            patchesPerSide: vision.patchesPerSide, tokensPerView: configuration.imageTokenCount, merge: .flat)
    }

    /// Decoder-ready features of one multi-patch image: the views (`[1 + tiles, 3, size, size]`) through the tower
    /// and projector, merged by `layout` (`newline` is needed for `spatialUnpad`).
    public func anyResImageFeatures(views: Tensor, imageWidth: Int, imageHeight: Int, layout: AnyResLayout,
                                    newline: [Float]?) throws -> Tensor {
        try anyResEncoding(views: views, imageWidth: imageWidth, imageHeight: imageHeight, layout: layout, newline: newline).finish()
    }

    /// The encoding of one multi-patch image's views, a few tower layers at a time, merged by `layout` at the end.
    public func anyResEncoding(views: Tensor, imageWidth: Int, imageHeight: Int, layout: AnyResLayout,
                               newline: [Float]?) throws -> any ImageEncodingJob {
        let (rows, columns) = layout.grid.tiles(forWidth: imageWidth, height: imageHeight)
        guard views.shape.count == 4, views.shape[0] == 1 + rows * columns else {
            throw ModelError.invalidInput("a \(imageWidth)×\(imageHeight) image has \(1 + rows * columns) views "
                + "(global + \(rows)×\(columns) tiles), got pixels \(views.shape)")
        }
        if layout.merge == .spatialUnpad && newline == nil {
            throw ModelError.invalidInput("spatial_unpad merging needs image_newline, which this checkpoint lacks")
        }
        return MergedEncoding(try Encoding(model: self, pixels: views)) { features in
            layout.pack(features, imageWidth: imageWidth, imageHeight: imageHeight, newline: newline)
        }
    }
}

/// An encoding whose features are transformed once it is done (the AnyRes merge of a multi-patch image's views).
final class MergedEncoding: ImageEncodingJob {
    private let inner: any ImageEncodingJob
    private let merge: (Tensor) -> Tensor

    init(_ inner: any ImageEncodingJob, merge: @escaping (Tensor) -> Tensor) {
        self.inner = inner
        self.merge = merge
    }

    func advance(layers: Int) throws -> Tensor? { try inner.advance(layers: layers).map(merge) }
}

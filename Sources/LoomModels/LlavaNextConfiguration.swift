import Foundation
import LoomCore

/// `LlavaNextConfig` of transformers (`model_type: llava_next`): LLaVA's fields plus `image_grid_pinpoints`, the
/// resolutions a multi-patch image may be tiled at. Absent fields take the class defaults (pinpoints
/// `[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]`, LLaVA's defaults for the rest).
/// `mm_patch_merge_type`, a key of the original LLaVA-NeXT configs that transformers does not read, selects the
/// merge: `spatial_unpad` (transformers' only behaviour, the default) or `flat`.
public struct LlavaNextConfiguration: Codable, Sendable, Equatable {
    /// The fields shared with LLaVA: vision tower, decoder, projector, image token, feature selection.
    public var llava: LlavaConfiguration
    /// `(height, width)` resolutions, each a multiple of the vision tower's image size.
    public var imageGridPinpoints: [[Int]] = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]
    public var patchMerge = AnyResLayout.Merge.spatialUnpad

    enum CodingKeys: String, CodingKey {
        case imageGridPinpoints = "image_grid_pinpoints", patchMerge = "mm_patch_merge_type"
    }

    /// The class defaults.
    public init() {
        llava = LlavaConfiguration()
        llava.modelType = "llava_next"
    }

    public init(from decoder: Decoder) throws {
        self.init()
        llava = try LlavaConfiguration(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imageGridPinpoints = try c.decodeIfPresent([[Int]].self, forKey: .imageGridPinpoints) ?? imageGridPinpoints
        if let merge = try c.decodeIfPresent(String.self, forKey: .patchMerge) {
            guard let known = AnyResLayout.Merge(rawValue: merge) else {
                throw ModelError.invalidConfiguration("mm_patch_merge_type '\(merge)' is not supported ("
                    + AnyResLayout.Merge.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            patchMerge = known
        }
    }

    public func encode(to encoder: Encoder) throws {
        try llava.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(imageGridPinpoints, forKey: .imageGridPinpoints)
        try c.encode(patchMerge, forKey: .patchMerge)
    }

    /// How images are tiled and merged (for a configuration that passes ``validate()``).
    public var layout: AnyResLayout {
        let vision = llava.visionConfig
        return AnyResLayout(grid: AnyResGrid(pinpoints: imageGridPinpoints, tileSize: vision.imageSize),
                            patchesPerSide: vision.patchesPerSide, tokensPerView: llava.imageTokenCount, merge: patchMerge)
    }

    /// Tokens an image of `width` × `height` pixels occupies (``AnyResLayout/imageTokenCount(forImageOfWidth:height:)``).
    public func imageTokenCount(forImageOfWidth width: Int, height: Int) -> Int {
        layout.imageTokenCount(forImageOfWidth: width, height: height)
    }

    /// Checks that the values describe a model Loom can run.
    public func validate() throws {
        try llava.validate()
        if let problem = AnyResGrid.problem(pinpoints: imageGridPinpoints, tileSize: llava.visionConfig.imageSize) {
            throw ModelError.invalidConfiguration(problem)
        }
        guard patchMerge == .flat || llava.visionFeatureSelectStrategy == "full" else {
            throw ModelError.invalidConfiguration("vision_feature_select_strategy 'default' drops a SigLIP patch, so the "
                + "tiles no longer form a grid; spatial_unpad merging needs 'full'")
        }
    }
}

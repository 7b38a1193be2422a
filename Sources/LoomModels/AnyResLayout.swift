import LoomCore

/// How the features of a multi-patch ("AnyRes") image — a global view followed by a grid of tiles, each
/// `patchesPerSide`² features — become the image's run of decoder positions, and so how many positions it takes.
public struct AnyResLayout: Sendable, Equatable {
    /// How tile features are merged (LLaVA-NeXT's `mm_patch_merge_type`).
    public enum Merge: String, Sendable, Codable, CaseIterable {
        /// Every view's features one after another, global view first (the llava-interleave checkpoints).
        case flat
        /// The global view, then the tiles' features as one spatial grid with the padding rows or columns
        /// removed, each grid row followed by the `image_newline` vector (transformers' `LlavaNextModel`).
        case spatialUnpad = "spatial_unpad"
    }

    /// Pinpoints and tile size.
    public let grid: AnyResGrid
    /// Features along a side of one view (`image_size / patch_size`).
    public let patchesPerSide: Int
    /// Feature rows one view gives: `patchesPerSide`² (one fewer under the `default` selection strategy, which
    /// only `flat` allows).
    public let tokensPerView: Int
    public let merge: Merge

    /// A layout; `spatialUnpad` needs `tokensPerView == patchesPerSide²`.
    public init(grid: AnyResGrid, patchesPerSide: Int, tokensPerView: Int, merge: Merge) {
        precondition(merge == .flat || tokensPerView == patchesPerSide * patchesPerSide,
                     "AnyResLayout: spatial_unpad needs \(patchesPerSide)² features per view, got \(tokensPerView)")
        self.grid = grid
        self.patchesPerSide = patchesPerSide
        self.tokensPerView = tokensPerView
        self.merge = merge
    }

    /// Tokens an image of `width` × `height` pixels occupies in the decoder's sequence. This is the one place the
    /// multi-patch count is decided, and ``pack(_:imageWidth:imageHeight:newline:)`` gives exactly this many rows.
    /// - `flat`: `(1 + tiles) · tokensPerView`;
    /// - `spatialUnpad`: the global view's `tokensPerView`, plus the unpadded grid's rows × (columns + 1 newline) —
    ///   what `LlavaNextProcessor._get_number_of_features` expands `<image>` to.
    public func imageTokenCount(forImageOfWidth width: Int, height: Int) -> Int {
        let (rows, columns) = grid.tiles(forWidth: width, height: height)
        switch merge {
        case .flat:
            return (1 + rows * columns) * tokensPerView
        case .spatialUnpad:
            let kept = unpaddedRegion(imageWidth: width, imageHeight: height, rows: rows, columns: columns)
            return tokensPerView + kept.rows.count * (kept.columns.count + 1)
        }
    }

    /// transformers' `unpad_image` on the feature grid of `rows` × `columns` tiles: the grid rows and columns that
    /// cover the image rather than its padding. The image's extent is `int(round(size · scale, 7))` feature cells
    /// and the padding `(grid − extent) / 2` on each side (an odd remainder stays in the kept region).
    public func unpaddedRegion(imageWidth: Int, imageHeight: Int, rows: Int, columns: Int)
        -> (rows: Range<Int>, columns: Range<Int>) {
        let gridHeight = rows * patchesPerSide, gridWidth = columns * patchesPerSide
        let imageAspect = Double(imageWidth) / Double(imageHeight)
        let gridAspect = Double(gridWidth) / Double(gridHeight)
        if imageAspect > gridAspect {
            let extent = Self.truncatedRoundedTo7Places(Double(imageHeight) * (Double(gridWidth) / Double(imageWidth)))
            let padding = (gridHeight - extent) / 2
            return (padding..<(gridHeight - padding), 0..<gridWidth)
        }
        let extent = Self.truncatedRoundedTo7Places(Double(imageWidth) * (Double(gridHeight) / Double(imageHeight)))
        let padding = (gridWidth - extent) / 2
        return (0..<gridHeight, padding..<(gridWidth - padding))
    }

    /// Python's `int(round(x, 7))` for `x ≥ 0`: the integer part, plus one when the fraction rounds up to a whole
    /// number at 7 decimal places (≥ 0.99999995).
    static func truncatedRoundedTo7Places(_ x: Double) -> Int {
        let whole = x.rounded(.down)
        return Int(whole) + (x - whole >= 0.999_999_95 ? 1 : 0)
    }

    /// One image's decoder rows from its views' features (`[(1 + tiles) · tokensPerView, width]`, view after view,
    /// patches row-major): transformers' `pack_image_features` for `spatialUnpad` (which needs `newline`), the
    /// original LLaVA-NeXT `flatten(0, 1)` for `flat`.
    public func pack(_ features: Tensor, imageWidth: Int, imageHeight: Int, newline: [Float]?) -> Tensor {
        let (rows, columns) = grid.tiles(forWidth: imageWidth, height: imageHeight)
        let width = features.columns
        precondition(features.rows == (1 + rows * columns) * tokensPerView,
                     "AnyResLayout.pack: \(features.rows) feature rows for \(1 + rows * columns) views of \(tokensPerView)")
        guard merge == .spatialUnpad else { return features }
        guard let newline else { preconditionFailure("AnyResLayout.pack: spatial_unpad needs image_newline") }
        precondition(newline.count == width, "AnyResLayout.pack: image_newline has \(newline.count) values, features \(width)")
        let side = patchesPerSide
        let kept = unpaddedRegion(imageWidth: imageWidth, imageHeight: imageHeight, rows: rows, columns: columns)
        var packed = [Float]()
        packed.reserveCapacity(imageTokenCount(forImageOfWidth: imageWidth, height: imageHeight) * width)
        packed.append(contentsOf: features.data[0..<(tokensPerView * width)])
        for y in kept.rows {
            for x in kept.columns {
                let tile = (y / side) * columns + x / side
                let patch = (y % side) * side + x % side
                packed.append(contentsOf: features.row(tokensPerView * (1 + tile) + patch))
            }
            packed.append(contentsOf: newline)
        }
        return Tensor(shape: [packed.count / width, width], data: packed)
    }
}

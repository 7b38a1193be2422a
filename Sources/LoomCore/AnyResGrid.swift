/// The tile geometry of LLaVA-NeXT's multi-patch ("AnyRes") images, computed exactly as transformers 5.24 does
/// (`image_processing_utils.select_best_resolution`, `get_patch_output_size`, `divide_to_patches`): an image is
/// resized, keeping its aspect ratio, to fit the best of a list of candidate resolutions ("grid pinpoints"), padded
/// to it, and cut into square tiles of the vision tower's input size.
///
/// Pinpoints are `(height, width)` pairs, as in transformers' `image_grid_pinpoints` (the original LLaVA-NeXT code
/// reads the same lists as `(width, height)`; for the symmetric lists published checkpoints use, the two agree).
public struct AnyResGrid: Sendable, Equatable {
    /// A size in pixels.
    public struct Resolution: Sendable, Hashable, CustomStringConvertible {
        public var height: Int
        public var width: Int

        public init(height: Int, width: Int) {
            self.height = height
            self.width = width
        }

        public var description: String { "\(width)×\(height)" }
    }

    /// The candidate resolutions, in the order they are tried (the first of equally good ones wins).
    public let pinpoints: [Resolution]
    /// The side of a square tile: the vision tower's input size.
    public let tileSize: Int

    /// A grid over `pinpoints` (`[height, width]` pairs). They must pass ``problem(pinpoints:tileSize:)``.
    public init(pinpoints: [[Int]], tileSize: Int) {
        if let problem = Self.problem(pinpoints: pinpoints, tileSize: tileSize) {
            preconditionFailure("AnyResGrid: \(problem)")
        }
        self.pinpoints = pinpoints.map { Resolution(height: $0[0], width: $0[1]) }
        self.tileSize = tileSize
    }

    /// Why `pinpoints` and `tileSize` do not describe a tile grid, or nil when they do: the list must be non-empty,
    /// each entry a positive `[height, width]` pair, each side a multiple of `tileSize` (transformers' model reshapes
    /// the tiles into a `height / tileSize` × `width / tileSize` grid and fails otherwise).
    public static func problem(pinpoints: [[Int]], tileSize: Int) -> String? {
        guard tileSize > 0 else { return "tile size \(tileSize) must be positive" }
        guard !pinpoints.isEmpty else { return "image_grid_pinpoints is empty" }
        for pinpoint in pinpoints {
            guard pinpoint.count == 2, pinpoint[0] > 0, pinpoint[1] > 0 else {
                return "image_grid_pinpoints entry \(pinpoint) is not a positive [height, width] pair"
            }
            guard pinpoint[0] % tileSize == 0, pinpoint[1] % tileSize == 0 else {
                return "image_grid_pinpoints entry \(pinpoint) is not a multiple of the \(tileSize) px tile"
            }
        }
        return nil
    }

    /// `select_best_resolution`: the pinpoint that keeps the most of the image's pixels once it is scaled to fit
    /// (never counting more than the image has), ties going to the one that wastes the least area.
    public func bestResolution(forWidth width: Int, height: Int) -> Resolution {
        var best = pinpoints[0]
        var mostEffective = 0
        var leastWasted = Int.max
        for candidate in pinpoints {
            let scale = min(Double(candidate.width) / Double(width), Double(candidate.height) / Double(height))
            let scaledWidth = Int(Double(width) * scale), scaledHeight = Int(Double(height) * scale)
            let effective = min(scaledWidth * scaledHeight, width * height)
            let wasted = candidate.width * candidate.height - effective
            if effective > mostEffective || (effective == mostEffective && wasted < leastWasted) {
                mostEffective = effective
                leastWasted = wasted
                best = candidate
            }
        }
        return best
    }

    /// Rows and columns of tiles an image of `width` × `height` is cut into.
    public func tiles(forWidth width: Int, height: Int) -> (rows: Int, columns: Int) {
        let best = bestResolution(forWidth: width, height: height)
        return (best.height / tileSize, best.width / tileSize)
    }

    /// `get_patch_output_size`: the size an image of `width` × `height` is resized to so that it fits `target`
    /// with its aspect ratio kept — one side equal to the target's, the other rounded up and capped.
    public static func fittedSize(width: Int, height: Int, in target: Resolution) -> Resolution {
        let scaleWidth = Double(target.width) / Double(width)
        let scaleHeight = Double(target.height) / Double(height)
        if scaleWidth < scaleHeight {
            return Resolution(height: min(Int((Double(height) * scaleWidth).rounded(.up)), target.height),
                              width: target.width)
        }
        return Resolution(height: target.height,
                          width: min(Int((Double(width) * scaleHeight).rounded(.up)), target.width))
    }
}

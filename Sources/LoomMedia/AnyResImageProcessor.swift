import LoomCore

/// One image prepared for a multi-patch model: the squashed global view and the tiles, each normalized.
public struct AnyResPixels: Sendable, Equatable {
    /// `[1 + rows · columns, 3, tile, tile]`: the global view, then the tiles row by row.
    public let views: Tensor
    /// The image's size before processing (what transformers reports as `image_sizes`, there as height, width).
    public let imageWidth: Int
    public let imageHeight: Int
    /// The tile grid.
    public let rows: Int
    public let columns: Int
}

/// transformers' `LlavaNextImageProcessor`, PIL backend (`LlavaNextImageProcessorPil`), for square tiles of the
/// vision tower's size: the image is resized with Pillow's bicubic to fit the best grid pinpoint keeping its aspect
/// ratio (``AnyResGrid/fittedSize(width:height:in:)``), centred on a black canvas of the pinpoint's size, and cut into
/// tiles row by row; the whole image squashed to one tile comes first. Each view is then rescaled and normalized like
/// ``SiglipImageProcessor``. The result equals transformers' `pixel_values[i]` (without batch padding) exactly.
public struct AnyResImageProcessor: Sendable {
    /// Pinpoints and tile size.
    public let grid: AnyResGrid
    /// Squashes a view to a tile and normalizes it.
    public let viewProcessor: SiglipImageProcessor

    /// A processor over `grid` whose views are resized and normalized by `views`; its size must be the tile size.
    /// Use this to tile images for a checkpoint whose own processor has no pinpoints (llava-interleave).
    public init(grid: AnyResGrid, views: ImageProcessorConfiguration) throws {
        try views.validate()
        guard views.doResize, views.size.height == grid.tileSize, views.size.width == grid.tileSize else {
            throw MediaError.invalidConfiguration("views are resized to \(views.size.width)×\(views.size.height), "
                                                  + "not to the \(grid.tileSize) px tile")
        }
        self.grid = grid
        viewProcessor = SiglipImageProcessor(configuration: views)
    }

    /// The processor a `LlavaNextImageProcessor` configuration describes, for a vision tower taking
    /// `tileSize`² images (see ``LlavaNextImageProcessorConfiguration/validate(tileSize:)``).
    public init(configuration: LlavaNextImageProcessorConfiguration, tileSize: Int) throws {
        try configuration.validate(tileSize: tileSize)
        try self.init(grid: AnyResGrid(pinpoints: configuration.imageGridPinpoints, tileSize: tileSize),
                      views: configuration.viewConfiguration)
    }

    /// The 8-bit views of `image` before rescaling: the image squashed to a tile, then the tiles of the resized
    /// and padded image, row by row.
    public func views(of image: RGBImage) -> [RGBImage] {
        let tile = grid.tileSize
        let best = grid.bestResolution(forWidth: image.width, height: image.height)
        let fitted = AnyResGrid.fittedSize(width: image.width, height: image.height, in: best)
        let padded = PillowResize.resize(image, width: fitted.width, height: fitted.height)
            .paddedCentered(toWidth: best.width, height: best.height)
        var views = [PillowResize.resize(image, width: tile, height: tile)]
        for y in stride(from: 0, to: best.height, by: tile) {
            for x in stride(from: 0, to: best.width, by: tile) {
                views.append(padded.cropped(x: x, y: y, width: tile, height: tile))
            }
        }
        return views
    }

    /// The normalized views of `image`.
    public func preprocess(_ image: RGBImage) -> AnyResPixels {
        let (rows, columns) = grid.tiles(forWidth: image.width, height: image.height)
        let views = views(of: image).map { viewProcessor.preprocess($0) }
        let tile = grid.tileSize
        return AnyResPixels(views: Tensor(shape: [views.count, 3, tile, tile], data: views.flatMap(\.data)),
                            imageWidth: image.width, imageHeight: image.height, rows: rows, columns: columns)
    }
}

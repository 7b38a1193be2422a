import LoomCore

/// The fields of a `preprocessor_config.json` written for transformers' `LlavaNextImageProcessor`.
///
/// A field that is absent takes the class default of transformers 5.24 (`LlavaNextImageProcessorPil`): grid
/// pinpoints `[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]`, size `{shortest_edge: 224}`, crop size
/// 224×224, resample 3 (bicubic), rescale by 1/255, normalize with the OpenAI CLIP mean and std. Unknown keys are
/// ignored.
public struct LlavaNextImageProcessorConfiguration: Codable, Sendable, Equatable {
    /// `size` or `crop_size`: a height and width, or a shortest edge.
    public struct Size: Codable, Sendable, Equatable, CustomStringConvertible {
        public var height: Int?
        public var width: Int?
        public var shortestEdge: Int?

        public init(height: Int? = nil, width: Int? = nil, shortestEdge: Int? = nil) {
            self.height = height
            self.width = width
            self.shortestEdge = shortestEdge
        }

        enum CodingKeys: String, CodingKey {
            case height, width, shortestEdge = "shortest_edge"
        }

        public var description: String {
            [height.map { "height \($0)" }, width.map { "width \($0)" }, shortestEdge.map { "shortest_edge \($0)" }]
                .compactMap { $0 }.joined(separator: ", ")
        }
    }

    /// `(height, width)` resolutions an image may be tiled at.
    public var imageGridPinpoints: [[Int]]
    public var doResize: Bool
    public var size: Size
    public var doCenterCrop: Bool
    /// Nil when the file sets `crop_size` to null.
    public var cropSize: Size?
    public var resample: Int
    public var doRescale: Bool
    public var rescaleFactor: Double
    public var doNormalize: Bool
    public var imageMean: [Double]
    public var imageStd: [Double]
    /// Pads a batch's images to the same number of tiles with zero tiles; Loom processes images one at a time,
    /// so it has no effect.
    public var doPad: Bool
    /// Loom's input is already RGB (``RGBImage``), so this has no effect; kept for round-tripping.
    public var doConvertRGB: Bool
    public var imageProcessorType: String?
    public var processorClass: String?

    /// `OPENAI_CLIP_MEAN` and `OPENAI_CLIP_STD` of transformers, the class defaults.
    public static let clipMean = [0.48145466, 0.4578275, 0.40821073]
    public static let clipStd = [0.26862954, 0.26130258, 0.27577711]

    /// A configuration with transformers' defaults for any argument left out.
    public init(imageGridPinpoints: [[Int]] = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]],
                doResize: Bool = true, size: Size = Size(shortestEdge: 224), doCenterCrop: Bool = true,
                cropSize: Size? = Size(height: 224, width: 224), resample: Int = ImageProcessorConfiguration.Resample.bicubic,
                doRescale: Bool = true, rescaleFactor: Double = 1.0 / 255.0, doNormalize: Bool = true,
                imageMean: [Double] = clipMean, imageStd: [Double] = clipStd, doPad: Bool = true,
                doConvertRGB: Bool = true, imageProcessorType: String? = "LlavaNextImageProcessor",
                processorClass: String? = nil) {
        self.imageGridPinpoints = imageGridPinpoints
        self.doResize = doResize
        self.size = size
        self.doCenterCrop = doCenterCrop
        self.cropSize = cropSize
        self.resample = resample
        self.doRescale = doRescale
        self.rescaleFactor = rescaleFactor
        self.doNormalize = doNormalize
        self.imageMean = imageMean
        self.imageStd = imageStd
        self.doPad = doPad
        self.doConvertRGB = doConvertRGB
        self.imageProcessorType = imageProcessorType
        self.processorClass = processorClass
    }

    enum CodingKeys: String, CodingKey {
        case imageGridPinpoints = "image_grid_pinpoints", doResize = "do_resize", size
        case doCenterCrop = "do_center_crop", cropSize = "crop_size", resample, doRescale = "do_rescale"
        case rescaleFactor = "rescale_factor", doNormalize = "do_normalize", imageMean = "image_mean"
        case imageStd = "image_std", doPad = "do_pad", doConvertRGB = "do_convert_rgb"
        case imageProcessorType = "image_processor_type", processorClass = "processor_class"
    }

    public init(from decoder: Decoder) throws {
        let defaults = LlavaNextImageProcessorConfiguration()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        imageGridPinpoints = try container.decode(.imageGridPinpoints, or: defaults.imageGridPinpoints)
        doResize = try container.decode(.doResize, or: defaults.doResize)
        size = try container.decode(.size, or: defaults.size)
        doCenterCrop = try container.decode(.doCenterCrop, or: defaults.doCenterCrop)
        cropSize = container.contains(.cropSize) ? try container.decodeIfPresent(Size.self, forKey: .cropSize) : defaults.cropSize
        resample = try container.decode(.resample, or: defaults.resample)
        doRescale = try container.decode(.doRescale, or: defaults.doRescale)
        rescaleFactor = try container.decode(.rescaleFactor, or: defaults.rescaleFactor)
        doNormalize = try container.decode(.doNormalize, or: defaults.doNormalize)
        imageMean = try container.decodePerChannel(.imageMean, or: defaults.imageMean)
        imageStd = try container.decodePerChannel(.imageStd, or: defaults.imageStd)
        doPad = try container.decode(.doPad, or: defaults.doPad)
        doConvertRGB = try container.decode(.doConvertRGB, or: defaults.doConvertRGB)
        imageProcessorType = try container.decode(.imageProcessorType, or: defaults.imageProcessorType)
        processorClass = try container.decode(.processorClass, or: defaults.processorClass)
    }

    /// The side of a tile, as `LlavaNextImageProcessor._preprocess` picks it: the crop height, else the size's
    /// height, else its shortest edge.
    public var tileSize: Int? { cropSize?.height ?? size.height ?? size.shortestEdge }

    /// The global view's target, `(size.height, size.width)` or a square of the shortest edge.
    var globalViewSize: (height: Int, width: Int)? {
        if let height = size.height, let width = size.width { return (height, width) }
        return size.shortestEdge.map { ($0, $0) }
    }

    /// The settings that squash a view to a `tileSize`² square and normalize it (transformers' per-view resize,
    /// rescale and normalize, which are the SigLIP processor's).
    public var viewConfiguration: ImageProcessorConfiguration {
        let side = tileSize ?? 0
        return ImageProcessorConfiguration(doResize: true, size: .init(height: side, width: side), resample: resample,
                                           doRescale: doRescale, rescaleFactor: rescaleFactor, doNormalize: doNormalize,
                                           imageMean: imageMean, imageStd: imageStd, doConvertRGB: doConvertRGB,
                                           imageProcessorType: imageProcessorType, processorClass: processorClass)
    }

    /// Throws ``ImageErrorKind/invalidConfiguration`` unless the configuration tiles images into squares of
    /// `tileSize` (the vision tower's input size) the way Loom reproduces exactly: the tile (crop) size, the global
    /// view's size and the per-view resize all `tileSize`², pinpoints that are multiples of it, bicubic resampling,
    /// and valid rescale / normalize values.
    public func validate(tileSize expected: Int) throws {
        let fail = MediaError.invalidConfiguration
        guard let tile = tileSize else { throw fail("neither crop_size nor size gives a tile size") }
        guard tile == expected else {
            throw fail("tiles are \(tile) px (crop_size/size) but the vision tower takes \(expected) px")
        }
        guard let global = globalViewSize, global.height == tile, global.width == tile else {
            throw fail("size {\(size)} must be \(tile)×\(tile) (or shortest_edge \(tile)), the tile size, for multi-patch images")
        }
        if doCenterCrop, let crop = cropSize, crop.height != tile || crop.width != tile {
            throw fail("crop_size {\(crop)} must be \(tile)×\(tile), the tile size")
        }
        if let problem = AnyResGrid.problem(pinpoints: imageGridPinpoints, tileSize: tile) { throw fail(problem) }
        try viewConfiguration.validate()
    }
}

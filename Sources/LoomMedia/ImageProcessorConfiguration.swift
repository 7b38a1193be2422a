/// The fields of a `preprocessor_config.json` written for transformers' `SiglipImageProcessor`.
///
/// A field that is absent takes the class default of transformers 5.24 (`SiglipImageProcessor` /
/// `SiglipImageProcessorPil`): resize to 224×224 with resample 3 (bicubic), rescale by 1/255, normalize with
/// mean = std = 0.5 per channel, convert to RGB. Unknown keys are ignored.
public struct ImageProcessorConfiguration: Codable, Sendable, Equatable {
    /// The target of the (aspect-ratio-ignoring) resize.
    public struct Size: Codable, Sendable, Equatable {
        public var height: Int
        public var width: Int

        public init(height: Int, width: Int) {
            self.height = height
            self.width = width
        }
    }

    /// Pillow's resampling filter numbers, as `resample` stores them.
    public enum Resample {
        public static let nearest = 0
        public static let lanczos = 1
        public static let bilinear = 2
        public static let bicubic = 3
        public static let box = 4
        public static let hamming = 5
    }

    public var doResize: Bool
    public var size: Size
    /// A Pillow filter number; only ``Resample/bicubic`` is implemented.
    public var resample: Int
    public var doRescale: Bool
    public var rescaleFactor: Double
    public var doNormalize: Bool
    public var imageMean: [Double]
    public var imageStd: [Double]
    /// Loom's input is already RGB (``RGBImage``), so this has no effect; kept for round-tripping.
    public var doConvertRGB: Bool
    public var imageProcessorType: String?
    public var processorClass: String?

    /// A configuration with transformers' defaults for any argument left out.
    public init(doResize: Bool = true, size: Size = Size(height: 224, width: 224),
                resample: Int = Resample.bicubic, doRescale: Bool = true, rescaleFactor: Double = 1.0 / 255.0,
                doNormalize: Bool = true, imageMean: [Double] = [0.5, 0.5, 0.5],
                imageStd: [Double] = [0.5, 0.5, 0.5], doConvertRGB: Bool = true,
                imageProcessorType: String? = "SiglipImageProcessor", processorClass: String? = nil) {
        self.doResize = doResize
        self.size = size
        self.resample = resample
        self.doRescale = doRescale
        self.rescaleFactor = rescaleFactor
        self.doNormalize = doNormalize
        self.imageMean = imageMean
        self.imageStd = imageStd
        self.doConvertRGB = doConvertRGB
        self.imageProcessorType = imageProcessorType
        self.processorClass = processorClass
    }

    enum CodingKeys: String, CodingKey {
        case doResize = "do_resize"
        case size
        case resample
        case doRescale = "do_rescale"
        case rescaleFactor = "rescale_factor"
        case doNormalize = "do_normalize"
        case imageMean = "image_mean"
        case imageStd = "image_std"
        case doConvertRGB = "do_convert_rgb"
        case imageProcessorType = "image_processor_type"
        case processorClass = "processor_class"
    }

    public init(from decoder: Decoder) throws {
        let defaults = ImageProcessorConfiguration()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        doResize = try container.decode(.doResize, or: defaults.doResize)
        size = try container.decode(.size, or: defaults.size)
        resample = try container.decode(.resample, or: defaults.resample)
        doRescale = try container.decode(.doRescale, or: defaults.doRescale)
        rescaleFactor = try container.decode(.rescaleFactor, or: defaults.rescaleFactor)
        doNormalize = try container.decode(.doNormalize, or: defaults.doNormalize)
        imageMean = try container.decodePerChannel(.imageMean, or: defaults.imageMean)
        imageStd = try container.decodePerChannel(.imageStd, or: defaults.imageStd)
        doConvertRGB = try container.decode(.doConvertRGB, or: defaults.doConvertRGB)
        imageProcessorType = try container.decode(.imageProcessorType, or: defaults.imageProcessorType)
        processorClass = try container.decode(.processorClass, or: defaults.processorClass)
    }

    /// Throws ``ImageErrorKind/invalidConfiguration`` for values the processor cannot honour: a resample filter
    /// other than bicubic (3) — the only one implemented so far —, a size below 1×1, a non-finite or non-positive
    /// rescale factor, mean/std without exactly 3 entries, or a zero or non-finite std.
    public func validate() throws {
        let fail = MediaError.invalidConfiguration
        if doResize {
            guard resample == Resample.bicubic else {
                throw fail("resample \(resample) (\(Self.filterName(resample))) is not supported: only 3 (bicubic) "
                           + "is implemented")
            }
            guard size.height > 0, size.width > 0 else {
                throw fail("size \(size.width)×\(size.height) must be at least 1×1")
            }
        }
        if doRescale {
            guard rescaleFactor.isFinite, rescaleFactor > 0 else {
                throw fail("rescale_factor \(rescaleFactor) must be a positive number")
            }
        }
        if doNormalize {
            guard imageMean.count == 3, imageStd.count == 3 else {
                throw fail("image_mean and image_std need 3 entries, got \(imageMean.count) and \(imageStd.count)")
            }
            guard imageStd.allSatisfy({ $0 != 0 && $0.isFinite }), imageMean.allSatisfy(\.isFinite) else {
                throw fail("image_std \(imageStd) must be finite and non-zero, image_mean \(imageMean) finite")
            }
        }
    }

    private static func filterName(_ resample: Int) -> String {
        switch resample {
        case Resample.nearest: return "nearest"
        case Resample.lanczos: return "lanczos"
        case Resample.bilinear: return "bilinear"
        case Resample.bicubic: return "bicubic"
        case Resample.box: return "box"
        case Resample.hamming: return "hamming"
        default: return "unknown filter"
        }
    }
}

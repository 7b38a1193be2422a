/// Why an image could not be read or processed. `description` is one line naming the source and the problem.
public typealias MediaError = SourceError<ImageErrorKind>

/// The class of problem of a ``MediaError``.
public enum ImageErrorKind: String, SourceErrorKind {
    /// The bytes are not a JPEG, PNG, WebP or GIF file (detected by magic bytes).
    case unsupportedFormat
    /// The data ends before the image does.
    case truncated
    /// The data is damaged or violates its format.
    case corrupt
    /// The header declares more pixels than ``ImageLimits/maxPixels``; nothing was decoded.
    case tooManyPixels
    /// The file is empty, or the image has no width or height.
    case zeroSize
    /// The file could not be read.
    case unreadable
    /// A caller-supplied pixel buffer does not match its declared size or layout.
    case invalidPixelBuffer
    /// An ``ImageProcessorConfiguration`` asks for something invalid or not implemented.
    case invalidConfiguration
    /// An image could not be encoded.
    case encodingFailed

    public var phrase: String {
        switch self {
        case .unsupportedFormat: return "unsupported image format"
        case .truncated: return "truncated file"
        case .corrupt: return "corrupt image data"
        case .tooManyPixels: return "too many pixels"
        case .zeroSize: return "zero size"
        case .unreadable: return "cannot read file"
        case .invalidPixelBuffer: return "invalid pixel buffer"
        case .invalidConfiguration: return "invalid image processor configuration"
        case .encodingFailed: return "cannot encode image"
        }
    }
}

extension SourceError where Kind == ImageErrorKind {
    /// An ``ImageErrorKind/invalidConfiguration`` error about `preprocessor_config.json`.
    static func invalidConfiguration(_ detail: String) -> MediaError {
        MediaError(.invalidConfiguration, source: "preprocessor_config.json", detail: detail)
    }
}

/// A failure inside a codec, before it is tied to the source being read.
struct DecodeFailure: Error {
    let kind: ImageErrorKind
    let detail: String

    init(_ kind: ImageErrorKind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }
}

import Foundation

/// Why an image could not be read or processed. `description` is one line naming the source and the problem.
public struct MediaError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The class of problem.
    public enum Kind: String, Sendable, CaseIterable {
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
    }

    /// The class of problem.
    public let kind: Kind
    /// What was being read: a file path, or a short description such as "image data".
    public let source: String
    /// The specific reason, one line.
    public let detail: String

    /// An error of `kind` about `source`.
    public init(_ kind: Kind, source: String, detail: String) {
        self.kind = kind
        self.source = source
        self.detail = detail.replacingOccurrences(of: "\n", with: " ")
    }

    public var description: String { "\(source): \(kind.phrase): \(detail)" }

    public var errorDescription: String? { description }
}

extension MediaError.Kind {
    /// A short human phrase for the kind, used in messages.
    var phrase: String {
        switch self {
        case .unsupportedFormat: return "unsupported image format"
        case .truncated: return "truncated file"
        case .corrupt: return "corrupt image data"
        case .tooManyPixels: return "too many pixels"
        case .zeroSize: return "zero size"
        case .unreadable: return "cannot read file"
        case .invalidPixelBuffer: return "invalid pixel buffer"
        case .invalidConfiguration: return "invalid image processor configuration"
        }
    }
}

/// A failure inside a codec, before it is tied to the source being read.
struct DecodeFailure: Error {
    let kind: MediaError.Kind
    let detail: String

    init(_ kind: MediaError.Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }
}

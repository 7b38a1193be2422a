import Foundation

/// Where an image comes from: a file, encoded bytes, or pixels a library caller already has.
public enum ImageSource: Sendable, Equatable {
    case file(URL)
    case data(Data)
    case pixels(RGBImage)

    /// A file at `path`.
    public static func path(_ path: String) -> ImageSource { .file(URL(fileURLWithPath: path)) }

    /// The image as 8-bit RGB, decoded when needed.
    public func load(limits: ImageLimits = .default) throws -> RGBImage {
        switch self {
        case .file(let url): return try ImageDecoder.decode(contentsOf: url, limits: limits)
        case .data(let data): return try ImageDecoder.decode(data: data, limits: limits)
        case .pixels(let image): return image
        }
    }

    /// A short name for messages: the file name, or the kind of source.
    public var label: String {
        switch self {
        case .file(let url): return url.lastPathComponent
        case .data(let data): return "<\(data.count) bytes>"
        case .pixels(let image): return "<\(image.width)×\(image.height) pixels>"
        }
    }
}

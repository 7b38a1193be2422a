/// An 8-bit RGB image: `height` rows of `width` pixels, each pixel three bytes R, G, B (HWC, row-major).
public struct RGBImage: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `width * height * 3` bytes, rows top to bottom.
    public let pixels: [UInt8]

    /// An image over RGB `pixels`; throws ``ImageErrorKind/invalidPixelBuffer`` when the count does not match.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        try self.init(width: width, height: height, layout: .rgb, bytes: pixels)
    }

    /// An image converted from a raw buffer of `layout`, exactly as Pillow's `convert("RGB")` converts that mode:
    /// alpha is dropped (never composited), gray is replicated, CMYK uses Pillow's `cmyk2rgb`.
    ///
    /// Throws ``ImageErrorKind/invalidPixelBuffer`` when a dimension is below 1 or `bytes.count` is not
    /// `width * height * layout.bytesPerPixel`.
    public init(width: Int, height: Int, layout: PixelLayout, bytes: [UInt8]) throws {
        guard width > 0, height > 0 else {
            throw MediaError(.invalidPixelBuffer, source: "pixel buffer", detail: "size \(width)×\(height) is empty")
        }
        let (pixelCount, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, bytes.count == pixelCount &* layout.bytesPerPixel else {
            throw MediaError(.invalidPixelBuffer, source: "pixel buffer",
                             detail: "\(layout) \(width)×\(height) needs \(width)·\(height)·\(layout.bytesPerPixel) "
                                 + "bytes, got \(bytes.count)")
        }
        self.init(uncheckedWidth: width, height: height, pixels: ColorConversion.rgb(from: bytes, layout: layout))
    }

    /// An image over `pixels` the caller has sized correctly.
    init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes for \(width)×\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// The layout of a caller's 8-bit pixel buffer, named after the Pillow mode it matches.
public enum PixelLayout: Sendable, Equatable, CustomStringConvertible {
    /// R, G, B (Pillow "RGB").
    case rgb
    /// R, G, B, A (Pillow "RGBA").
    case rgba
    /// One gray byte (Pillow "L").
    case gray
    /// Gray, alpha (Pillow "LA").
    case grayAlpha
    /// C, M, Y, K with 0 meaning no ink (Pillow "CMYK").
    case cmyk

    /// Bytes per pixel.
    public var bytesPerPixel: Int {
        switch self {
        case .gray: return 1
        case .grayAlpha: return 2
        case .rgb: return 3
        case .rgba, .cmyk: return 4
        }
    }

    public var description: String {
        switch self {
        case .rgb: return "RGB"
        case .rgba: return "RGBA"
        case .gray: return "L"
        case .grayAlpha: return "LA"
        case .cmyk: return "CMYK"
        }
    }
}

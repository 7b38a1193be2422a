import Foundation

/// Decodes JPEG, PNG, WebP and GIF (first frame) to the bytes Pillow's `Image.open(f).convert("RGB")` gives:
/// alpha dropped, not composited; no EXIF rotation; colour profiles and gamma ignored.
public enum ImageDecoder {
    /// Decodes the file at `url`. Errors name the file's path.
    public static func decode(contentsOf url: URL, limits: ImageLimits = .default) throws -> RGBImage {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw MediaError(.unreadable, source: url.path, detail: error.localizedDescription)
        }
        return try decode(data: data, limits: limits, source: url.path)
    }

    /// Decodes an in-memory file. Errors name the source as "image data".
    public static func decode(data: Data, limits: ImageLimits = .default) throws -> RGBImage {
        try decode(data: data, limits: limits, source: "image data")
    }

    /// The format and declared size of an in-memory file, without decoding pixel data.
    public static func header(data: Data) throws -> ImageHeader {
        try header(data: data, source: "image data")
    }

    static func decode(data: Data, limits: ImageLimits, source: String) throws -> RGBImage {
        let header = try header(data: data, source: source)
        let (pixels, overflow) = header.width.multipliedReportingOverflow(by: header.height)
        guard !overflow, pixels <= limits.maxPixels else {
            throw MediaError(.tooManyPixels, source: source,
                             detail: "\(header.format.rawValue) of \(header.width)×\(header.height) = "
                                 + "\(overflow ? "more than \(Int.max)" : String(pixels)) pixels exceeds "
                                 + "the limit of \(limits.maxPixels)")
        }
        return try run(source: source) {
            try data.withUnsafeBytes { bytes in
                try header.format.codec.decode(bytes, width: header.width, height: header.height)
            }
        }
    }

    static func header(data: Data, source: String) throws -> ImageHeader {
        guard !data.isEmpty else {
            throw MediaError(.zeroSize, source: source, detail: "the file is empty (0 bytes)")
        }
        return try run(source: source) {
            try data.withUnsafeBytes { bytes in
                guard let format = ImageFormat.detect(bytes) else {
                    let lead = bytes.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
                    throw DecodeFailure(.unsupportedFormat, "not a JPEG, PNG, WebP or GIF file (starts with \(lead))")
                }
                let size = try format.codec.readSize(bytes)
                guard size.width > 0, size.height > 0 else {
                    throw DecodeFailure(.zeroSize, "\(format.rawValue) declares a \(size.width)×\(size.height) image")
                }
                return ImageHeader(format: format, width: size.width, height: size.height)
            }
        }
    }

    /// Runs a codec step, turning its failures into ``MediaError``s about `source`.
    private static func run<T>(source: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as DecodeFailure {
            throw MediaError(failure.kind, source: source, detail: failure.detail)
        }
    }
}

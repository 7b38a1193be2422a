/// The container formats ``ImageDecoder`` reads, recognised by their leading bytes (never by file name).
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg
    case png
    case webp
    case gif

    /// The format whose signature `bytes` start with, as Pillow's plugins accept them: JPEG `FF D8 FF`,
    /// PNG `89 50 4E 47 0D 0A 1A 0A`, WebP `RIFF····WEBP`, GIF `GIF87a` / `GIF89a`.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        func starts(with signature: [UInt8], at offset: Int = 0) -> Bool {
            guard bytes.count >= offset + signature.count else { return false }
            return signature.indices.allSatisfy { bytes[offset + $0] == signature[$0] }
        }
        if starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(with: Array("RIFF".utf8)) && starts(with: Array("WEBP".utf8), at: 8) { return .webp }
        if starts(with: Array("GIF87a".utf8)) || starts(with: Array("GIF89a".utf8)) { return .gif }
        return nil
    }

    /// The codec that reads this format.
    var codec: any ImageCodec.Type {
        switch self {
        case .jpeg: return JPEGCodec.self
        case .png: return PNGCodec.self
        case .webp: return WebPCodec.self
        case .gif: return GIFCodec.self
        }
    }
}

/// Size of an image as its header declares it (the canvas, for GIF and WebP).
public struct ImageHeader: Sendable, Equatable {
    /// The detected container format.
    public let format: ImageFormat
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
}

/// One format's reader. Both calls take the whole file.
protocol ImageCodec {
    /// The declared width and height, read without decoding pixel data.
    static func readSize(_ bytes: UnsafeRawBufferPointer) throws -> (width: Int, height: Int)
    /// The first image (frame) as Pillow's `convert("RGB")` gives it; called only for sizes within the limits.
    static func decode(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int) throws -> RGBImage
}

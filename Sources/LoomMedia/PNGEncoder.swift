import CImageShims

/// PNG writing through libpng's simplified API: 8-bit RGB, no interlacing and no ancillary chunk that varies (no time
/// stamp), so the same pixels always give the same bytes.
public enum PNGEncoder {
    /// The PNG file of `image`.
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        var size = loom_png_encode_bound(Int32(image.width), Int32(image.height))
        var out = [UInt8](repeating: 0, count: size)
        do {
            try image.pixels.withUnsafeBufferPointer { pixels in
                try out.withUnsafeMutableBufferPointer { buffer in
                    try ShimCall.check("PNG") { message, capacity in
                        loom_png_encode_rgb(pixels.baseAddress, Int32(image.width), Int32(image.height), buffer.baseAddress,
                                            &size, message, capacity)
                    }
                }
            }
        } catch let failure as DecodeFailure {
            throw MediaError(.encodingFailed, source: "\(image.width)×\(image.height) image", detail: failure.detail)
        }
        out.removeLast(out.count - size)
        return out
    }
}

extension RGBImage {
    /// The image as a PNG file (``PNGEncoder``).
    public func pngData() throws -> [UInt8] { try PNGEncoder.encode(self) }
}

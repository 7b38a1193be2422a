/// Bounds on what ``ImageDecoder`` agrees to decode.
public struct ImageLimits: Sendable, Equatable {
    /// Pillow's `Image.MAX_IMAGE_PIXELS` (1024 · 1024 · 1024 / 4 / 3).
    ///
    /// Pillow only *warns* between this and twice this value and raises `DecompressionBombError` above twice it;
    /// Loom refuses anything above ``maxPixels``.
    public static let pillowMaxImagePixels = 89_478_485

    /// The most pixels (width × height, of the canvas for GIF and WebP) an image may declare. Checked against the
    /// header, before any pixel data is decoded or any pixel memory is allocated.
    public var maxPixels: Int

    /// Limits refusing images of more than `maxPixels` pixels.
    public init(maxPixels: Int = ImageLimits.pillowMaxImagePixels) {
        self.maxPixels = maxPixels
    }

    /// The default: ``pillowMaxImagePixels``.
    public static let `default` = ImageLimits()
}

extension RGBImage {
    /// The image centred on a black `width` × `height` canvas (at least its own size): the extra columns split
    /// `left = (width − self.width) / 2` and the rest on the right, likewise rows top and bottom — transformers'
    /// `_pad_for_patching` (`np.pad` with 0) and LLaVA-NeXT's `resize_and_pad_image` paste.
    public func paddedCentered(toWidth width: Int, height: Int) -> RGBImage {
        precondition(width >= self.width && height >= self.height,
                     "paddedCentered: \(width)×\(height) is smaller than the \(self.width)×\(self.height) image")
        if width == self.width && height == self.height { return self }
        let left = (width - self.width) / 2, top = (height - self.height) / 2
        var canvas = [UInt8](repeating: 0, count: width * height * 3)
        let rowBytes = self.width * 3
        pixels.withUnsafeBufferPointer { source in
            canvas.withUnsafeMutableBufferPointer { target in
                for y in 0..<self.height {
                    (target.baseAddress! + ((top + y) * width + left) * 3)
                        .update(from: source.baseAddress! + y * rowBytes, count: rowBytes)
                }
            }
        }
        return RGBImage(uncheckedWidth: width, height: height, pixels: canvas)
    }

    /// The `width` × `height` region whose top-left pixel is (`x`, `y`); it must lie inside the image.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= self.width && y + height <= self.height,
                     "cropped: \(width)×\(height) at (\(x), \(y)) is outside the \(self.width)×\(self.height) image")
        var region = [UInt8]()
        region.reserveCapacity(width * height * 3)
        for row in y..<(y + height) {
            let start = (row * self.width + x) * 3
            region.append(contentsOf: pixels[start..<(start + width * 3)])
        }
        return RGBImage(uncheckedWidth: width, height: height, pixels: region)
    }
}

import CImageShims

/// PNG through libpng with Pillow's results: alpha and tRNS ignored, 16-bit colour reduced to its high byte,
/// 16-bit gray clipped to 255 (Pillow's `I;16` → `L`), low-depth gray scaled to 8 bits, palette indices past
/// the PLTE entries shown black, interlacing undone.
enum PNGCodec: ImageCodec {
    static func readSize(_ bytes: UnsafeRawBufferPointer) throws -> (width: Int, height: Int) {
        try PNGChunks.size(bytes)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int) throws -> RGBImage {
        try PNGChunks.verifyHeaderChunks(bytes)
        var info = loom_image_info()
        try ShimCall.check("PNG") { message, capacity in
            loom_png_read_info(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, &info, message, capacity)
        }
        let components = Int(info.components)
        let bytesPerSample = Int(info.bytes_per_sample)
        var samples = [UInt8](repeating: 0, count: width * height * components * bytesPerSample)
        try samples.withUnsafeMutableBytes { out in
            try ShimCall.check("PNG") { message, capacity in
                loom_png_decode(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count,
                                out.bindMemory(to: UInt8.self).baseAddress, out.count, message, capacity)
            }
        }
        let pixels: [UInt8]
        if info.palette_entries > 0 {
            let palette = withUnsafeBytes(of: info.palette) { Array($0.prefix(Int(info.palette_entries) * 3)) }
            pixels = ColorConversion.rgb(indices: samples, palette: palette)
        } else if components == 3 {
            pixels = samples
        } else if bytesPerSample == 2 {
            let gray = (0..<(width * height)).map {
                ColorConversion.clippedGray16(UInt16(samples[2 * $0]) << 8 | UInt16(samples[2 * $0 + 1]))
            }
            pixels = ColorConversion.rgb(from: gray, layout: .gray)
        } else {
            pixels = ColorConversion.rgb(from: samples, layout: .gray)
        }
        return RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
    }
}

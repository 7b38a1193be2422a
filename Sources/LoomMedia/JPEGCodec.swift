import CImageShims

/// JPEG through libjpeg(-turbo) with Pillow's settings and Pillow's colour handling: gray replicated, YCbCr
/// converted by libjpeg, and 4-component data (CMYK, or YCCK converted to CMYK by libjpeg) always read as
/// Adobe-inverted CMYK (Pillow's raw mode `CMYK;I`, whatever the Adobe marker says) then `cmyk2rgb`.
enum JPEGCodec: ImageCodec {
    static func readSize(_ bytes: UnsafeRawBufferPointer) throws -> (width: Int, height: Int) {
        let info = try readInfo(bytes)
        return (Int(info.width), Int(info.height))
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int) throws -> RGBImage {
        let info = try readInfo(bytes)
        let components = Int(info.components)
        var samples = [UInt8](repeating: 0, count: width * height * components)
        try samples.withUnsafeMutableBytes { out in
            try ShimCall.check("JPEG") { message, capacity in
                loom_jpeg_decode(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count,
                                 out.bindMemory(to: UInt8.self).baseAddress, out.count, message, capacity)
            }
        }
        let layout: PixelLayout
        switch components {
        case 1: layout = .gray
        case 3: layout = .rgb
        default:
            layout = .cmyk
            for i in samples.indices { samples[i] = ~samples[i] }
        }
        return RGBImage(uncheckedWidth: width, height: height,
                        pixels: ColorConversion.rgb(from: samples, layout: layout))
    }

    private static func readInfo(_ bytes: UnsafeRawBufferPointer) throws -> loom_image_info {
        var info = loom_image_info()
        try ShimCall.check("JPEG") { message, capacity in
            loom_jpeg_read_info(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, &info, message, capacity)
        }
        return info
    }
}

import CWebP

/// WebP through libwebp's animation decoder with default options (RGBA, not premultiplied), as Pillow opens every
/// WebP: the first frame on its canvas (transparent black where the frame does not reach), alpha then dropped.
enum WebPCodec: ImageCodec {
    static func readSize(_ bytes: UnsafeRawBufferPointer) throws -> (width: Int, height: Int) {
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeatures(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, &features)
        switch status {
        case VP8_STATUS_OK:
            return (Int(features.width), Int(features.height))
        case VP8_STATUS_NOT_ENOUGH_DATA:
            throw DecodeFailure(.truncated, "WebP ends inside its header")
        case VP8_STATUS_UNSUPPORTED_FEATURE:
            throw DecodeFailure(.unsupportedFormat, "WebP uses a feature libwebp does not support")
        default:
            throw DecodeFailure(.corrupt, "WebP header is invalid (libwebp status \(status.rawValue))")
        }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int) throws -> RGBImage {
        var data = WebPData(bytes: bytes.bindMemory(to: UInt8.self).baseAddress, size: bytes.count)
        guard let decoder = WebPAnimDecoderNew(&data, nil) else { throw failure(bytes, "cannot parse the file") }
        defer { WebPAnimDecoderDelete(decoder) }
        var info = WebPAnimInfo()
        guard WebPAnimDecoderGetInfo(decoder, &info) != 0,
              Int(info.canvas_width) == width, Int(info.canvas_height) == height else {
            throw DecodeFailure(.corrupt, "WebP canvas does not match its header")
        }
        var frame: UnsafeMutablePointer<UInt8>?
        var timestamp: Int32 = 0
        guard WebPAnimDecoderGetNext(decoder, &frame, &timestamp) != 0, let rgba = frame else {
            throw failure(bytes, "cannot decode the first frame")
        }
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { out, initialized in
            for i in 0..<(width * height) {
                out[3 * i] = rgba[4 * i]
                out[3 * i + 1] = rgba[4 * i + 1]
                out[3 * i + 2] = rgba[4 * i + 2]
            }
            initialized = width * height * 3
        }
        return RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
    }

    /// Truncated when the RIFF header promises more bytes than there are, corrupt otherwise.
    private static func failure(_ bytes: UnsafeRawBufferPointer, _ what: String) -> DecodeFailure {
        let declared = 8 + (0..<4).reduce(0) { $0 | Int(bytes[4 + $1]) << (8 * $1) }
        if declared > bytes.count {
            return DecodeFailure(.truncated, "WebP has \(bytes.count) of its \(declared) bytes; \(what)")
        }
        return DecodeFailure(.corrupt, "WebP: libwebp \(what)")
    }
}

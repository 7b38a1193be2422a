import CFFmpeg
import Foundation

/// Converts decoded frames to packed RGB24 exactly as PyAV's `frame.to_ndarray(format="rgb24")` did in the
/// lmms-eval era (PyAV ≤ 15): `sws_getCachedContext(w, h, format, w, h, RGB24, SWS_BILINEAR)` and `sws_scale`,
/// with no `sws_setColorspaceDetails` call (PyAV makes one only when the source and destination colorspace or range
/// differ, and for `to_ndarray` both default to the frame's own). So swscale's defaults decide: the BT.601 matrix
/// whatever the frame's colour tags say, limited range except for the full-range `yuvj*` formats, centred chroma.
/// At the same size the interpolation flag only matters for chroma upsampling in swscale's general path (odd sizes,
/// non-4:2:0 layouts); 4:2:0 frames of even height take its direct YUV→RGB converter.
final class RGBConverter {
    private let path: String
    private var context: OpaquePointer?
    private var scratch: UnsafeMutablePointer<UInt8>?
    private var scratchSize = (width: 0, height: 0)
    private var scratchLinesize = 0

    init(path: String) {
        self.path = path
    }

    deinit {
        sws_freeContext(context)
        av_free(scratch)
    }

    /// The frame's pixels as rows of R, G, B bytes (`width * height * 3`).
    func rgb(_ frame: UnsafePointer<AVFrame>) throws -> [UInt8] {
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        context = sws_getCachedContext(context, frame.pointee.width, frame.pointee.height,
                                       AVPixelFormat(frame.pointee.format), frame.pointee.width,
                                       frame.pointee.height, AV_PIX_FMT_RGB24, SWS_BILINEAR, nil, nil, nil)
        guard context != nil, let output = allocateScratch(width: width, height: height) else {
            let name = av_get_pix_fmt_name(AVPixelFormat(frame.pointee.format)).map { String(cString: $0) } ?? "unknown"
            throw VideoError(.unsupportedFormat, source: path,
                             detail: "swscale cannot convert \(name) \(width)×\(height) to RGB")
        }
        var source = frame.pointee.data
        var sourceLinesize = frame.pointee.linesize
        let rows = withUnsafePointer(to: &source) { sourcePlanes in
            withUnsafePointer(to: &sourceLinesize) { sourceStrides in
                sourcePlanes.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { planes in
                    sourceStrides.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
                        let destination: [UnsafeMutablePointer<UInt8>?] = [output, nil, nil, nil]
                        let destinationLinesize: [Int32] = [Int32(scratchLinesize), 0, 0, 0]
                        return sws_scale(context, planes, strides, 0, Int32(height), destination, destinationLinesize)
                    }
                }
            }
        }
        guard rows == Int32(height) else {
            throw VideoError(.corrupt, source: path, detail: "converting a frame to RGB: \(FFmpegStatus.message(rows))")
        }
        let rowBytes = width * 3
        var pixels = [UInt8](repeating: 0, count: rowBytes * height)
        pixels.withUnsafeMutableBytes { target in
            for y in 0..<height {
                (target.baseAddress! + y * rowBytes).copyMemory(from: output + y * scratchLinesize, byteCount: rowBytes)
            }
        }
        return pixels
    }

    /// A 64-byte-aligned RGB24 buffer with 64-byte-aligned rows for swscale to write into, kept across frames.
    private func allocateScratch(width: Int, height: Int) -> UnsafeMutablePointer<UInt8>? {
        if scratch == nil || scratchSize != (width, height) {
            av_free(scratch)
            scratchLinesize = (width * 3 + 63) / 64 * 64
            scratch = av_malloc(scratchLinesize * height + 64)?.assumingMemoryBound(to: UInt8.self)
            scratchSize = (width, height)
        }
        return scratch
    }
}

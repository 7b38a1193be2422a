import CFFmpeg
import Foundation

/// A decoder for one stream: packets in, frames out in presentation order.
final class FrameDecoder {
    private let path: String
    private var context: UnsafeMutablePointer<AVCodecContext>?

    /// Opens `demuxer`'s decoder with up to `threads` threads (frame and slice threading).
    init(_ demuxer: Demuxer, threads: Int) throws {
        path = demuxer.path
        guard let context = avcodec_alloc_context3(demuxer.decoder) else {
            throw VideoError(.corrupt, source: demuxer.path, detail: "out of memory")
        }
        self.context = context
        var status = avcodec_parameters_to_context(context, demuxer.stream.pointee.codecpar)
        if status >= 0 {
            context.pointee.pkt_timebase = demuxer.stream.pointee.time_base
            context.pointee.thread_count = Int32(threads)
            context.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
            status = avcodec_open2(context, demuxer.decoder, nil)
        }
        guard status >= 0 else {
            throw VideoError(.unsupportedFormat, source: path,
                             detail: "cannot open the \(String(cString: demuxer.decoder.pointee.name)) decoder: "
                                 + FFmpegStatus.message(status))
        }
    }

    deinit {
        avcodec_free_context(&context)
    }

    /// Sends a packet, or nil to drain the decoder at the end of the stream.
    func send(_ packet: UnsafeMutablePointer<AVPacket>?) throws {
        let status = avcodec_send_packet(context, packet)
        guard status >= 0 || status == FFmpegStatus.endOfFile else {
            throw VideoError(.corrupt, source: path, detail: "decoding: \(FFmpegStatus.message(status))")
        }
    }

    /// Receives the next frame into `frame`; false when the decoder needs more input or is drained.
    func receive(into frame: UnsafeMutablePointer<AVFrame>) throws -> Bool {
        let status = avcodec_receive_frame(context, frame)
        if status == FFmpegStatus.again || status == FFmpegStatus.endOfFile { return false }
        guard status >= 0 else {
            throw VideoError(.corrupt, source: path, detail: "decoding: \(FFmpegStatus.message(status))")
        }
        return true
    }
}

import CFFmpeg
import Foundation

/// An open container positioned on its best video stream; reads that stream's packets in file order.
final class Demuxer {
    let path: String
    let stream: UnsafeMutablePointer<AVStream>
    let decoder: UnsafePointer<AVCodec>
    private var context: UnsafeMutablePointer<AVFormatContext>?

    /// Opens `path` and picks its best video stream (FFmpeg's `av_find_best_stream`, cover pictures excluded).
    init(path: String) throws {
        FFmpegStatus.quietLogging
        self.path = path
        let format = try Self.probe(path)
        var context: UnsafeMutablePointer<AVFormatContext>?
        let status = avformat_open_input(&context, path, format, nil)
        guard status >= 0, let opened = context else {
            throw VideoError(.unreadable, source: path, detail: FFmpegStatus.message(status))
        }
        do {
            let infoStatus = avformat_find_stream_info(opened, nil)
            guard infoStatus >= 0 else {
                throw VideoError(.corrupt, source: path, detail: FFmpegStatus.message(infoStatus))
            }
            (stream, decoder) = try Self.bestVideoStream(opened, path: path)
        } catch {
            avformat_close_input(&context)
            throw error
        }
        self.context = opened
    }

    deinit {
        avformat_close_input(&context)
    }

    /// Reads the next packet of the video stream into `packet` (which the caller unreferences); false at the end of
    /// the data, including a file cut short in the middle of a packet.
    func read(into packet: UnsafeMutablePointer<AVPacket>) throws -> Bool {
        while true {
            let status = av_read_frame(context, packet)
            if status == FFmpegStatus.endOfFile { return false }
            if status < 0 && reachedEndOfFile {
                _ = FFmpegStatus.takeLastLog()
                return false
            }
            guard status >= 0 else {
                throw VideoError(.corrupt, source: path, detail: "reading packets: \(FFmpegStatus.message(status))")
            }
            if packet.pointee.stream_index == stream.pointee.index { return true }
            av_packet_unref(packet)
        }
    }

    /// Reads every packet of the video stream (no decoding): how many hold data, and their presentation times in
    /// seconds, ascending (the decode timestamp stands in where a packet has no presentation time).
    func scanPackets() throws -> (count: Int, timestamps: [Double]) {
        guard let packet = av_packet_alloc() else { throw VideoError(.corrupt, source: path, detail: "out of memory") }
        var packetPointer: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&packetPointer) }
        var stamps: [Int64] = []
        var count = 0
        while try read(into: packet) {
            if packet.pointee.size > 0 {
                count += 1
                let pts = packet.pointee.pts != FFmpegStatus.noTimestamp ? packet.pointee.pts : packet.pointee.dts
                if pts != FFmpegStatus.noTimestamp { stamps.append(pts) }
            }
            av_packet_unref(packet)
        }
        let timeBase = stream.pointee.time_base
        return (count, stamps.sorted().map { seconds($0, timeBase) })
    }

    /// Whether reading has reached the end of the file (a damaged last packet then means the file was cut short).
    var reachedEndOfFile: Bool {
        guard let io = context?.pointee.pb else { return false }
        return avio_feof(io) != 0
    }

    /// The container's duration in seconds; 0 when unknown.
    var containerDuration: Double {
        guard let duration = context?.pointee.duration, duration != FFmpegStatus.noTimestamp, duration > 0 else {
            return 0
        }
        return Double(duration) / Double(AV_TIME_BASE)
    }

    /// `pts × time_base` in seconds.
    func seconds(_ pts: Int64) -> Double { seconds(pts, stream.pointee.time_base) }

    private func seconds(_ pts: Int64, _ timeBase: AVRational) -> Double {
        Double(pts) * Double(timeBase.num) / Double(timeBase.den)
    }

    /// The container format FFmpeg recognises in the file's first bytes (and name).
    private static func probe(_ path: String) throws -> UnsafePointer<AVInputFormat> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw VideoError(.fileNotFound, source: path, detail: "the file does not exist")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if size == 0 { throw VideoError(.unsupportedFormat, source: path, detail: "the file is empty") }
        var io: UnsafeMutablePointer<AVIOContext>?
        let status = avio_open(&io, path, AVIO_FLAG_READ)
        guard status >= 0 else { throw VideoError(.unreadable, source: path, detail: FFmpegStatus.message(status)) }
        defer { avio_closep(&io) }
        var format: UnsafePointer<AVInputFormat>?
        let score = av_probe_input_buffer2(io, &format, path, nil, 0, 0)
        guard score >= 0, let format else {
            throw VideoError(.unsupportedFormat, source: path,
                             detail: "FFmpeg recognises no container format in it (\(FFmpegStatus.message(score)))")
        }
        return format
    }

    private static func bestVideoStream(_ context: UnsafeMutablePointer<AVFormatContext>, path: String) throws
        -> (UnsafeMutablePointer<AVStream>, UnsafePointer<AVCodec>) {
        var decoder: UnsafePointer<AVCodec>?
        let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        let streams = (0..<Int(context.pointee.nb_streams)).compactMap { context.pointee.streams[$0] }
        if index == FFmpegStatus.decoderNotFound {
            let codecs = streams.filter { $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO }
                .map { String(cString: avcodec_get_name($0.pointee.codecpar.pointee.codec_id)) }
            throw VideoError(.unsupportedFormat, source: path,
                             detail: "this FFmpeg has no decoder for \(codecs.joined(separator: ", "))")
        }
        guard index >= 0, let decoder,
              streams[Int(index)].pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0 else {
            throw VideoError(.noVideoStream, source: path, detail: "the file holds \(describe(streams))")
        }
        return (streams[Int(index)], decoder)
    }

    /// "1 audio stream (aac)", "no streams", … for messages.
    private static func describe(_ streams: [UnsafeMutablePointer<AVStream>]) -> String {
        guard !streams.isEmpty else { return "no streams" }
        let parts = streams.map { stream -> String in
            let parameters = stream.pointee.codecpar.pointee
            let type = av_get_media_type_string(parameters.codec_type).map { String(cString: $0) } ?? "unknown"
            let cover = stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 ? " cover picture" : ""
            return "\(type)\(cover) (\(String(cString: avcodec_get_name(parameters.codec_id))))"
        }
        return "only " + parts.joined(separator: ", ")
    }
}

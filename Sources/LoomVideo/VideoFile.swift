import CFFmpeg
import Foundation
import LoomMedia

/// A video file opened through FFmpeg: its best video stream's ``VideoInfo``, and frames sampled from it.
///
/// ```swift
/// let video = try VideoFile(path: "clip.mp4")
/// let sampled = try video.sample(.uniform(count: 16))   // sampled.frames: [RGBImage]
/// ```
///
/// Frames are numbered in the order the decoder presents them (PyAV's `container.decode(video=0)` order), and are
/// converted exactly as PyAV's `frame.to_ndarray(format="rgb24")` converts them, then turned by the stream's
/// display rotation. Sampling decodes the stream once, from the start, converts only the chosen frames and stops
/// after the last one; besides the chosen frames it holds one decoded frame, plus the few a multi-threaded decoder
/// keeps in flight. One `VideoFile` is not for use from several threads at once.
public final class VideoFile {
    /// The file's path, as given.
    public let path: String
    /// What the file says about its video stream.
    public let info: VideoInfo
    /// Presentation times of every frame, ascending, once the packets have been scanned.
    private var packetTimestamps: [Double]?

    /// Opens `path`, picks its best video stream and reads its ``VideoInfo``; counts the stream's packets (without
    /// decoding) when the container does not state a frame count. Throws ``VideoError``.
    public init(path: String) throws {
        self.path = path
        let demuxer = try Demuxer(path: path)
        let stream = demuxer.stream.pointee
        let frameRate = Self.frameRate(stream)
        let stated = Int(stream.nb_frames)
        var source = VideoInfo.FrameCountSource.container
        var frameCount = stated
        if stated <= 0 {
            let scan = try Demuxer(path: path).scanPackets()
            frameCount = scan.count
            source = .packets
            packetTimestamps = Self.frameTimes(scan, frameRate: frameRate)
        }
        guard frameCount > 0 else {
            throw VideoError(.noFrames, source: path, detail: "the video stream holds no frames")
        }
        let rotation = DisplayRotation.clockwiseDegrees(demuxer.stream)
        let (codedWidth, codedHeight) = (Int(stream.codecpar.pointee.width), Int(stream.codecpar.pointee.height))
        info = VideoInfo(width: rotation % 180 == 0 ? codedWidth : codedHeight,
                         height: rotation % 180 == 0 ? codedHeight : codedWidth,
                         frameCount: frameCount, frameCountSource: source,
                         averageFrameRate: frameRate, duration: Self.duration(demuxer),
                         codec: String(cString: avcodec_get_name(stream.codecpar.pointee.codec_id)),
                         rotation: rotation)
    }

    /// The frames `sampling` chooses, as RGB turned for display, with their indices and times. Throws
    /// ``VideoError`` (``VideoErrorKind/truncated`` when the data ends before a chosen frame).
    public func sample(_ sampling: FrameSampling = .default) throws -> SampledVideo {
        var statistics = DecodeStatistics()
        return try sample(sampling, statistics: &statistics)
    }

    /// ``sample(_:)``, also reporting what the decoding pass did.
    func sample(_ sampling: FrameSampling, statistics: inout DecodeStatistics) throws -> SampledVideo {
        if let problem = sampling.problem { throw VideoError(.invalidSampling, source: path, detail: problem) }
        var total = info.frameCount
        var timestamps: [Double] = []
        if sampling.needsTimestamps {
            timestamps = try allTimestamps()
            total = timestamps.count
        }
        let indices = sampling.indices(frameCount: total, timestamps: timestamps)
        return try decode(indices, statistics: &statistics)
    }

    /// Every frame's presentation time, from the packets (scanned once, no decoding).
    private func allTimestamps() throws -> [Double] {
        if let packetTimestamps { return packetTimestamps }
        let times = Self.frameTimes(try Demuxer(path: path).scanPackets(), frameRate: info.averageFrameRate)
        packetTimestamps = times
        return times
    }

    /// The packets' presentation times, or times spaced by the frame rate when some packets carry none.
    private static func frameTimes(_ scan: (count: Int, timestamps: [Double]), frameRate: Double) -> [Double] {
        guard scan.timestamps.count != scan.count else { return scan.timestamps }
        return (0..<scan.count).map { Double($0) / (frameRate > 0 ? frameRate : 1) }
    }

    /// Decodes from the start, converting the frames at `indices` (ascending) and stopping after the last.
    private func decode(_ indices: [Int], statistics: inout DecodeStatistics) throws -> SampledVideo {
        let demuxer = try Demuxer(path: path)
        let decoder = try FrameDecoder(demuxer, threads: min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let converter = RGBConverter(path: path)
        var packet = av_packet_alloc()
        var frame = av_frame_alloc()
        defer {
            av_packet_free(&packet)
            av_frame_free(&frame)
        }
        guard let packet, let frame else { throw VideoError(.corrupt, source: path, detail: "out of memory") }

        var frames: [RGBImage] = []
        var times: [Double] = []
        var next = 0
        var endOfStream = false
        var cutShort = false
        while next < indices.count && !endOfStream {
            do {
                if try demuxer.read(into: packet) {
                    statistics.packetsRead += 1
                    defer { av_packet_unref(packet) }
                    cutShort = packet.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 || demuxer.reachedEndOfFile
                    try decoder.send(packet)
                } else {
                    endOfStream = true
                    try decoder.send(nil)
                }
                while next < indices.count, try decoder.receive(into: frame) {
                    defer { av_frame_unref(frame) }
                    let index = statistics.framesDecoded
                    statistics.framesDecoded += 1
                    guard index == indices[next] else { continue }
                    frames.append(try image(frame, converter))
                    times.append(time(of: frame, index: index, demuxer: demuxer))
                    statistics.framesConverted += 1
                    next += 1
                }
            } catch _ where cutShort {
                endOfStream = true
            }
        }
        guard next == indices.count else {
            guard cutShort || statistics.framesDecoded > 0 else {
                throw VideoError(.noFrames, source: path, detail: "no frame decodes")
            }
            throw VideoError(.truncated, source: path,
                             detail: "the container promises \(info.frameCount) frames but the data ends after "
                                 + "\(statistics.framesDecoded) of them (frame \(indices[next]) was asked for)")
        }
        return SampledVideo(frames: frames, indices: indices, timestamps: times, info: info)
    }

    private func image(_ frame: UnsafeMutablePointer<AVFrame>, _ converter: RGBConverter) throws -> RGBImage {
        let pixels = try converter.rgb(frame)
        let turned = DisplayRotation.turn(pixels, width: Int(frame.pointee.width), height: Int(frame.pointee.height),
                                          degrees: info.rotation)
        return try RGBImage(width: turned.width, height: turned.height, pixels: turned.pixels)
    }

    /// `pts × time_base`; the best-effort timestamp when the frame has no pts; `index / fps` when neither exists.
    private func time(of frame: UnsafeMutablePointer<AVFrame>, index: Int, demuxer: Demuxer) -> Double {
        for pts in [frame.pointee.pts, frame.pointee.best_effort_timestamp] where pts != FFmpegStatus.noTimestamp {
            return demuxer.seconds(pts)
        }
        return info.averageFrameRate > 0 ? Double(index) / info.averageFrameRate : 0
    }

    private static func frameRate(_ stream: AVStream) -> Double {
        for rate in [stream.avg_frame_rate, stream.r_frame_rate] where rate.num > 0 && rate.den > 0 {
            return Double(rate.num) / Double(rate.den)
        }
        return 0
    }

    private static func duration(_ demuxer: Demuxer) -> Double {
        let stream = demuxer.stream.pointee
        if stream.duration != FFmpegStatus.noTimestamp && stream.duration > 0 {
            return demuxer.seconds(stream.duration)
        }
        return demuxer.containerDuration
    }
}

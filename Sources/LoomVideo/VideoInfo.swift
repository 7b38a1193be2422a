/// What a video file says about its best video stream.
public struct VideoInfo: Equatable, Sendable {
    /// Where ``VideoInfo/frameCount`` comes from.
    public enum FrameCountSource: String, Equatable, Sendable {
        /// The container states it (MP4/MOV sample tables, AVI headers, …): PyAV's `stream.frames`.
        case container
        /// The container states none (WebM, Matroska, …), so the stream's packets were counted by demuxing
        /// (no decoding); each packet holds one frame.
        case packets
    }

    /// Displayed width in pixels, after ``rotation``.
    public let width: Int
    /// Displayed height in pixels, after ``rotation``.
    public let height: Int
    /// The number of frames that sampling spreads over (lmms-eval's `total_frames`).
    public let frameCount: Int
    /// Where ``frameCount`` comes from.
    public let frameCountSource: FrameCountSource
    /// The stream's average frame rate (`avg_frame_rate`, or `r_frame_rate` when that is unset), frames per second;
    /// 0 when unknown.
    public let averageFrameRate: Double
    /// The stream's duration in seconds (the container's when the stream states none); 0 when unknown.
    public let duration: Double
    /// FFmpeg's codec name, e.g. "h264", "vp9", "mjpeg", "gif".
    public let codec: String
    /// Clockwise degrees (0, 90, 180 or 270) the stored frames are turned to display them, from the stream's
    /// display matrix; sampled frames are already turned.
    public let rotation: Int

    /// Info with every field given.
    public init(width: Int, height: Int, frameCount: Int, frameCountSource: FrameCountSource,
                averageFrameRate: Double, duration: Double, codec: String, rotation: Int) {
        self.width = width
        self.height = height
        self.frameCount = frameCount
        self.frameCountSource = frameCountSource
        self.averageFrameRate = averageFrameRate
        self.duration = duration
        self.codec = codec
        self.rotation = rotation
    }
}

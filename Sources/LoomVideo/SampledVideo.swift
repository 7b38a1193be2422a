import LoomMedia

/// Frames taken from a video, in presentation order.
public struct SampledVideo: Sendable {
    /// The chosen frames as 8-bit RGB, turned for display.
    public let frames: [RGBImage]
    /// Each frame's index among the stream's frames (0-based, in the order the decoder presents them).
    public let indices: [Int]
    /// Each frame's presentation time in seconds (`pts × time_base`).
    public let timestamps: [Double]
    /// What the file says about its video stream.
    public let info: VideoInfo
}

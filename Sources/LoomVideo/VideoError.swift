import LoomMedia

/// Why a video could not be read or sampled. `description` is one line naming the file and the problem.
public typealias VideoError = SourceError<VideoErrorKind>

/// The class of problem of a ``VideoError``.
public enum VideoErrorKind: String, SourceErrorKind {
    /// No file at the path.
    case fileNotFound
    /// FFmpeg recognises no container format in the file (or the file is empty).
    case unsupportedFormat
    /// The container is recognised but cannot be opened (e.g. its index is missing because the file was cut).
    case unreadable
    /// The file has no video stream (e.g. audio only).
    case noVideoStream
    /// The video stream holds no frames.
    case noFrames
    /// The data ends before frames that the container promises.
    case truncated
    /// The stream's data is damaged.
    case corrupt
    /// The sampling asks for something impossible (a count or rate below 1).
    case invalidSampling

    public var phrase: String {
        switch self {
        case .fileNotFound: return "no such file"
        case .unsupportedFormat: return "unsupported video format"
        case .unreadable: return "cannot open video"
        case .noVideoStream: return "no video stream"
        case .noFrames: return "no frames"
        case .truncated: return "truncated video"
        case .corrupt: return "corrupt video data"
        case .invalidSampling: return "invalid frame sampling"
        }
    }
}

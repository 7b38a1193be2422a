import Foundation
import CFFmpeg
import CVideoShims

/// FFmpeg's status codes, its error strings, and its quieted log.
enum FFmpegStatus {
    static let again = loom_video_error_again()
    static let endOfFile = loom_video_error_eof()
    static let invalidData = loom_video_error_invalid_data()
    static let streamNotFound = loom_video_error_stream_not_found()
    static let decoderNotFound = loom_video_error_decoder_not_found()
    static let noTimestamp = loom_video_no_pts()

    /// Installs the quiet log callback once per process (FFmpeg then prints nothing to stderr).
    static let quietLogging: Void = loom_video_quiet_logging()

    /// `av_strerror`'s text for `code`, followed by FFmpeg's last logged error on this thread when there is one.
    static func message(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        av_strerror(code, &buffer, buffer.count)
        let reason = String(cString: buffer)
        let logged = takeLastLog()
        return logged.isEmpty || logged == reason ? reason : "\(logged) (\(reason))"
    }

    /// FFmpeg's last logged error on this thread (empty when none), forgetting it.
    static func takeLastLog() -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        loom_video_take_last_log(&buffer, Int32(buffer.count))
        return String(cString: buffer).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

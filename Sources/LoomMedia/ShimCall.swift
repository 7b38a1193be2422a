import CImageShims

/// Calls into the C shims: a message buffer for the library's reason, and the mapping of its status.
enum ShimCall {
    static let messageCapacity = 256

    /// Runs `body` with a message buffer; throws a ``DecodeFailure`` unless it returns `LOOM_IMAGE_OK`.
    static func check(_ format: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> loom_image_status) throws {
        var message = [CChar](repeating: 0, count: messageCapacity)
        let status = message.withUnsafeMutableBufferPointer { body($0.baseAddress!, messageCapacity) }
        let reason = String(cString: message)
        switch status {
        case LOOM_IMAGE_OK:
            return
        case LOOM_IMAGE_TRUNCATED:
            throw DecodeFailure(.truncated, "\(format) data ends early (\(reason))")
        case LOOM_IMAGE_UNSUPPORTED:
            throw DecodeFailure(.unsupportedFormat, reason)
        default:
            throw DecodeFailure(.corrupt, "\(format): \(reason)")
        }
    }
}

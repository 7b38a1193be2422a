/// What one decoding pass did: the evidence that sampling decodes only up to the last chosen frame and converts
/// (and keeps) only the chosen ones.
struct DecodeStatistics: Equatable, Sendable {
    /// Packets of the video stream read from the file.
    var packetsRead = 0
    /// Frames the decoder returned.
    var framesDecoded = 0
    /// Frames converted to RGB (and kept); every other decoded frame is released before the next is received.
    var framesConverted = 0
}

import LoomCore

extension SHA256 {
    /// The digest of float32 values as their little-endian bytes (NumPy's `<f4` `tobytes()`), as lowercase hex.
    public static func hex(_ floats: [Float]) -> String {
        hex(floats.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern.littleEndian >> (8 * $0)) } })
    }
}

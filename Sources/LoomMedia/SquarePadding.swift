extension RGBImage {
    /// The image centred on a square canvas of `fill` colour, as LLaVA-NeXT's `expand2square` does
    /// (offset `(side − width) / 2`, `(side − height) / 2`, rounded down); a square image is returned as is.
    public func paddedToSquare(fill: (UInt8, UInt8, UInt8)) -> RGBImage {
        guard width != height else { return self }
        let side = max(width, height)
        let left = (side - width) / 2, top = (side - height) / 2
        var out = [UInt8](repeating: 0, count: side * side * 3)
        for i in 0..<(side * side) {
            out[i * 3] = fill.0
            out[i * 3 + 1] = fill.1
            out[i * 3 + 2] = fill.2
        }
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let from = src.baseAddress! + y * width * 3
                    let to = dst.baseAddress! + ((top + y) * side + left) * 3
                    to.update(from: from, count: width * 3)
                }
            }
        }
        return try! RGBImage(width: side, height: side, pixels: out)
    }
}

/// Pillow's `convert("RGB")` for 8-bit modes (`libImaging/Convert.c`).
enum ColorConversion {
    /// RGB bytes from a buffer of `layout` (whose size the caller has checked).
    static func rgb(from bytes: [UInt8], layout: PixelLayout) -> [UInt8] {
        let count = bytes.count / layout.bytesPerPixel
        return [UInt8](unsafeUninitializedCapacity: count * 3) { out, initialized in
            bytes.withUnsafeBufferPointer { input in
                switch layout {
                case .rgb:
                    _ = out.initialize(from: input)
                case .rgba:
                    for i in 0..<count {
                        out[3 * i] = input[4 * i]
                        out[3 * i + 1] = input[4 * i + 1]
                        out[3 * i + 2] = input[4 * i + 2]
                    }
                case .gray, .grayAlpha:
                    let stride = layout.bytesPerPixel
                    for i in 0..<count {
                        let value = input[stride * i]
                        out[3 * i] = value
                        out[3 * i + 1] = value
                        out[3 * i + 2] = value
                    }
                case .cmyk:
                    for i in 0..<count {
                        let notK = 255 - Int(input[4 * i + 3])
                        out[3 * i] = cmykChannel(input[4 * i], notK)
                        out[3 * i + 1] = cmykChannel(input[4 * i + 1], notK)
                        out[3 * i + 2] = cmykChannel(input[4 * i + 2], notK)
                    }
                }
            }
            initialized = count * 3
        }
    }

    /// Pillow's `P` → `RGB`: each index looked up in `palette` (RGB triples); indices past its end read as black.
    static func rgb(indices: [UInt8], palette: [UInt8]) -> [UInt8] {
        var table = [UInt8](repeating: 0, count: 256 * 3)
        table.replaceSubrange(0..<min(palette.count, table.count), with: palette.prefix(table.count))
        var pixels = [UInt8](repeating: 0, count: indices.count * 3)
        for (i, index) in indices.enumerated() {
            let entry = Int(index) * 3
            pixels[3 * i] = table[entry]
            pixels[3 * i + 1] = table[entry + 1]
            pixels[3 * i + 2] = table[entry + 2]
        }
        return pixels
    }

    /// Pillow's `cmyk2rgb` for one channel: `CLIP8(nk − MULDIV255(ink, nk))`, where
    /// `MULDIV255(a, b) = ((a·b + 128) >> 8 + a·b + 128) >> 8` approximates `a·b / 255` rounded.
    @inline(__always)
    static func cmykChannel(_ ink: UInt8, _ notK: Int) -> UInt8 {
        let product = Int(ink) * notK + 128
        let scaled = ((product >> 8) + product) >> 8
        return UInt8(clamping: notK - scaled)
    }

    /// Pillow's `I;16` → `L` (and so → RGB) for a 16-bit gray sample: values above 255 clip to 255.
    @inline(__always)
    static func clippedGray16(_ value: UInt16) -> UInt8 {
        UInt8(clamping: value)
    }
}

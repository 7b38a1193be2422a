import LoomCore

/// Pillow's `Image.resize(size, Image.BICUBIC)` for RGB images (reducing_gap=None), bit for bit (Pillow 13).
///
/// As in Pillow (`Image.resize`, `ImagingResampleInner`): an unchanged size returns the image as is (Pillow returns
/// a copy); a pass runs only along an axis whose size changes; when both change, the horizontal pass runs first over
/// just the rows the vertical pass reads — except that Pillow 13 runs the vertical pass first (over just the columns
/// the horizontal pass reads) when the height shrinks by more than twice as many pixels as the width does,
/// `2 · (inWidth − width) < inHeight − height`. The order changes results: each pass rounds to 8 bits. A pass
/// accumulates samples times 22-bit fixed-point weights from `1 << 21` and clips `acc >> 22` to 0...255.
public enum PillowResize {
    /// `image` resized to `width` × `height` (both at least 1), without keeping the aspect ratio.
    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        precondition(width > 0 && height > 0, "PillowResize: target size \(width)×\(height) must be at least 1×1")
        let resizeWidth = width != image.width
        let resizeHeight = height != image.height
        let input = Plane(pixels: image.pixels, width: image.width, height: image.height)
        let output: Plane
        switch (resizeWidth, resizeHeight) {
        case (false, false):
            return image
        case (true, false):
            let horizontal = BicubicCoefficients(inputSize: image.width, outputSize: width)
            output = horizontalPass(input, rows: 0..<image.height, firstColumn: 0, coefficients: horizontal)
        case (false, true):
            let vertical = BicubicCoefficients(inputSize: image.height, outputSize: height)
            output = verticalPass(input, columns: 0..<image.width, firstRow: 0, coefficients: vertical)
        case (true, true):
            let horizontal = BicubicCoefficients(inputSize: image.width, outputSize: width)
            let vertical = BicubicCoefficients(inputSize: image.height, outputSize: height)
            if height < image.height && 2 * (image.width - width) < image.height - height {
                let columns = horizontal.lowestInput..<horizontal.inputEnd
                let temporary = verticalPass(input, columns: columns, firstRow: 0, coefficients: vertical)
                output = horizontalPass(temporary, rows: 0..<height, firstColumn: columns.lowerBound,
                                        coefficients: horizontal)
            } else {
                let rows = vertical.lowestInput..<vertical.inputEnd
                let temporary = horizontalPass(input, rows: rows, firstColumn: 0, coefficients: horizontal)
                output = verticalPass(temporary, columns: 0..<width, firstRow: rows.lowerBound,
                                      coefficients: vertical)
            }
        }
        return RGBImage(uncheckedWidth: width, height: height, pixels: output.pixels)
    }

    /// RGB pixels with their dimensions, between passes.
    private struct Plane {
        var pixels: [UInt8]
        var width: Int
        var height: Int
    }

    private static let channels = 3
    private static let half = Int32(1) << Int32(BicubicCoefficients.precisionBits - 1)

    @inline(__always)
    private static func clip8(_ accumulator: Int32) -> UInt8 {
        UInt8(clamping: accumulator >> Int32(BicubicCoefficients.precisionBits))
    }

    /// Resamples `rows` of `input` to the coefficients' output width. Column `c` of `input` is source column
    /// `c + firstColumn` (the coefficients index source columns).
    private static func horizontalPass(_ input: Plane, rows: Range<Int>, firstColumn: Int,
                                       coefficients: BicubicCoefficients) -> Plane {
        let outputWidth = coefficients.first.count
        let rowBytes = outputWidth * channels
        let inputRowBytes = input.width * channels
        let taps = coefficients.taps
        let pixels = [UInt8](unsafeUninitializedCapacity: rows.count * rowBytes) { output, initialized in
            input.pixels.withUnsafeBufferPointer { source in
                coefficients.weights.withUnsafeBufferPointer { weights in
                    coefficients.first.withUnsafeBufferPointer { first in
                        coefficients.count.withUnsafeBufferPointer { count in
                            Parallel.forEachChunk(rows.count, costPerItem: rowBytes * taps) { chunk in
                                for row in chunk {
                                    let sourceRow = source.baseAddress! + (rows.lowerBound + row) * inputRowBytes
                                    let outputRow = output.baseAddress! + row * rowBytes
                                    for x in 0..<outputWidth {
                                        let k = weights.baseAddress! + x * taps
                                        var pixel = sourceRow + (first[x] - firstColumn) * channels
                                        var r = half, g = half, b = half
                                        for tap in 0..<count[x] {
                                            let w = k[tap]
                                            r &+= Int32(pixel[0]) &* w
                                            g &+= Int32(pixel[1]) &* w
                                            b &+= Int32(pixel[2]) &* w
                                            pixel += channels
                                        }
                                        outputRow[x * channels] = clip8(r)
                                        outputRow[x * channels + 1] = clip8(g)
                                        outputRow[x * channels + 2] = clip8(b)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialized = rows.count * rowBytes
        }
        return Plane(pixels: pixels, width: outputWidth, height: rows.count)
    }

    /// Resamples `columns` of `input` to the coefficients' output height. Row `r` of `input` is source row
    /// `r + firstRow` (the coefficients index source rows).
    private static func verticalPass(_ input: Plane, columns: Range<Int>, firstRow: Int,
                                     coefficients: BicubicCoefficients) -> Plane {
        let outputHeight = coefficients.first.count
        let rowBytes = columns.count * channels
        let inputRowBytes = input.width * channels
        let columnOffset = columns.lowerBound * channels
        let taps = coefficients.taps
        let pixels = [UInt8](unsafeUninitializedCapacity: outputHeight * rowBytes) { output, initialized in
            input.pixels.withUnsafeBufferPointer { source in
                coefficients.weights.withUnsafeBufferPointer { weights in
                    Parallel.forEachChunk(outputHeight, costPerItem: rowBytes * taps) { chunk in
                        let accumulator = UnsafeMutablePointer<Int32>.allocate(capacity: rowBytes)
                        defer { accumulator.deallocate() }
                        for y in chunk {
                            accumulator.initialize(repeating: half, count: rowBytes)
                            let k = weights.baseAddress! + y * taps
                            let top = coefficients.first[y] - firstRow
                            for tap in 0..<coefficients.count[y] {
                                let w = k[tap]
                                let sourceRow = source.baseAddress! + (top + tap) * inputRowBytes + columnOffset
                                for i in 0..<rowBytes {
                                    accumulator[i] &+= Int32(sourceRow[i]) &* w
                                }
                            }
                            let outputRow = output.baseAddress! + y * rowBytes
                            for i in 0..<rowBytes {
                                outputRow[i] = clip8(accumulator[i])
                            }
                        }
                    }
                }
            }
            initialized = outputHeight * rowBytes
        }
        return Plane(pixels: pixels, width: columns.count, height: outputHeight)
    }
}

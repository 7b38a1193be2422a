import LoomCore

/// transformers' `SiglipImageProcessor`, PIL backend (`SiglipImageProcessorPil`; the v4 slow processor):
/// squash-resize with Pillow's bicubic, `float32(float64(x) · rescale_factor)`, then `(x − mean) / std` in float32,
/// channels first. The result equals transformers' `pixel_values[i]` for the same RGB pixels exactly.
///
/// The input is already RGB. Note that transformers 5 (`do_convert_rgb` defaults to true) composites a PIL image
/// with an alpha band or a transparent colour onto white before this, where transformers 4 and ``ImageDecoder``
/// (Pillow's `convert("RGB")`) drop the alpha.
public struct SiglipImageProcessor: Sendable {
    /// The validated configuration.
    public let configuration: ImageProcessorConfiguration
    /// `values[c * 256 + v]`: the output for channel `c` and 8-bit value `v` (every step after the resize is
    /// per-sample, so it is a table).
    private let values: [Float]

    /// A processor for `configuration`, which must pass ``ImageProcessorConfiguration/validate()`` (call that
    /// first to get the reason as an error; an invalid configuration here stops the program).
    public init(configuration: ImageProcessorConfiguration = ImageProcessorConfiguration()) {
        do {
            try configuration.validate()
        } catch {
            preconditionFailure("SiglipImageProcessor: \(error)")
        }
        self.configuration = configuration
        var values = [Float](repeating: 0, count: 3 * 256)
        for channel in 0..<3 {
            for sample in 0..<256 {
                var x = configuration.doRescale ? Float(Double(sample) * configuration.rescaleFactor) : Float(sample)
                if configuration.doNormalize {
                    x = (x - Float(configuration.imageMean[channel])) / Float(configuration.imageStd[channel])
                }
                values[channel * 256 + sample] = x
            }
        }
        self.values = values
    }

    /// The `[3, H, W]` pixel tensor for `image` (H×W is the configured size when resizing, else the image's).
    public func preprocess(_ image: RGBImage) -> Tensor {
        let resized = configuration.doResize
            ? PillowResize.resize(image, width: configuration.size.width, height: configuration.size.height)
            : image
        let plane = resized.width * resized.height
        var data = [Float](repeating: 0, count: 3 * plane)
        values.withUnsafeBufferPointer { table in
            resized.pixels.withUnsafeBufferPointer { pixels in
                data.withUnsafeMutableBufferPointer { out in
                    for i in 0..<plane {
                        out[i] = table[Int(pixels[3 * i])]
                        out[plane + i] = table[256 + Int(pixels[3 * i + 1])]
                        out[2 * plane + i] = table[512 + Int(pixels[3 * i + 2])]
                    }
                }
            }
        }
        return Tensor(shape: [3, resized.height, resized.width], data: data)
    }
}

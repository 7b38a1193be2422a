/// Pillow's resampling weights for one axis with the BICUBIC filter (`Resample.c`: `precompute_coeffs`,
/// `normalize_coeffs_8bpc`), reproduced operation for operation so that the fixed-point weights are identical.
struct BicubicCoefficients {
    /// Fractional bits of the fixed-point weights (`PRECISION_BITS = 32 − 8 − 2`).
    static let precisionBits = 22

    /// Weights per output position (`taps` slots each; only the first `count[i]` are used).
    let taps: Int
    /// First input index for each output position.
    let first: [Int]
    /// Number of inputs for each output position.
    let count: [Int]
    /// `outputSize * taps` fixed-point weights: `(int)(±0.5 + w · 2²²)`.
    let weights: [Int32]

    init(inputSize: Int, outputSize: Int) {
        let support = 2.0  // bicubic filter support
        // Pillow: scale = (double)(in1 - in0) / outSize with the box edges as floats (exact below 2^24).
        let scale = Double(Float(inputSize)) / Double(outputSize)
        let filterScale = max(scale, 1.0)
        let scaledSupport = support * filterScale
        taps = Int(scaledSupport.rounded(.up)) * 2 + 1
        var first = [Int](repeating: 0, count: outputSize)
        var count = [Int](repeating: 0, count: outputSize)
        var weights = [Int32](repeating: 0, count: outputSize * taps)
        var real = [Double](repeating: 0, count: taps)
        let inverseFilterScale = 1.0 / filterScale
        let one = Double(1 << Self.precisionBits)
        for output in 0..<outputSize {
            let center = (Double(output) + 0.5) * scale
            let low = max(Int(center - scaledSupport + 0.5), 0)
            let high = min(Int(center + scaledSupport + 0.5), inputSize)
            let n = high - low
            var total = 0.0
            for k in 0..<n {
                let w = Self.bicubic((Double(k + low) - center + 0.5) * inverseFilterScale)
                real[k] = w
                total += w
            }
            for k in 0..<n {
                let w = total != 0 ? real[k] / total : real[k]
                weights[output * taps + k] = Int32(w < 0 ? -0.5 + w * one : 0.5 + w * one)
            }
            first[output] = low
            count[output] = n
        }
        self.first = first
        self.count = count
        self.weights = weights
    }

    /// First input index any output position reads.
    var lowestInput: Int { first.first ?? 0 }

    /// One past the last input index any output position reads.
    var inputEnd: Int { (first.last ?? 0) + (count.last ?? 0) }

    /// Keys' cubic convolution kernel with a = −0.5, written as Pillow writes it (same operation order).
    @inline(__always)
    static func bicubic(_ value: Double) -> Double {
        let a = -0.5
        let x = abs(value)
        if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
        if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0.0
    }
}

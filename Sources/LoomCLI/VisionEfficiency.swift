import Foundation
import LoomCore
import LoomModels

/// The vision tower's arithmetic rate beside this machine's bf16 matrix-product rate, both measured in the same
/// process: `efficiency` is the share of the product rate the tower (with the projector) reaches over its FLOPs.
struct VisionEfficiency: Encodable {
    /// oneDNN bf16 rate on the tower's largest product (`[patches, hidden] × [hidden, intermediate]`, packed).
    let gemmGFLOPS: Double
    /// Tower + projector FLOPs of one image over the measured time per image.
    let visionGFLOPS: Double
    /// `visionGFLOPS / gemmGFLOPS`.
    let efficiency: Double

    enum CodingKeys: String, CodingKey {
        case gemmGFLOPS = "gemm_bf16_gflops", visionGFLOPS = "vision_gflops", efficiency
    }

    /// Measures the product rate and relates `msPerImage` to `workload`; nil when bf16 products are unavailable.
    init?(_ workload: VisionWorkload, msPerImage: Double) {
        let product = workload.largestProduct
        guard let rate = VisionEfficiency.productRate(rows: product.rows, inner: product.inner, outer: product.outer) else { return nil }
        gemmGFLOPS = rate
        visionGFLOPS = workload.flopsPerView / (msPerImage / 1000) / 1e9
        efficiency = visionGFLOPS / gemmGFLOPS
    }

    /// Best of five `[rows, inner] × [inner, outer]` bf16 products against a packed random weight, in GFLOP/s.
    static func productRate(rows: Int, inner: Int, outer: Int) -> Double? {
        let weight = Weight(name: "calibration", shape: [outer, inner],
                            values: (0..<(outer * inner)).map { Float(($0 * 7919) % 201 - 100) / 5000 }, dtype: .bf16)
        guard let matrix = BlockedBF16Matrix(packing: weight) else { return nil }
        let x = (0..<(rows * inner)).map { Float(($0 * 104_729) % 199 - 99) / 100 }
        var out = [Float](repeating: 0, count: rows * outer)
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now()
            x.withUnsafeBufferPointer { xp in
                out.withUnsafeMutableBufferPointer { matrix.multiply(xp.baseAddress!, rows: rows, bias: nil, into: $0.baseAddress!) }
            }
            best = min(best, millisecondsSince(start))
        }
        return 2 * Double(rows * inner * outer) / (best / 1000) / 1e9
    }
}

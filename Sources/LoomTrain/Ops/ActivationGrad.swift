import Foundation
import LoomCore

extension TrainOps {
    /// SwiGLU: h = silu(gate) ⊙ up, element-wise over equally sized arrays.
    public static func swiglu(gate: [Float], up: [Float]) -> [Float] {
        precondition(gate.count == up.count, "swiglu: \(gate.count) gate and \(up.count) up values")
        return zipMap(gate, up) { g, u in g / (1 + expf(-g)) * u }
    }

    /// Backward of ``swiglu(gate:up:)``: dGate = dh ⊙ up ⊙ σ(g)(1 + g(1 − σ(g))), dUp = dh ⊙ silu(g).
    public static func swigluBackward(_ dh: [Float], gate: [Float], up: [Float]) -> (dGate: [Float], dUp: [Float]) {
        precondition(dh.count == gate.count && gate.count == up.count, "swigluBackward: \(dh.count), \(gate.count), \(up.count) values")
        var dGate = [Float](repeating: 0, count: dh.count), dUp = dGate
        guard !dh.isEmpty else { return (dGate, dUp) }
        dh.withUnsafeBufferPointer { dp in gate.withUnsafeBufferPointer { gp in up.withUnsafeBufferPointer { up in
            dGate.withUnsafeMutableBufferPointer { dgp in dUp.withUnsafeMutableBufferPointer { dup in
                let dh = dp.baseAddress!, g = gp.baseAddress!, u = up.baseAddress!, dg = dgp.baseAddress!, du = dup.baseAddress!
                Parallel.forEachChunk(dp.count, costPerItem: 16) { range in
                    for i in range {
                        let sigmoid = 1 / (1 + expf(-g[i]))
                        dg[i] = dh[i] * u[i] * (sigmoid * (1 + g[i] * (1 - sigmoid)))
                        du[i] = dh[i] * (g[i] * sigmoid)
                    }
                }
            }}
        }}}
        return (dGate, dUp)
    }

    /// Exact GELU, x·Φ(x) with libm's `erff` (`torch.nn.functional.gelu(x)`).
    public static func geluErf(_ x: [Float]) -> [Float] {
        map(x) { v in v * 0.5 * (1 + erff(v * sqrtHalf)) }
    }

    /// Backward of ``geluErf(_:)``: dy ⊙ (Φ(x) + x·φ(x)).
    public static func geluErfBackward(_ dy: [Float], x: [Float]) -> [Float] {
        precondition(dy.count == x.count, "geluErfBackward: \(dy.count) and \(x.count) values")
        return zipMap(dy, x) { d, v in
            let cdf = 0.5 * (1 + erff(v * sqrtHalf)), pdf = expf(-0.5 * v * v) * inverseSqrtTwoPi
            return d * (cdf + v * pdf)
        }
    }

    /// GELU with the tanh approximation, 0.5·x·(1 + tanh(k(x + 0.044715x³))), k = √(2/π)
    /// (`gelu(x, approximate="tanh")`).
    public static func geluTanh(_ x: [Float]) -> [Float] {
        map(x) { v in 0.5 * v * (1 + tanhf(sqrtTwoOverPi * (v + tanhCubic * v * v * v))) }
    }

    /// Backward of ``geluTanh(_:)``: dy ⊙ (0.5(1 + t) + 0.5x(1 − t²)·k(1 + 3·0.044715x²)).
    public static func geluTanhBackward(_ dy: [Float], x: [Float]) -> [Float] {
        precondition(dy.count == x.count, "geluTanhBackward: \(dy.count) and \(x.count) values")
        return zipMap(dy, x) { d, v in
            let square = v * v
            let t = tanhf(sqrtTwoOverPi * (v + tanhCubic * square * v))
            let inner = sqrtTwoOverPi * (1 + 3 * tanhCubic * square)
            return d * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * inner)
        }
    }

    private static let sqrtHalf: Float = 0.7071067811865476
    private static let inverseSqrtTwoPi: Float = 0.3989422804014327
    private static let sqrtTwoOverPi: Float = 0.7978845608028654
    private static let tanhCubic: Float = 0.044715

    /// `f` over every element, in parallel.
    private static func map(_ x: [Float], _ f: (Float) -> Float) -> [Float] {
        guard !x.isEmpty else { return [] }
        return [Float](unsafeUninitializedCapacity: x.count) { out, initialized in
            x.withUnsafeBufferPointer { xp in
                let x = xp.baseAddress!, o = out.baseAddress!
                Parallel.forEachChunk(xp.count, costPerItem: 16) { range in
                    for i in range { o[i] = f(x[i]) }
                }
            }
            initialized = x.count
        }
    }

    /// `f` over every pair of elements of equally sized arrays, in parallel.
    private static func zipMap(_ a: [Float], _ b: [Float], _ f: (Float, Float) -> Float) -> [Float] {
        guard !a.isEmpty else { return [] }
        return [Float](unsafeUninitializedCapacity: a.count) { out, initialized in
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                let a = ap.baseAddress!, b = bp.baseAddress!, o = out.baseAddress!
                Parallel.forEachChunk(ap.count, costPerItem: 16) { range in
                    for i in range { o[i] = f(a[i], b[i]) }
                }
            }}
            initialized = a.count
        }
    }
}

import Foundation
import LoomCore

extension TrainOps {
    /// RMSNorm (Qwen2): r = 1/sqrt(mean(x²) + eps), y = weight ⊙ (x·r), per row of `cols` values; returns y and
    /// r per row (statistics summed in Double, kept in f32).
    public static func rmsNorm(_ x: [Float], rows: Int, cols: Int, weight: [Float], eps: Float) -> (y: [Float], rstd: [Float]) {
        precondition(x.count == rows * cols && weight.count == cols, "rmsNorm: \(x.count) values and \(weight.count) weights for [\(rows), \(cols)]")
        var y = [Float](repeating: 0, count: rows * cols), rstd = [Float](repeating: 0, count: rows)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in rstd.withUnsafeMutableBufferPointer { rp in
            let x = xp.baseAddress!, y = yp.baseAddress!, rstd = rp.baseAddress!
            Parallel.forEachChunk(rows, costPerItem: cols * 4) { range in
                for r in range {
                    let row = x + r * cols, out = y + r * cols
                    var squares = 0.0
                    for c in 0..<cols { squares += Double(row[c]) * Double(row[c]) }
                    let scale = 1 / sqrtf(Float(squares / Double(cols)) + eps)
                    rstd[r] = scale
                    for c in 0..<cols { out[c] = weight[c] * (row[c] * scale) }
                }
            }
        }}}
        return (y, rstd)
    }

    /// Backward of ``rmsNorm(_:rows:cols:weight:eps:)``: with x̂ = x·r and g = dy ⊙ weight, returns
    /// dx = r·(g − x̂·mean(g ⊙ x̂)) and adds Σ_rows dy ⊙ x̂ into `weightGrad` when non-nil.
    public static func rmsNormBackward(_ dy: [Float], x: [Float], rstd: [Float], weight: [Float], rows: Int, cols: Int,
                                       weightGrad: UnsafeMutablePointer<Float>?) -> [Float] {
        precondition(dy.count == rows * cols && x.count == rows * cols && rstd.count == rows && weight.count == cols,
                     "rmsNormBackward: buffer sizes do not match [\(rows), \(cols)]")
        var dx = [Float](repeating: 0, count: rows * cols)
        dy.withUnsafeBufferPointer { dp in x.withUnsafeBufferPointer { xp in dx.withUnsafeMutableBufferPointer { op in
            let dy = dp.baseAddress!, x = xp.baseAddress!, dx = op.baseAddress!
            Parallel.forEachChunk(rows, costPerItem: cols * 6) { range in
                for r in range {
                    let d = dy + r * cols, row = x + r * cols, out = dx + r * cols, scale = rstd[r]
                    var dot = 0.0
                    for c in 0..<cols { dot += Double(d[c] * weight[c]) * Double(row[c] * scale) }
                    let mean = Float(dot / Double(cols))
                    for c in 0..<cols { out[c] = scale * (d[c] * weight[c] - row[c] * scale * mean) }
                }
            }
            if let weightGrad {
                addColumnSums(rows: rows, cols: cols, into: weightGrad) { r, c in dy[r * cols + c] * (x[r * cols + c] * rstd[r]) }
            }
        }}}
        return dx
    }

    /// LayerNorm (SigLIP) with PyTorch's biased variance: y = weight ⊙ (x − μ)·rstd + bias per row; returns y and
    /// μ and rstd = 1/sqrt(var + eps) per row (statistics summed in Double, kept in f32).
    public static func layerNorm(_ x: [Float], rows: Int, cols: Int, weight: [Float], bias: [Float], eps: Float)
        -> (y: [Float], mean: [Float], rstd: [Float]) {
        precondition(x.count == rows * cols && weight.count == cols && bias.count == cols,
                     "layerNorm: \(x.count) values, \(weight.count) weights, \(bias.count) biases for [\(rows), \(cols)]")
        var y = [Float](repeating: 0, count: rows * cols)
        var means = [Float](repeating: 0, count: rows), rstd = [Float](repeating: 0, count: rows)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            means.withUnsafeMutableBufferPointer { mp in rstd.withUnsafeMutableBufferPointer { rp in
                let x = xp.baseAddress!, y = yp.baseAddress!, means = mp.baseAddress!, rstd = rp.baseAddress!
                Parallel.forEachChunk(rows, costPerItem: cols * 6) { range in
                    for r in range {
                        let row = x + r * cols, out = y + r * cols
                        var sum = 0.0
                        for c in 0..<cols { sum += Double(row[c]) }
                        let mean = sum / Double(cols)
                        var squares = 0.0
                        for c in 0..<cols { squares += (Double(row[c]) - mean) * (Double(row[c]) - mean) }
                        let mu = Float(mean), scale = 1 / sqrtf(Float(squares / Double(cols)) + eps)
                        means[r] = mu
                        rstd[r] = scale
                        for c in 0..<cols { out[c] = weight[c] * ((row[c] - mu) * scale) + bias[c] }
                    }
                }
            }}
        }}
        return (y, means, rstd)
    }

    /// Backward of ``layerNorm(_:rows:cols:weight:bias:eps:)``: with x̂ = (x − μ)·rstd and g = dy ⊙ weight, returns
    /// dx = rstd·(g − mean(g) − x̂·mean(g ⊙ x̂)); adds Σ_rows dy ⊙ x̂ into `weightGrad` and Σ_rows dy into `biasGrad`
    /// when non-nil.
    public static func layerNormBackward(_ dy: [Float], x: [Float], mean: [Float], rstd: [Float], weight: [Float], rows: Int, cols: Int,
                                         weightGrad: UnsafeMutablePointer<Float>?, biasGrad: UnsafeMutablePointer<Float>?) -> [Float] {
        precondition(dy.count == rows * cols && x.count == rows * cols && mean.count == rows && rstd.count == rows && weight.count == cols,
                     "layerNormBackward: buffer sizes do not match [\(rows), \(cols)]")
        var dx = [Float](repeating: 0, count: rows * cols)
        dy.withUnsafeBufferPointer { dp in x.withUnsafeBufferPointer { xp in dx.withUnsafeMutableBufferPointer { op in
            let dy = dp.baseAddress!, x = xp.baseAddress!, dx = op.baseAddress!
            Parallel.forEachChunk(rows, costPerItem: cols * 8) { range in
                for r in range {
                    let d = dy + r * cols, row = x + r * cols, out = dx + r * cols, mu = mean[r], scale = rstd[r]
                    var sum = 0.0, dot = 0.0
                    for c in 0..<cols {
                        let g = Double(d[c] * weight[c])
                        sum += g
                        dot += g * Double((row[c] - mu) * scale)
                    }
                    let meanG = Float(sum / Double(cols)), meanDot = Float(dot / Double(cols))
                    for c in 0..<cols { out[c] = scale * (d[c] * weight[c] - meanG - (row[c] - mu) * scale * meanDot) }
                }
            }
            if let weightGrad {
                addColumnSums(rows: rows, cols: cols, into: weightGrad) { r, c in dy[r * cols + c] * ((x[r * cols + c] - mean[r]) * rstd[r]) }
            }
        }}}
        if let biasGrad { addColumnSums(dy, rows: rows, cols: cols, into: biasGrad) }
        return dx
    }
}

extension TrainOps {
    /// Linear in PyTorch layout: y[rows, out] = x[rows, inp] · w[out, inp]ᵀ + bias[out].
    public static func linear(_ x: [Float], rows: Int, _ w: [Float], out: Int, inp: Int, bias: [Float]?) -> [Float] {
        precondition(x.count == rows * inp && w.count == out * inp, "linear: x has \(x.count) values, w \(w.count), for [\(rows), \(inp)] · [\(out), \(inp)]ᵀ")
        var y = [Float](repeating: 0, count: rows * out)
        if let bias {
            precondition(bias.count == out, "linear: bias has \(bias.count) values, expected \(out)")
            y.withUnsafeMutableBufferPointer { yp in
                for r in 0..<rows { (yp.baseAddress! + r * out).update(from: bias, count: out) }
            }
        }
        Matmul.gemm(x, transA: false, w, transB: true, m: rows, n: out, k: inp, into: &y, accumulate: bias != nil)
        return y
    }

    /// Backward of ``linear(_:rows:_:out:inp:bias:)`` given dy[rows, out]: returns dx = dy · w (nil when `needInput`
    /// is false); adds dW = dyᵀ · x into `weightGrad` ([out, inp]) and Σ_rows dy into `biasGrad` ([out]) when non-nil.
    public static func linearBackward(_ dy: [Float], x: [Float], w: [Float], rows: Int, out: Int, inp: Int, needInput: Bool,
                                      weightGrad: UnsafeMutablePointer<Float>?, biasGrad: UnsafeMutablePointer<Float>?) -> [Float]? {
        precondition(dy.count == rows * out && x.count == rows * inp && w.count == out * inp, "linearBackward: buffer sizes do not match [\(rows), \(out)] / [\(rows), \(inp)]")
        if let weightGrad {
            dy.withUnsafeBufferPointer { dp in
                x.withUnsafeBufferPointer { xp in
                    Matmul.gemm(dp.baseAddress!, transA: true, xp.baseAddress!, transB: false, m: out, n: inp, k: rows,
                                into: weightGrad, accumulate: true)
                }
            }
        }
        if let biasGrad { addColumnSums(dy, rows: rows, cols: out, into: biasGrad) }
        guard needInput else { return nil }
        var dx = [Float](repeating: 0, count: rows * inp)
        Matmul.gemm(dy, transA: false, w, transB: false, m: rows, n: inp, k: out, into: &dx, accumulate: false)
        return dx
    }
}

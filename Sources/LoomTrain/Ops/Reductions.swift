import LoomCore

extension TrainOps {
    /// Adds Σ_rows f(r, c) to `target[c]` for c in 0..<cols, summing in Double (parameter gradients reduced over
    /// many rows), parallel over columns.
    static func addColumnSums(rows: Int, cols: Int, into target: UnsafeMutablePointer<Float>,
                              _ f: (_ row: Int, _ col: Int) -> Float) {
        Parallel.forEachChunk(cols, costPerItem: rows) { range in
            var sums = [Double](repeating: 0, count: range.count)
            for r in 0..<rows {
                for c in range { sums[c - range.lowerBound] += Double(f(r, c)) }
            }
            for c in range { target[c] += Float(sums[c - range.lowerBound]) }
        }
    }

    /// Adds Σ_rows m[r, c] to `target[c]` for a row-major [rows, cols] matrix.
    static func addColumnSums(_ m: [Float], rows: Int, cols: Int, into target: UnsafeMutablePointer<Float>) {
        m.withUnsafeBufferPointer { mp in
            let base = mp.baseAddress!
            addColumnSums(rows: rows, cols: cols, into: target) { r, c in base[r * cols + c] }
        }
    }
}

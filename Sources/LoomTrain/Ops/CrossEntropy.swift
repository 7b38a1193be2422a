import Foundation
import LoomCore

extension TrainOps {
    /// Cross-entropy over `rows` logit rows [rows, vocab] with integer targets (every row supervised: callers pass
    /// only supervised rows). Returns the sum over rows of −log softmax(z)[target] (accumulated in Double) and
    /// dLogits = (softmax(z) − onehot(target)) · gradScale (1/N for a mean over N supervised tokens).
    public static func crossEntropy(logits: [Float], rows: Int, vocab: Int, targets: [Int], gradScale: Float) -> (lossSum: Double, dLogits: [Float]) {
        precondition(logits.count == rows * vocab && targets.count == rows, "crossEntropy: \(logits.count) logits, \(targets.count) targets for [\(rows), \(vocab)]")
        precondition(targets.allSatisfy { (0..<vocab).contains($0) }, "crossEntropy: a target lies outside 0..<\(vocab)")
        var dLogits = [Float](repeating: 0, count: rows * vocab), losses = [Double](repeating: 0, count: rows)
        logits.withUnsafeBufferPointer { zp in dLogits.withUnsafeMutableBufferPointer { dp in losses.withUnsafeMutableBufferPointer { lp in
            let z = zp.baseAddress, dz = dp.baseAddress, loss = lp.baseAddress
            Parallel.forEachChunk(rows, costPerItem: vocab * 8) { range in
                for r in range {
                    let row = z! + r * vocab, grad = dz! + r * vocab
                    var maxValue = -Float.infinity
                    for j in 0..<vocab { maxValue = max(maxValue, row[j]) }
                    var sum = 0.0
                    for j in 0..<vocab {
                        let e = expf(row[j] - maxValue)
                        grad[j] = e
                        sum += Double(e)
                    }
                    let logSum = Double(maxValue) + Foundation.log(sum), inverse = Float(1 / sum)
                    for j in 0..<vocab { grad[j] = grad[j] * inverse * gradScale }
                    grad[targets[r]] -= gradScale
                    loss![r] = logSum - Double(row[targets[r]])
                }
            }
        }}}
        return (losses.reduce(0, +), dLogits)
    }
}

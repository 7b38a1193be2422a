import Foundation

/// Loom's one thread pool for element-wise kernels: work is split into at most
/// ``Parallel/threadCount`` contiguous chunks and run with `DispatchQueue.concurrentPerform`.
/// BLAS calls are never issued from inside a parallel region, so its own threads never run beside ours.
public enum Parallel {
    /// Threads used by Loom's kernels (the active processor count, or `LOOM_THREADS`).
    public static let threadCount: Int = {
        if let value = ProcessInfo.processInfo.environment["LOOM_THREADS"], let n = Int(value), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Calls `body(range)` over disjoint chunks covering `0..<count`, in parallel when the work is large
    /// enough (`count * costPerItem` of at least about 32k operations).
    public static func forEachChunk(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threadCount, count)
        if chunks <= 1 || count * costPerItem < 32_768 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = count * c / chunks
            let hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}

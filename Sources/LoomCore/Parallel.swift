import Foundation
import LoomKernels

/// Loom's one thread pool: work is split into contiguous chunks run by at most ``Parallel/threadCount`` threads.
///
/// Once oneDNN is in use (a bf16 model is loaded), the chunks run on the OpenMP threads that oneDNN's products
/// also use (libgomp), so Loom's kernels and oneDNN never run in two pools beside each other; otherwise (the f32
/// path, whose products run on OpenBLAS's threads) they run with `DispatchQueue.concurrentPerform`. BLAS calls
/// are never issued from inside a parallel region.
public enum Parallel {
    /// Threads used by Loom's kernels (the active processor count, or `LOOM_THREADS`).
    public static let threadCount: Int = {
        if let value = ProcessInfo.processInfo.environment["LOOM_THREADS"], let n = Int(value), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Whether the OpenMP runtime shared with oneDNN is available to run the chunks.
    static let openMPAvailable: Bool = {
        loom_onednn_set_threads(Int32(threadCount))
        return loom_parallel_available() != 0
    }()

    /// Chunks per thread on the OpenMP pool: threads claim them in turn, so a thread that starts late or shares
    /// its core does less of the work instead of holding up the other at the end.
    static let chunksPerThread = 4

    /// Calls `body(range)` over disjoint chunks covering `0..<count`, in parallel when the work is large
    /// enough (`count * costPerItem` of at least about 32k operations) and the calling thread has not forced the
    /// portable kernels (`loom_force_portable_kernels`, which holds for that thread only).
    public static func forEachChunk(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let threads = min(threadCount, count)
        if threads <= 1 || count * costPerItem < 32_768 || loom_portable_kernels_forced() != 0 {
            body(0..<count)
            return
        }
        if openMPAvailable && loom_onednn_ready() != 0 {
            let chunks = min(count, threads * chunksPerThread)
            withoutActuallyEscaping(body) { escapable in
                var call = escapable
                withUnsafeMutablePointer(to: &call) { pointer in
                    loom_parallel_run(Int64(count), Int32(chunks), Int32(threads), pointer) { context, lo, hi in
                        context!.assumingMemoryBound(to: ((Range<Int>) -> Void).self).pointee(Int(lo)..<Int(hi))
                    }
                }
            }
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { c in
            let lo = count * c / threads
            let hi = count * (c + 1) / threads
            if lo < hi { body(lo..<hi) }
        }
    }
}

import LoomKernels

/// How the C heap treats the large, short-lived activation buffers every layer allocates.
public enum HeapPolicy {
    /// Keeps freed blocks of up to 32 MiB (glibc's largest `M_MMAP_THRESHOLD`) in the heap and never trims it, so
    /// the next layer reuses them instead of mapping fresh pages the kernel must zero (≈ 13% of a prefill's time
    /// with glibc's defaults). Peak memory is unchanged: the blocks are reused, not accumulated. Process-wide; the
    /// `loom` command calls it at start, library users may call it once. No effect outside glibc.
    public static func keepFreedBlocks() {
        loom_keep_freed_blocks()
    }
}

/* Heap settings for the large, short-lived activation buffers (see HeapPolicy.swift), and the allocator of the
 * long-lived large buffers (weights, KV caches) that single-row products stream every token. */
#include "LoomKernels.h"

#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

void loom_keep_freed_blocks(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's largest; blocks up to 32 MiB come from the heap */
    mallopt(M_TRIM_THRESHOLD, 0x7FFFFFFF); /* never hand the heap's top back to the kernel */
#endif
}

enum { HUGE_PAGE = 2 << 20, SMALL_PAGE = 4096 };

static size_t mapped_length(size_t bytes) { return (bytes + SMALL_PAGE - 1) / SMALL_PAGE * SMALL_PAGE; }

/* Blocks of at least one huge page are mappings of their own, aligned to 2 MiB, with their whole 2 MiB pages
 * marked for transparent huge pages (the tail stays in small pages, so no block holds memory it does not use):
 * reading a weight or a KV cache through huge pages measured 33 rather than 28 GB/s with both cores streaming
 * (fewer TLB misses), which is what a decoded token costs. */
void *loom_large_allocate(size_t bytes) {
#if defined(__linux__)
    if (bytes >= HUGE_PAGE) {
        const size_t length = mapped_length(bytes);
        char *region = mmap(NULL, length + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (region == MAP_FAILED) return NULL;
        char *start = (char *)(((uintptr_t)region + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE);
        if (start > region) munmap(region, (size_t)(start - region));
        munmap(start + length, (size_t)(region + length + HUGE_PAGE - (start + length)));
        madvise(start, bytes / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
        return start;
    }
#endif
    void *block = NULL;
    return posix_memalign(&block, 64, bytes ? (bytes + 63) / 64 * 64 : 64) == 0 ? block : NULL;
}

void loom_large_free(void *block, size_t bytes) {
    if (!block) return;
#if defined(__linux__)
    if (bytes >= HUGE_PAGE) {
        munmap(block, mapped_length(bytes));
        return;
    }
#endif
    free(block);
}

/* Heap settings for the large, short-lived activation buffers (see HeapPolicy.swift). */
#include "LoomKernels.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void loom_keep_freed_blocks(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's largest; blocks up to 32 MiB come from the heap */
    mallopt(M_TRIM_THRESHOLD, 0x7FFFFFFF); /* never hand the heap's top back to the kernel */
#endif
}

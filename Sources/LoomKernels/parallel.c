/* Loom's thread pool on the OpenMP runtime that oneDNN uses (libgomp, opened at run time), so that Loom's
 * kernels and oneDNN's products share one set of threads instead of two pools competing for the cores. */
#include "LoomKernels.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>

static void (*gomp_parallel)(void (*)(void *), void *, unsigned, unsigned);
static pthread_once_t gomp_once = PTHREAD_ONCE_INIT;

static void open_gomp(void) {
    void *library = dlopen("libgomp.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) return;
    *(void **)&gomp_parallel = dlsym(library, "GOMP_parallel");
}

int loom_parallel_available(void) {
    pthread_once(&gomp_once, open_gomp);
    return gomp_parallel != NULL;
}

typedef struct {
    int64_t count;
    int chunks;
    _Atomic int next;
    void *context;
    loom_chunk_function body;
} parallel_job;

/* Threads claim chunks in turn, so that one slowed down (woken late, or sharing its core) takes fewer. */
static void run_chunks(void *data) {
    parallel_job *job = data;
    for (int c = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed); c < job->chunks;
         c = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed)) {
        int64_t lo = job->count * c / job->chunks, hi = job->count * (c + 1) / job->chunks;
        if (lo < hi) job->body(job->context, lo, hi);
    }
}

void loom_parallel_run(int64_t count, int chunks, int threads, void *context, loom_chunk_function body) {
    parallel_job job = {count, chunks, 0, context, body};
    gomp_parallel(run_chunks, &job, (unsigned)threads, 0);
}

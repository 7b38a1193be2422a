/* Loom's thread pool on the OpenMP runtime that oneDNN uses (libgomp, opened at run time), so that Loom's
 * kernels and oneDNN's products share one set of threads instead of two pools competing for the cores. */
#include "LoomKernels.h"

#include <dlfcn.h>
#include <pthread.h>

static void (*gomp_parallel)(void (*)(void *), void *, unsigned, unsigned);
static int (*omp_thread_num)(void);
static int (*omp_num_threads)(void);
static pthread_once_t gomp_once = PTHREAD_ONCE_INIT;

static void open_gomp(void) {
    void *library = dlopen("libgomp.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) return;
    *(void **)&omp_thread_num = dlsym(library, "omp_get_thread_num");
    *(void **)&omp_num_threads = dlsym(library, "omp_get_num_threads");
    *(void **)&gomp_parallel = dlsym(library, "GOMP_parallel");
    if (!omp_thread_num || !omp_num_threads) gomp_parallel = NULL;
}

int loom_parallel_available(void) {
    pthread_once(&gomp_once, open_gomp);
    return gomp_parallel != NULL;
}

typedef struct {
    int64_t count;
    int chunks;
    void *context;
    loom_chunk_function body;
} parallel_job;

static void run_chunks(void *data) {
    const parallel_job *job = data;
    int team = omp_num_threads();
    for (int c = omp_thread_num(); c < job->chunks; c += team) {
        int64_t lo = job->count * c / job->chunks, hi = job->count * (c + 1) / job->chunks;
        if (lo < hi) job->body(job->context, lo, hi);
    }
}

void loom_parallel_run(int64_t count, int chunks, void *context, loom_chunk_function body) {
    parallel_job job = {count, chunks, context, body};
    gomp_parallel(run_chunks, &job, (unsigned)chunks, 0);
}

/* bf16 matrix products through oneDNN (C API 2.x) with weights packed once into its blocked layout.
 *
 * libdnnl is opened at run time (dlopen), not linked, so Loom builds and runs without it (every product then takes
 * the f32 path). Its OpenMP threads are the ones Loom's pool runs on (parallel.c): one pool, never two side by side
 * (with a second pool beside it, OpenMP's spinning workers made the vision tower 5× slower on 2 cores). */
#include "LoomKernels.h"
#include "simd.h"

#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

/* The oneDNN entry points Loom uses, resolved from libdnnl.so.2. */
static struct {
    dnnl_status_t (*engine_create)(dnnl_engine_t *, dnnl_engine_kind_t, size_t);
    dnnl_status_t (*stream_create)(dnnl_stream_t *, dnnl_engine_t, unsigned);
    dnnl_status_t (*memory_desc_init_by_tag)(dnnl_memory_desc_t *, int, const dnnl_dims_t, dnnl_data_type_t, dnnl_format_tag_t);
    dnnl_status_t (*matmul_desc_init)(dnnl_matmul_desc_t *, const dnnl_memory_desc_t *, const dnnl_memory_desc_t *,
                                      const dnnl_memory_desc_t *, const dnnl_memory_desc_t *);
    dnnl_status_t (*primitive_desc_create)(dnnl_primitive_desc_t *, const_dnnl_op_desc_t, const_dnnl_primitive_attr_t,
                                           dnnl_engine_t, const_dnnl_primitive_desc_t);
    const dnnl_memory_desc_t *(*primitive_desc_query_md)(const_dnnl_primitive_desc_t, dnnl_query_t, int);
    dnnl_status_t (*primitive_desc_destroy)(dnnl_primitive_desc_t);
    int (*memory_desc_equal)(const dnnl_memory_desc_t *, const dnnl_memory_desc_t *);
    size_t (*memory_desc_get_size)(const dnnl_memory_desc_t *);
    dnnl_status_t (*memory_create)(dnnl_memory_t *, const dnnl_memory_desc_t *, dnnl_engine_t, void *);
    dnnl_status_t (*memory_destroy)(dnnl_memory_t);
    dnnl_status_t (*primitive_create)(dnnl_primitive_t *, const_dnnl_primitive_desc_t);
    dnnl_status_t (*primitive_destroy)(dnnl_primitive_t);
    dnnl_status_t (*primitive_execute)(const_dnnl_primitive_t, dnnl_stream_t, int, const dnnl_exec_arg_t *);
    dnnl_status_t (*stream_wait)(dnnl_stream_t);
    void (*omp_set_num_threads)(int);
} dnnl;

static int open_library(void) {
    void *library = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libdnnl.so", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libdnnl.2.dylib", RTLD_NOW | RTLD_LOCAL);
    if (!library) return 0;
#define RESOLVE(field, symbol) if (!(*(void **)&dnnl.field = dlsym(library, symbol))) return 0
    RESOLVE(engine_create, "dnnl_engine_create");
    RESOLVE(stream_create, "dnnl_stream_create");
    RESOLVE(memory_desc_init_by_tag, "dnnl_memory_desc_init_by_tag");
    RESOLVE(matmul_desc_init, "dnnl_matmul_desc_init");
    RESOLVE(primitive_desc_create, "dnnl_primitive_desc_create");
    RESOLVE(primitive_desc_query_md, "dnnl_primitive_desc_query_md");
    RESOLVE(primitive_desc_destroy, "dnnl_primitive_desc_destroy");
    RESOLVE(memory_desc_equal, "dnnl_memory_desc_equal");
    RESOLVE(memory_desc_get_size, "dnnl_memory_desc_get_size");
    RESOLVE(memory_create, "dnnl_memory_create");
    RESOLVE(memory_destroy, "dnnl_memory_destroy");
    RESOLVE(primitive_create, "dnnl_primitive_create");
    RESOLVE(primitive_destroy, "dnnl_primitive_destroy");
    RESOLVE(primitive_execute, "dnnl_primitive_execute");
    RESOLVE(stream_wait, "dnnl_stream_wait");
#undef RESOLVE
    *(void **)&dnnl.omp_set_num_threads = dlsym(library, "omp_set_num_threads");
    return 1;
}

/* One matmul primitive per shape (and bias or none), shared by every weight of that shape: oneDNN's fastest
 * kernels are generated for fixed shapes, and generating them costs milliseconds. */
typedef struct cached_primitive {
    int64_t m, n, k;
    int has_bias;
    dnnl_primitive_t primitive;
    struct cached_primitive *next;
} cached_primitive;

struct loom_packed_matrix {
    int64_t n, k, k_padded;
    dnnl_memory_desc_t weights_md;
    dnnl_memory_t weights;
    uint16_t *data;
    size_t bytes;
    /* Whether `data` was allocated here (else it belongs to the caller, e.g. a mapped checkpoint). */
    int owns_data;
};

static cached_primitive *primitives;
static pthread_mutex_t primitives_lock = PTHREAD_MUTEX_INITIALIZER;

static dnnl_engine_t shared_engine;
static dnnl_stream_t shared_stream;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static int onednn_threads = 0;

static void create_engine(void) {
    if (!open_library()) return;
    if (dnnl.engine_create(&shared_engine, dnnl_cpu, 0) != dnnl_success) { shared_engine = NULL; return; }
    if (dnnl.stream_create(&shared_stream, shared_engine, dnnl_stream_default_flags) != dnnl_success) shared_stream = NULL;
}

void loom_onednn_set_threads(int threads) { onednn_threads = threads; }

int loom_onednn_ready(void) { return shared_stream != NULL; }

static void apply_threads(void) {
    if (onednn_threads > 0 && dnnl.omp_set_num_threads) dnnl.omp_set_num_threads(onednn_threads);
}

/* The matmul description for `m` rows, weights in `weights_md` (or any layout when NULL). */
static dnnl_status_t describe(dnnl_matmul_desc_t *desc, int64_t m, int64_t n, int64_t k,
                              const dnnl_memory_desc_t *weights_md, int has_bias) {
    dnnl_memory_desc_t src, weights, bias, dst;
    dnnl_dims_t src_dims = {m, k}, weight_dims = {k, n}, bias_dims = {1, n}, dst_dims = {m, n};
    dnnl_status_t s = dnnl.memory_desc_init_by_tag(&src, 2, src_dims, dnnl_bf16, dnnl_ab);
    if (s == dnnl_success && weights_md) weights = *weights_md;
    else if (s == dnnl_success) s = dnnl.memory_desc_init_by_tag(&weights, 2, weight_dims, dnnl_bf16, dnnl_format_tag_any);
    if (s == dnnl_success) s = dnnl.memory_desc_init_by_tag(&bias, 2, bias_dims, dnnl_f32, dnnl_ab);
    if (s == dnnl_success) s = dnnl.memory_desc_init_by_tag(&dst, 2, dst_dims, dnnl_f32, dnnl_ab);
    if (s == dnnl_success) s = dnnl.matmul_desc_init(desc, &src, &weights, has_bias ? &bias : NULL, &dst);
    return s;
}

/* A packed [n, k] weight over `data` (NULL: allocated here), or NULL when oneDNN does not choose BA16a64b2a. */
static loom_packed_matrix *packed_matrix(int64_t n, int64_t k, uint16_t *data) {
    pthread_once(&engine_once, create_engine);
    if (!shared_engine || !shared_stream) return NULL;
    /* The layout oneDNN picks for a typical prefill shape; the decode kernel reads the same layout. */
    dnnl_matmul_desc_t desc;
    if (describe(&desc, 512, n, k, NULL, 0) != dnnl_success) return NULL;
    dnnl_primitive_desc_t pd;
    if (dnnl.primitive_desc_create(&pd, &desc, NULL, shared_engine, NULL) != dnnl_success) return NULL;
    dnnl_memory_desc_t chosen = *dnnl.primitive_desc_query_md(pd, dnnl_query_weights_md, 0), expected;
    dnnl.primitive_desc_destroy(pd);
    dnnl_dims_t dims = {k, n};
    if (dnnl.memory_desc_init_by_tag(&expected, 2, dims, dnnl_bf16, dnnl_BA16a64b2a) != dnnl_success
        || !dnnl.memory_desc_equal(&chosen, &expected)) return NULL;

    loom_packed_matrix *matrix = calloc(1, sizeof *matrix);
    matrix->n = n;
    matrix->k = k;
    matrix->k_padded = (k + LOOM_PACKED_BLOCK_K - 1) / LOOM_PACKED_BLOCK_K * LOOM_PACKED_BLOCK_K;
    matrix->weights_md = expected;
    matrix->bytes = dnnl.memory_desc_get_size(&expected);
    matrix->owns_data = data == NULL;
    matrix->data = data ? data : loom_large_allocate(matrix->bytes);
    if (!matrix->data || dnnl.memory_create(&matrix->weights, &expected, shared_engine, matrix->data) != dnnl_success) {
        loom_packed_destroy(matrix);
        return NULL;
    }
    return matrix;
}

loom_packed_matrix *loom_packed_create(int64_t n, int64_t k) { return packed_matrix(n, k, NULL); }

size_t loom_packed_expected_bytes(int64_t n, int64_t k) {
    const int64_t blocks = (n + LOOM_PACKED_BLOCK_N - 1) / LOOM_PACKED_BLOCK_N;
    const int64_t k_padded = (k + LOOM_PACKED_BLOCK_K - 1) / LOOM_PACKED_BLOCK_K * LOOM_PACKED_BLOCK_K;
    return (size_t)(blocks * LOOM_PACKED_BLOCK_N * k_padded) * 2;
}

loom_packed_matrix *loom_packed_wrap(int64_t n, int64_t k, const uint16_t *data, size_t bytes) {
    if (!data) return NULL;
    /* oneDNN's size of the layout is what its products read: the elements must hold exactly that many bytes. */
    loom_packed_matrix *matrix = packed_matrix(n, k, (uint16_t *)data);
    if (matrix && matrix->bytes != bytes) {
        loom_packed_destroy(matrix);
        return NULL;
    }
    return matrix;
}

void loom_packed_fill(loom_packed_matrix *matrix, const void *weights, int source_is_f32, int64_t block_begin,
                      int64_t block_end) {
    const int64_t k = matrix->k, n = matrix->n, pairs = matrix->k_padded / 2;
    if (!source_is_f32 && k % 2 == 0) {
        /* bf16 rows of even length: move whole (k, k+1) pairs as 32-bit words, row by row. */
        for (int64_t b = block_begin; b < block_end; b++) {
            uint32_t *out = (uint32_t *)(matrix->data + b * pairs * 128);
            for (int64_t j = 0; j < LOOM_PACKED_BLOCK_N; j++) {
                const int64_t row = b * LOOM_PACKED_BLOCK_N + j;
                const uint32_t *src = (const uint32_t *)((const uint16_t *)weights + row * k);
                int64_t p = 0;
                if (row < n) for (; p < k / 2; p++) out[p * LOOM_PACKED_BLOCK_N + j] = src[p];
                for (; p < pairs; p++) out[p * LOOM_PACKED_BLOCK_N + j] = 0;
            }
        }
        return;
    }
    for (int64_t b = block_begin; b < block_end; b++) {
        uint16_t *out = matrix->data + b * pairs * 128;
        const int64_t first = b * LOOM_PACKED_BLOCK_N;
        const int64_t live = n - first < LOOM_PACKED_BLOCK_N ? n - first : LOOM_PACKED_BLOCK_N;
        for (int64_t p = 0; p < pairs; p++, out += 128) {
            const int64_t i = 2 * p;
            for (int64_t j = 0; j < LOOM_PACKED_BLOCK_N; j++) {
                uint16_t even = 0, odd = 0;
                if (j < live) {
                    if (source_is_f32) {
                        const float *src = (const float *)weights + (first + j) * k;
                        if (i < k) even = loom_f32_to_bf16_scalar(src[i]);
                        if (i + 1 < k) odd = loom_f32_to_bf16_scalar(src[i + 1]);
                    } else {
                        const uint16_t *src = (const uint16_t *)weights + (first + j) * k;
                        if (i < k) even = src[i];
                        if (i + 1 < k) odd = src[i + 1];
                    }
                }
                out[2 * j] = even;
                out[2 * j + 1] = odd;
            }
        }
    }
}

#if LOOM_X86
/* One row's groups of 32 as bf16 pairs (vectorised dequantisation), then 16 strided stores per group. */
LOOM_AVX512 static void fill_row_quantized_avx512(uint32_t *out, int bits, const void *q, const uint16_t *scales,
                                                  int64_t q_padded, int64_t r, int64_t live_groups) {
    const int64_t groups = q_padded / 32;
    uint32_t pairs[16] __attribute__((aligned(64)));
    for (int64_t g = 0; g < live_groups; g++) {
        const __m512 scale = _mm512_set1_ps(_cvtsh_ss(scales[r * groups + g]));
        __m512i lo, hi;
        if (bits == 8) {
            const int8_t *v = (const int8_t *)q + r * q_padded + g * 32;
            lo = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)v));
            hi = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(v + 16)));
        } else {
            const __m128i bytes = _mm_loadu_si128((const __m128i *)((const uint8_t *)q + r * (q_padded / 2) + g * 16));
            const __m128i nibble = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
            lo = _mm512_cvtepi8_epi32(_mm_sub_epi8(_mm_and_si128(bytes, nibble), eight));
            hi = _mm512_cvtepi8_epi32(_mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(bytes, 4), nibble), eight));
        }
        __m512 a = _mm512_mul_ps(_mm512_cvtepi32_ps(lo), scale), b = _mm512_mul_ps(_mm512_cvtepi32_ps(hi), scale);
        _mm512_store_si512(pairs, (__m512i)_mm512_cvtne2ps_pbh(b, a));
        for (int i = 0; i < 16; i++) out[(g * 16 + i) * LOOM_PACKED_BLOCK_N] = pairs[i];
    }
}
#endif

void loom_packed_fill_quantized(loom_packed_matrix *matrix, int bits, const void *q, const uint16_t *scales,
                                int64_t q_padded, int64_t block_begin, int64_t block_end) {
    const int64_t k = matrix->k, n = matrix->n, pairs = matrix->k_padded / 2, groups = q_padded / 32;
    /* Pairs (2p, 2p+1) holding columns below k; they never straddle a group of 32, and columns past k are stored
     * as zeros, so whole groups may be written. */
    const int64_t live = (k + 1) / 2 < pairs ? (k + 1) / 2 : pairs;
#if LOOM_X86
    const int fast = loom_cpu_has_avx512_bf16();
#endif
    for (int64_t b = block_begin; b < block_end; b++) {
        uint32_t *out = (uint32_t *)(matrix->data + b * pairs * 128);
        for (int64_t j = 0; j < LOOM_PACKED_BLOCK_N; j++) {
            const int64_t r = b * LOOM_PACKED_BLOCK_N + j;
            int64_t p = 0;
#if LOOM_X86
            if (r < n && fast) {
                const int64_t live_groups = (live + 15) / 16;
                fill_row_quantized_avx512(out + j, bits, q, scales, q_padded, r, live_groups);
                p = live_groups * 16;
            } else
#endif
            if (r < n) {
                for (int64_t g = 0; g < groups && p < live; g++) {
                    const float scale = loom_f16_to_f32(scales[r * groups + g]);
                    for (int i = 0; i < 16 && p < live; i++, p++) {
                        float even, odd;
                        if (bits == 8) {
                            const int8_t *v = (const int8_t *)q + r * q_padded + 2 * p;
                            even = v[0] * scale;
                            odd = v[1] * scale;
                        } else {
                            const uint8_t *v = (const uint8_t *)q + r * (q_padded / 2) + g * 16;
                            const int e = 2 * i, o = 2 * i + 1;
                            even = ((e < 16 ? v[e] & 0xF : v[e - 16] >> 4) - 8) * scale;
                            odd = ((o < 16 ? v[o] & 0xF : v[o - 16] >> 4) - 8) * scale;
                        }
                        out[p * LOOM_PACKED_BLOCK_N + j] = (uint32_t)loom_f32_to_bf16_scalar(even)
                                                           | ((uint32_t)loom_f32_to_bf16_scalar(odd) << 16);
                    }
                }
            }
            for (; p < pairs; p++) out[p * LOOM_PACKED_BLOCK_N + j] = 0;
        }
    }
}

void loom_packed_destroy(loom_packed_matrix *matrix) {
    if (!matrix) return;
    if (matrix->weights) dnnl.memory_destroy(matrix->weights);
    if (matrix->owns_data) loom_large_free(matrix->data, matrix->bytes);
    free(matrix);
}

const uint16_t *loom_packed_data(const loom_packed_matrix *matrix) { return matrix->data; }

int64_t loom_packed_k_padded(const loom_packed_matrix *matrix) { return matrix->k_padded; }

size_t loom_packed_byte_count(const loom_packed_matrix *matrix) { return dnnl.memory_desc_get_size(&matrix->weights_md); }

static dnnl_primitive_t primitive_for(loom_packed_matrix *matrix, int64_t m, int has_bias) {
    pthread_mutex_lock(&primitives_lock);
    cached_primitive *c = primitives;
    while (c && !(c->m == m && c->n == matrix->n && c->k == matrix->k && c->has_bias == has_bias)) c = c->next;
    if (!c) {
        dnnl_matmul_desc_t desc;
        dnnl_primitive_desc_t pd = NULL;
        dnnl_primitive_t primitive = NULL;
        if (describe(&desc, m, matrix->n, matrix->k, &matrix->weights_md, has_bias) == dnnl_success
            && dnnl.primitive_desc_create(&pd, &desc, NULL, shared_engine, NULL) == dnnl_success
            && dnnl.primitive_create(&primitive, pd) == dnnl_success) {
            c = calloc(1, sizeof *c);
            c->m = m;
            c->n = matrix->n;
            c->k = matrix->k;
            c->has_bias = has_bias;
            c->primitive = primitive;
            c->next = primitives;
            primitives = c;
        }
        if (pd) dnnl.primitive_desc_destroy(pd);
    }
    pthread_mutex_unlock(&primitives_lock);
    return c ? c->primitive : NULL;
}

int loom_packed_matmul(loom_packed_matrix *matrix, const uint16_t *x, int64_t m, const float *bias, float *y) {
    apply_threads();
    dnnl_primitive_t primitive = primitive_for(matrix, m, bias != NULL);
    if (!primitive) return -1;
    dnnl_memory_desc_t src_md, dst_md, bias_md;
    dnnl_dims_t src_dims = {m, matrix->k}, dst_dims = {m, matrix->n}, bias_dims = {1, matrix->n};
    dnnl_memory_t src = NULL, dst = NULL, bias_memory = NULL;
    int ok = dnnl.memory_desc_init_by_tag(&src_md, 2, src_dims, dnnl_bf16, dnnl_ab) == dnnl_success
        && dnnl.memory_desc_init_by_tag(&dst_md, 2, dst_dims, dnnl_f32, dnnl_ab) == dnnl_success
        && dnnl.memory_desc_init_by_tag(&bias_md, 2, bias_dims, dnnl_f32, dnnl_ab) == dnnl_success
        && dnnl.memory_create(&src, &src_md, shared_engine, (void *)x) == dnnl_success
        && dnnl.memory_create(&dst, &dst_md, shared_engine, y) == dnnl_success
        && (!bias || dnnl.memory_create(&bias_memory, &bias_md, shared_engine, (void *)bias) == dnnl_success);
    if (ok) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, matrix->weights}, {DNNL_ARG_DST, dst},
                                   {DNNL_ARG_BIAS, bias_memory}};
        ok = dnnl.primitive_execute(primitive, shared_stream, bias ? 4 : 3, args) == dnnl_success
            && dnnl.stream_wait(shared_stream) == dnnl_success;
    }
    if (src) dnnl.memory_destroy(src);
    if (dst) dnnl.memory_destroy(dst);
    if (bias_memory) dnnl.memory_destroy(bias_memory);
    return ok ? 0 : -1;
}

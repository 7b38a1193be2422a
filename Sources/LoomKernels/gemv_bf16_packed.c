/* Single-row products against weights in the packed bf16 layout (oneDNN BA16a64b2a), streamed block by block. */
#include "LoomKernels.h"
#include "simd.h"

#if LOOM_X86
LOOM_AVX512 static void gemv_avx512(const uint16_t *packed, int64_t k_padded, int64_t n, int64_t block_begin,
                                    int64_t block_end, const uint16_t *x, float *y) {
    const int64_t pairs = k_padded / 2;
    const uint32_t *xp = (const uint32_t *)x;
    for (int64_t b = block_begin; b < block_end; b++) {
        const uint16_t *w = packed + b * pairs * 128;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps(), c3 = _mm512_setzero_ps();
        int64_t p = 0;
        for (; p + 2 <= pairs; p += 2, w += 256) {
            __m512bh x0 = (__m512bh)_mm512_set1_epi32((int)xp[p]);
            __m512bh x1 = (__m512bh)_mm512_set1_epi32((int)xp[p + 1]);
            a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_loadu_si512(w), x0);
            a1 = _mm512_dpbf16_ps(a1, (__m512bh)_mm512_loadu_si512(w + 32), x0);
            a2 = _mm512_dpbf16_ps(a2, (__m512bh)_mm512_loadu_si512(w + 64), x0);
            a3 = _mm512_dpbf16_ps(a3, (__m512bh)_mm512_loadu_si512(w + 96), x0);
            c0 = _mm512_dpbf16_ps(c0, (__m512bh)_mm512_loadu_si512(w + 128), x1);
            c1 = _mm512_dpbf16_ps(c1, (__m512bh)_mm512_loadu_si512(w + 160), x1);
            c2 = _mm512_dpbf16_ps(c2, (__m512bh)_mm512_loadu_si512(w + 192), x1);
            c3 = _mm512_dpbf16_ps(c3, (__m512bh)_mm512_loadu_si512(w + 224), x1);
        }
        for (; p < pairs; p++, w += 128) {
            __m512bh x0 = (__m512bh)_mm512_set1_epi32((int)xp[p]);
            a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_loadu_si512(w), x0);
            a1 = _mm512_dpbf16_ps(a1, (__m512bh)_mm512_loadu_si512(w + 32), x0);
            a2 = _mm512_dpbf16_ps(a2, (__m512bh)_mm512_loadu_si512(w + 64), x0);
            a3 = _mm512_dpbf16_ps(a3, (__m512bh)_mm512_loadu_si512(w + 96), x0);
        }
        __m512 sums[4] = {_mm512_add_ps(a0, c0), _mm512_add_ps(a1, c1), _mm512_add_ps(a2, c2), _mm512_add_ps(a3, c3)};
        int64_t column = b * LOOM_PACKED_BLOCK_N;
        for (int part = 0; part < 4; part++, column += 16) {
            int64_t left = n - column;
            if (left >= 16) _mm512_storeu_ps(y + column, sums[part]);
            else if (left > 0) _mm512_mask_storeu_ps(y + column, (__mmask16)((1u << left) - 1), sums[part]);
        }
    }
}
#endif

static void gemv_portable(const uint16_t *packed, int64_t k_padded, int64_t n, int64_t block_begin, int64_t block_end,
                          const uint16_t *x, float *y) {
    const int64_t pairs = k_padded / 2;
    for (int64_t b = block_begin; b < block_end; b++) {
        float acc[LOOM_PACKED_BLOCK_N] = {0};
        const uint16_t *w = packed + b * pairs * 128;
        for (int64_t p = 0; p < pairs; p++, w += 128) {
            float x0 = loom_bf16_to_f32_scalar(x[2 * p]), x1 = loom_bf16_to_f32_scalar(x[2 * p + 1]);
            for (int j = 0; j < LOOM_PACKED_BLOCK_N; j++)
                acc[j] += loom_bf16_to_f32_scalar(w[2 * j]) * x0 + loom_bf16_to_f32_scalar(w[2 * j + 1]) * x1;
        }
        for (int j = 0; j < LOOM_PACKED_BLOCK_N; j++) {
            int64_t column = b * LOOM_PACKED_BLOCK_N + j;
            if (column < n) y[column] = acc[j];
        }
    }
}

void loom_gemv_bf16_packed(const uint16_t *packed, int64_t k_padded, int64_t n, int64_t block_begin,
                           int64_t block_end, const uint16_t *x, float *y) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        gemv_avx512(packed, k_padded, n, block_begin, block_end, x, y);
        return;
    }
#endif
    gemv_portable(packed, k_padded, n, block_begin, block_end, x, y);
}

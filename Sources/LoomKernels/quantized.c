/* Weight-only group quantisation (groups of 32 along each row, one f16 scale per group): quantise, dequantise,
 * and single-row products that stream the int8 / int4 weights with f32 activations. */
#include "LoomKernels.h"
#include "simd.h"

#include <math.h>

#define G LOOM_QUANT_GROUP

/* ---- Quantisation (load time) ---- */

static float group_scale(const float *w, int64_t count, float levels) {
    float largest = 0;
    for (int64_t i = 0; i < count; i++) largest = fmaxf(largest, fabsf(w[i]));
    return largest / levels;
}

void loom_quantize_q8(const float *w, int64_t rows, int64_t k, int64_t k_padded, int8_t *q, uint16_t *scales) {
    const int64_t groups = k_padded / G;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t g = 0; g < groups; g++) {
            int64_t start = g * G, count = k - start < G ? (k - start > 0 ? k - start : 0) : G;
            uint16_t stored = loom_f32_to_f16(group_scale(w + r * k + start, count, 127));
            float scale = loom_f16_to_f32(stored), inverse = scale > 0 ? 1 / scale : 0;
            scales[r * groups + g] = stored;
            for (int64_t i = 0; i < G; i++) {
                float v = i < count ? nearbyintf(w[r * k + start + i] * inverse) : 0;
                q[r * k_padded + start + i] = (int8_t)fmaxf(-127, fminf(127, v));
            }
        }
    }
}

void loom_quantize_q4(const float *w, int64_t rows, int64_t k, int64_t k_padded, uint8_t *q, uint16_t *scales) {
    const int64_t groups = k_padded / G;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t g = 0; g < groups; g++) {
            int64_t start = g * G, count = k - start < G ? (k - start > 0 ? k - start : 0) : G;
            uint16_t stored = loom_f32_to_f16(group_scale(w + r * k + start, count, 7));
            float scale = loom_f16_to_f32(stored), inverse = scale > 0 ? 1 / scale : 0;
            scales[r * groups + g] = stored;
            uint8_t nibbles[G];
            for (int64_t i = 0; i < G; i++) {
                float v = i < count ? nearbyintf(w[r * k + start + i] * inverse) : 0;
                nibbles[i] = (uint8_t)((int)fmaxf(-7, fminf(7, v)) + 8);
            }
            uint8_t *out = q + r * (k_padded / 2) + g * (G / 2);
            for (int i = 0; i < G / 2; i++) out[i] = (uint8_t)(nibbles[i] | (nibbles[i + G / 2] << 4));
        }
    }
}

void loom_dequantize_q8(const int8_t *q, const uint16_t *scales, int64_t k, int64_t k_padded, int64_t row_begin,
                        int64_t row_end, float *out) {
    const int64_t groups = k_padded / G;
    for (int64_t r = row_begin; r < row_end; r++) {
        float *row = out + (r - row_begin) * k;
        for (int64_t i = 0; i < k; i++) row[i] = q[r * k_padded + i] * loom_f16_to_f32(scales[r * groups + i / G]);
    }
}

void loom_dequantize_q4(const uint8_t *q, const uint16_t *scales, int64_t k, int64_t k_padded, int64_t row_begin,
                        int64_t row_end, float *out) {
    const int64_t groups = k_padded / G;
    for (int64_t r = row_begin; r < row_end; r++) {
        float *row = out + (r - row_begin) * k;
        for (int64_t i = 0; i < k; i++) {
            int64_t g = i / G, j = i % G;
            uint8_t byte = q[r * (k_padded / 2) + g * (G / 2) + j % (G / 2)];
            int value = (j < G / 2 ? byte & 0xF : byte >> 4) - 8;
            row[i] = value * loom_f16_to_f32(scales[r * groups + g]);
        }
    }
}

/* ---- Single-row products (decode) ---- */


#if LOOM_X86
LOOM_AVX512 static void gemv_q8_avx512(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                                       int64_t row_end, const float *x, float *y) {
    const int64_t groups = k_padded / G;
    for (int64_t r = row_begin; r < row_end; r++) {
        const int8_t *w = q + r * k_padded;
        const uint16_t *s = scales + r * groups;
        __m512 t0 = _mm512_setzero_ps(), t1 = _mm512_setzero_ps();
        int64_t g = 0;
        for (; g + 2 <= groups; g += 2) {
            const int8_t *w0 = w + g * G;
            const float *x0 = x + g * G;
            __m512 d0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)w0))),
                                      _mm512_loadu_ps(x0));
            __m512 d1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(w0 + 32)))),
                                      _mm512_loadu_ps(x0 + 32));
            d0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(w0 + 16)))),
                                 _mm512_loadu_ps(x0 + 16), d0);
            d1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(w0 + 48)))),
                                 _mm512_loadu_ps(x0 + 48), d1);
            t0 = _mm512_fmadd_ps(d0, _mm512_set1_ps(_cvtsh_ss(s[g])), t0);
            t1 = _mm512_fmadd_ps(d1, _mm512_set1_ps(_cvtsh_ss(s[g + 1])), t1);
        }
        for (; g < groups; g++) {
            const int8_t *w0 = w + g * G;
            const float *x0 = x + g * G;
            __m512 d0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)w0))),
                                      _mm512_loadu_ps(x0));
            d0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(w0 + 16)))),
                                 _mm512_loadu_ps(x0 + 16), d0);
            t0 = _mm512_fmadd_ps(d0, _mm512_set1_ps(_cvtsh_ss(s[g])), t0);
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(t0, t1));
    }
}

LOOM_AVX512 static void gemv_q4_avx512(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                                       int64_t row_end, const uint16_t *x, float *y) {
    /* Nibbles become bf16 values n − 8 through a 16-entry table (vpermw), then one vdpbf16ps per group of 32. */
    const int64_t groups = k_padded / G;
    uint16_t entries[32];
    for (int v = 0; v < 32; v++) entries[v] = loom_f32_to_bf16_scalar((float)((v & 15) - 8));
    const __m512i table = _mm512_loadu_si512(entries);
    const __m256i low = _mm256_set1_epi16(0xF);
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *w = q + r * (k_padded / 2);
        const uint16_t *s = scales + r * groups;
        __m512 t0 = _mm512_setzero_ps(), t1 = _mm512_setzero_ps();
        int64_t g = 0;
        for (; g + 2 <= groups; g += 2) {
            __m256i b0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(w + g * 16)));
            __m256i b1 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(w + g * 16 + 16)));
            __m512i i0 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(b0, low)), _mm256_srli_epi16(b0, 4), 1);
            __m512i i1 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(b1, low)), _mm256_srli_epi16(b1, 4), 1);
            __m512 d0 = _mm512_dpbf16_ps(_mm512_setzero_ps(), (__m512bh)_mm512_permutexvar_epi16(i0, table),
                                         (__m512bh)_mm512_loadu_si512(x + g * G));
            __m512 d1 = _mm512_dpbf16_ps(_mm512_setzero_ps(), (__m512bh)_mm512_permutexvar_epi16(i1, table),
                                         (__m512bh)_mm512_loadu_si512(x + g * G + G));
            t0 = _mm512_fmadd_ps(d0, _mm512_set1_ps(_cvtsh_ss(s[g])), t0);
            t1 = _mm512_fmadd_ps(d1, _mm512_set1_ps(_cvtsh_ss(s[g + 1])), t1);
        }
        for (; g < groups; g++) {
            __m256i b0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(w + g * 16)));
            __m512i i0 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(b0, low)), _mm256_srli_epi16(b0, 4), 1);
            __m512 d0 = _mm512_dpbf16_ps(_mm512_setzero_ps(), (__m512bh)_mm512_permutexvar_epi16(i0, table),
                                         (__m512bh)_mm512_loadu_si512(x + g * G));
            t0 = _mm512_fmadd_ps(d0, _mm512_set1_ps(_cvtsh_ss(s[g])), t0);
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(t0, t1));
    }
}
#endif

static void gemv_q8_portable(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                             int64_t row_end, const float *x, float *y) {
    const int64_t groups = k_padded / G;
    for (int64_t r = row_begin; r < row_end; r++) {
        float total = 0;
        for (int64_t g = 0; g < groups; g++) {
            float dot = 0;
            for (int i = 0; i < G; i++) dot += q[r * k_padded + g * G + i] * x[g * G + i];
            total += dot * loom_f16_to_f32(scales[r * groups + g]);
        }
        y[r] = total;
    }
}

static void gemv_q4_portable(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                             int64_t row_end, const uint16_t *x, float *y) {
    const int64_t groups = k_padded / G;
    for (int64_t r = row_begin; r < row_end; r++) {
        float total = 0;
        for (int64_t g = 0; g < groups; g++) {
            const uint8_t *bytes = q + r * (k_padded / 2) + g * (G / 2);
            float dot = 0;
            for (int i = 0; i < G / 2; i++)
                dot += ((bytes[i] & 0xF) - 8) * loom_bf16_to_f32_scalar(x[g * G + i])
                     + ((bytes[i] >> 4) - 8) * loom_bf16_to_f32_scalar(x[g * G + i + G / 2]);
            total += dot * loom_f16_to_f32(scales[r * groups + g]);
        }
        y[r] = total;
    }
}

void loom_gemv_q8(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin, int64_t row_end,
                  const float *x, float *y) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        gemv_q8_avx512(q, scales, k_padded, row_begin, row_end, x, y);
        return;
    }
#endif
    gemv_q8_portable(q, scales, k_padded, row_begin, row_end, x, y);
}

void loom_gemv_q4(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin, int64_t row_end,
                  const uint16_t *x, float *y) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        gemv_q4_avx512(q, scales, k_padded, row_begin, row_end, x, y);
        return;
    }
#endif
    gemv_q4_portable(q, scales, k_padded, row_begin, row_end, x, y);
}

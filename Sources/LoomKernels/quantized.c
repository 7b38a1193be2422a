/* Weight-only group quantisation (groups of 32 along each row, one f16 scale per group): quantise, dequantise,
 * and single-row products that stream the int8 / int4 weights against an int8-quantised activation row. */
#include "LoomKernels.h"
#include "simd.h"

#include <math.h>
#include <string.h>

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

/* ---- Single-row products (decode) ----
 * The activation row is quantised once per product to int8 in the same groups of 32 (f32 scale max|x|/127), and
 * every group's integer dot product runs on vpdpbusd (u8 × s8): for int8 weights as |x| × (w · sign x), for int4
 * weights as (w + 8) × x minus 8·Σx, which is folded into the accumulator's start value. */

enum { Q8_CHUNK = 64, Q4_CHUNK = 128 };

static int64_t q8_chunks(int64_t k_padded) { return (k_padded + Q8_CHUNK - 1) / Q8_CHUNK; }
static int64_t q4_chunks(int64_t k_padded) { return (k_padded + Q4_CHUNK - 1) / Q4_CHUNK; }

/* Scratch layouts (64-byte aligned pieces):
 * int8: |x| bytes [chunks·64], sign masks u64 [chunks], x scales f32 [chunks·2].
 * int4: x low halves [chunks·64], x high halves [chunks·64], start values i32 [chunks·16], x scales f32 [chunks·4]. */
size_t loom_activation_bytes(int bits, int64_t k_padded) {
    if (bits == 8) return (size_t)q8_chunks(k_padded) * (64 + 8 + 8);
    return (size_t)q4_chunks(k_padded) * (64 + 64 + 64 + 16);
}

/* x (`k` floats, zeros up to `k_padded`) in groups of 32 → int8 values and one f32 scale per group (zero groups
 * get scale 0). */
static void quantize_activation(const float *x, int64_t k, int64_t k_padded, int8_t *q, float *scales) {
    for (int64_t g = 0; g < k_padded / G; g++) {
        const int live = k - g * G < G ? (int)(k - g * G) : G;
        float largest = 0;
        for (int i = 0; i < live; i++) largest = fmaxf(largest, fabsf(x[g * G + i]));
        float scale = largest / 127, inverse = scale > 0 ? 1 / scale : 0;
        scales[g] = scale;
        for (int i = 0; i < G; i++) q[g * G + i] = i < live ? (int8_t)nearbyintf(x[g * G + i] * inverse) : 0;
    }
}

static void prepare_activation_portable(int bits, const float *x, int64_t k, int64_t k_padded, void *scratch) {
    const int64_t groups = k_padded / G;
    int8_t q[k_padded + Q4_CHUNK];
    float sx[groups + 4];
    quantize_activation(x, k, k_padded, q, sx);
    if (bits == 8) {
        const int64_t chunks = q8_chunks(k_padded);
        uint8_t *magnitude = scratch;
        uint64_t *negative = (uint64_t *)(magnitude + chunks * 64);
        float *scales = (float *)(negative + chunks);
        for (int64_t c = 0; c < chunks; c++) {
            uint64_t mask = 0;
            for (int i = 0; i < 64; i++) {
                int64_t at = c * 64 + i;
                int v = at < k_padded ? q[at] : 0;
                magnitude[at] = (uint8_t)(v < 0 ? -v : v);
                if (v < 0) mask |= 1ull << i;
            }
            negative[c] = mask;
            scales[2 * c] = sx[2 * c];
            scales[2 * c + 1] = 2 * c + 1 < groups ? sx[2 * c + 1] : 0;
        }
        return;
    }
    const int64_t chunks = q4_chunks(k_padded);
    int8_t *low = scratch, *high = low + chunks * 64;
    int32_t *start = (int32_t *)(high + chunks * 64);
    float *scales = (float *)(start + chunks * 16);
    for (int64_t c = 0; c < chunks; c++) {
        for (int part = 0; part < 4; part++) {
            int64_t g = c * 4 + part;
            for (int i = 0; i < 16; i++) {
                low[c * 64 + part * 16 + i] = g < groups ? q[g * G + i] : 0;
                high[c * 64 + part * 16 + i] = g < groups ? q[g * G + 16 + i] : 0;
            }
            scales[c * 4 + part] = g < groups ? sx[g] : 0;
        }
        for (int lane = 0; lane < 16; lane++) {
            int32_t sum = 0;
            for (int b = 0; b < 4; b++) sum += low[c * 64 + lane * 4 + b] + high[c * 64 + lane * 4 + b];
            start[c * 16 + lane] = -8 * sum;
        }
    }
}

#if LOOM_X86
/* The same values as the portable preparation: |x| maxima, scale max/127, x·(1/scale) rounded to nearest even. */
LOOM_AVX512 static void prepare_activation_avx512(int bits, const float *x, int64_t k, int64_t k_padded,
                                                  void *scratch) {
    const int64_t groups = k_padded / G;
    const int64_t chunks = bits == 8 ? q8_chunks(k_padded) : q4_chunks(k_padded);
    memset(scratch, 0, loom_activation_bytes(bits, k_padded));
    uint8_t *magnitude = scratch;
    uint64_t *negative = (uint64_t *)(magnitude + chunks * 64);
    float *scales8 = (float *)(negative + chunks);
    int8_t *low = scratch, *high = low + chunks * 64;
    int32_t *start = (int32_t *)(high + chunks * 64);
    float *scales4 = (float *)(start + chunks * 16);
    for (int64_t g = 0; g < groups; g++) {
        const int64_t live = k - g * G;
        const __mmask16 m0 = live >= 16 ? 0xFFFF : live > 0 ? (__mmask16)((1u << live) - 1) : 0;
        const __mmask16 m1 = live >= 32 ? 0xFFFF : live > 16 ? (__mmask16)((1u << (live - 16)) - 1) : 0;
        const __m512 v0 = _mm512_maskz_loadu_ps(m0, x + g * G), v1 = _mm512_maskz_loadu_ps(m1, x + g * G + 16);
        const float largest = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        const float scale = largest / 127, inverse = scale > 0 ? 1 / scale : 0;
        const __m512 iv = _mm512_set1_ps(inverse);
        const __m128i b0 = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(v0, iv)));
        const __m128i b1 = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(v1, iv)));
        if (bits == 8) {
            uint8_t *out = magnitude + g * G;
            _mm_storeu_si128((__m128i *)out, _mm_abs_epi8(b0));
            _mm_storeu_si128((__m128i *)(out + 16), _mm_abs_epi8(b1));
            const uint64_t signs = (uint64_t)_mm_movepi8_mask(b0) | ((uint64_t)_mm_movepi8_mask(b1) << 16);
            negative[g / 2] |= signs << (32 * (g % 2));
            scales8[g] = scale;
        } else {
            const int64_t c = g / 4, part = g % 4;
            _mm_storeu_si128((__m128i *)(low + c * 64 + part * 16), b0);
            _mm_storeu_si128((__m128i *)(high + c * 64 + part * 16), b1);
            scales4[g] = scale;
        }
    }
    if (bits == 4) {
        const __m512i ones = _mm512_set1_epi8(1), zero = _mm512_setzero_si512();
        for (int64_t c = 0; c < chunks; c++) {
            __m512i sum = _mm512_dpbusd_epi32(zero, ones, _mm512_load_si512(low + c * 64));
            sum = _mm512_dpbusd_epi32(sum, ones, _mm512_load_si512(high + c * 64));
            _mm512_store_si512(start + c * 16, _mm512_mullo_epi32(sum, _mm512_set1_epi32(-8)));
        }
    }
}
#endif

void loom_prepare_activation(int bits, const float *x, int64_t k, int64_t k_padded, void *scratch) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        prepare_activation_avx512(bits, x, k, k_padded, scratch);
        return;
    }
#endif
    prepare_activation_portable(bits, x, k, k_padded, scratch);
}

#if LOOM_X86
LOOM_AVX512 static void gemv_q8_avx512(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                                       int64_t row_end, const void *prepared, float *y) {
    const int64_t groups = k_padded / G, chunks = q8_chunks(k_padded);
    const uint8_t *magnitude = prepared;
    const uint64_t *negative = (const uint64_t *)(magnitude + chunks * 64);
    const float *sx = (const float *)(negative + chunks);
    const __m512i halves = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m512i zero = _mm512_setzero_si512();
    const __mmask64 tail = (k_padded % 64) ? 0xFFFFFFFFull : ~0ull;
    for (int64_t r = row_begin; r < row_end; r++) {
        const int8_t *w = q + r * k_padded;
        const uint16_t *s = scales + r * groups;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        for (int64_t c = 0; c < chunks; c++) {
            const __mmask64 live = c == chunks - 1 ? tail : ~0ull;
            __m512i wv = _mm512_maskz_loadu_epi8(live, w + c * 64);
            wv = _mm512_mask_sub_epi8(wv, negative[c], zero, wv);
            __m512i d = _mm512_dpbusd_epi32(zero, _mm512_load_si512(magnitude + c * 64), wv);
            uint32_t pair = (uint32_t)s[2 * c] | (2 * c + 1 < groups ? (uint32_t)s[2 * c + 1] << 16 : 0);
            __m128 ws = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128((int)pair)), _mm_castpd_ps(_mm_load_sd((const double *)(sx + 2 * c))));
            __m512 lanes = _mm512_permutexvar_ps(halves, _mm512_castps128_ps512(ws));
            if (c & 1) a1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), lanes, a1);
            else a0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), lanes, a0);
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
    }
}

LOOM_AVX512 static void gemv_q4_avx512(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                                       int64_t row_end, const void *prepared, float *y) {
    const int64_t groups = k_padded / G, chunks = q4_chunks(k_padded), row_bytes = k_padded / 2;
    const int8_t *low = prepared, *high = low + chunks * 64;
    const int32_t *start = (const int32_t *)(high + chunks * 64);
    const float *sx = (const float *)(start + chunks * 16);
    const __m512i quarters = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    const int64_t tail_bytes = row_bytes - (chunks - 1) * 64, tail_groups = groups - (chunks - 1) * 4;
    const __mmask64 tail = tail_bytes >= 64 ? ~0ull : (1ull << tail_bytes) - 1;
    const __mmask8 tail_scales = (__mmask8)((1u << tail_groups) - 1);
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *w = q + r * row_bytes;
        const uint16_t *s = scales + r * groups;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        for (int64_t c = 0; c < chunks; c++) {
            const int last = c == chunks - 1;
            __m512i bytes = _mm512_maskz_loadu_epi8(last ? tail : ~0ull, w + c * 64);
            __m512i lo = _mm512_and_si512(bytes, nibble);
            __m512i hi = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), nibble);
            __m512i d = _mm512_dpbusd_epi32(_mm512_load_si512(start + c * 16), lo, _mm512_load_si512(low + c * 64));
            d = _mm512_dpbusd_epi32(d, hi, _mm512_load_si512(high + c * 64));
            __m128i raw = _mm_maskz_loadu_epi16(last ? tail_scales : 0xF, s + c * 4);
            __m128 ws = _mm_mul_ps(_mm_cvtph_ps(raw), _mm_loadu_ps(sx + c * 4));
            __m512 lanes = _mm512_permutexvar_ps(quarters, _mm512_castps128_ps512(ws));
            if (c & 1) a1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), lanes, a1);
            else a0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), lanes, a0);
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
    }
}
#endif

/* Portable versions compute exactly the same integer dot products per group. */
static void gemv_q8_portable(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                             int64_t row_end, const void *prepared, float *y) {
    const int64_t groups = k_padded / G, chunks = q8_chunks(k_padded);
    const uint8_t *magnitude = prepared;
    const uint64_t *negative = (const uint64_t *)(magnitude + chunks * 64);
    const float *sx = (const float *)(negative + chunks);
    for (int64_t r = row_begin; r < row_end; r++) {
        float total = 0;
        for (int64_t g = 0; g < groups; g++) {
            int32_t dot = 0;
            for (int i = 0; i < G; i++) {
                int64_t at = g * G + i;
                int x = (negative[at / 64] >> (at % 64)) & 1 ? -magnitude[at] : magnitude[at];
                dot += x * q[r * k_padded + at];
            }
            total += (float)dot * (loom_f16_to_f32(scales[r * groups + g]) * sx[g]);
        }
        y[r] = total;
    }
}

static void gemv_q4_portable(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                             int64_t row_end, const void *prepared, float *y) {
    const int64_t groups = k_padded / G, chunks = q4_chunks(k_padded);
    const int8_t *low = prepared, *high = low + chunks * 64;
    const float *sx = (const float *)(high + chunks * 64 + chunks * 64);
    for (int64_t r = row_begin; r < row_end; r++) {
        float total = 0;
        for (int64_t g = 0; g < groups; g++) {
            const uint8_t *bytes = q + r * (k_padded / 2) + g * (G / 2);
            const int8_t *xl = low + (g / 4) * 64 + (g % 4) * 16, *xh = high + (g / 4) * 64 + (g % 4) * 16;
            int32_t dot = 0;
            for (int i = 0; i < G / 2; i++) dot += ((bytes[i] & 0xF) - 8) * xl[i] + ((bytes[i] >> 4) - 8) * xh[i];
            total += (float)dot * (loom_f16_to_f32(scales[r * groups + g]) * sx[g]);
        }
        y[r] = total;
    }
}

void loom_gemv_q8(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin, int64_t row_end,
                  const void *prepared, float *y) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        gemv_q8_avx512(q, scales, k_padded, row_begin, row_end, prepared, y);
        return;
    }
#endif
    gemv_q8_portable(q, scales, k_padded, row_begin, row_end, prepared, y);
}

void loom_gemv_q4(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin, int64_t row_end,
                  const void *prepared, float *y) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        gemv_q4_avx512(q, scales, k_padded, row_begin, row_end, prepared, y);
        return;
    }
#endif
    gemv_q4_portable(q, scales, k_padded, row_begin, row_end, prepared, y);
}

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

/* ---- Products of activation rows (decode) ----
 * Each activation row is quantised once per product to int8 in the same groups of 32 (f32 scale max|x|/127), and
 * every group's integer dot product runs on vpdpbusd (u8 × s8): for int8 weights as |x| × (w · sign x), for int4
 * weights as (w + 8) × x minus 8·Σx, which is folded into the accumulator's start value. */

enum { Q8_CHUNK = 64, Q4_CHUNK = 128 };

static int64_t q8_chunks(int64_t k_padded) { return (k_padded + Q8_CHUNK - 1) / Q8_CHUNK; }
static int64_t q4_chunks(int64_t k_padded) { return (k_padded + Q4_CHUNK - 1) / Q4_CHUNK; }

/* Scratch layouts (64-byte aligned pieces):
 * int8: |x| bytes [chunks·64], sign masks u64 [chunks], x scales f32 [chunks·2].
 * int4: x low halves [chunks·64], x high halves [chunks·64], start values i32 [chunks·16], x scales f32 [chunks·4];
 * the whole rounded up to 64 bytes, so that activations laid out one after another stay aligned. */
size_t loom_activation_bytes(int bits, int64_t k_padded) {
    const size_t bytes = bits == 8 ? (size_t)q8_chunks(k_padded) * (64 + 8 + 8)
                                   : (size_t)q4_chunks(k_padded) * (64 + 64 + 64 + 16);
    return (bytes + 63) / 64 * 64;
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

/* Where the pieces of prepared activations lie (see loom_activation_bytes). */
typedef struct { const uint8_t *magnitude; const uint64_t *negative; const float *sx; } q8_activation;
typedef struct { const int8_t *low, *high; const int32_t *start; const float *sx; } q4_activation;

static q8_activation q8_activation_at(const void *prepared, int64_t k_padded, int64_t index) {
    const int64_t chunks = q8_chunks(k_padded);
    const uint8_t *magnitude = (const uint8_t *)prepared + index * loom_activation_bytes(8, k_padded);
    const uint64_t *negative = (const uint64_t *)(magnitude + chunks * 64);
    return (q8_activation){magnitude, negative, (const float *)(negative + chunks)};
}

static q4_activation q4_activation_at(const void *prepared, int64_t k_padded, int64_t index) {
    const int64_t chunks = q4_chunks(k_padded);
    const int8_t *low = (const int8_t *)prepared + index * loom_activation_bytes(4, k_padded), *high = low + chunks * 64;
    const int32_t *start = (const int32_t *)(high + chunks * 64);
    return (q4_activation){low, high, start, (const float *)(start + chunks * 16)};
}

/* Each weight row is multiplied by every activation while it sits in L1, ACTIVATIONS_TOGETHER at a time sharing
 * the loaded (and for int4 unpacked) weights; each activation keeps its own two sums, exactly as alone. */
enum { ACTIVATIONS_TOGETHER = 4 };

#if LOOM_X86
/* Scale products (weight scale × activation scale) of 16 groups from group `g0` for `count` activations, in the
 * f32 that the single-row kernel multiplies them to (groups past `groups` give 0). */
LOOM_AVX512 static inline __attribute__((always_inline)) void group_scales_avx512(
    const uint16_t *s, const float *const *sx, int64_t g0, int64_t groups, __m512 *products, const int count) {
    const __mmask16 live = groups - g0 >= 16 ? 0xFFFF : (__mmask16)((1u << (groups - g0)) - 1);
    const __m512 ws = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(live, s + g0));
    for (int a = 0; a < count; a++) products[a] = _mm512_mul_ps(ws, _mm512_maskz_loadu_ps(live, sx[a] + g0));
}

/* Chunk `c` of an int8 weight row (`wv`, 64 values) for `count` activations into `sums`: per activation the
 * integer dot products of its two groups (lanes 0-7 and 8-15) times the lanes of `products` that `index` picks. */
LOOM_AVX512 static inline __attribute__((always_inline)) void q8_chunk_avx512(
    __m512i wv, int64_t c, const q8_activation *x, const __m512 *products, __m512i index, __m512 *sums,
    const int count) {
    const __m512i zero = _mm512_setzero_si512();
    for (int a = 0; a < count; a++) {
        const __m512i signed_w = _mm512_mask_sub_epi8(wv, x[a].negative[c], zero, wv);
        const __m512i d = _mm512_dpbusd_epi32(zero, _mm512_load_si512(x[a].magnitude + c * 64), signed_w);
        sums[a] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_permutexvar_ps(index, products[a]), sums[a]);
    }
}

/* `count` (a constant where inlined) activations against one int8 weight row `w` with scales `s`; activation `a`'s
 * result goes to `y[a · y_stride]`. Chunk `c`'s group products go to the even or odd sums by its parity, as alone. */
LOOM_AVX512 static inline __attribute__((always_inline)) void q8_row_avx512(
    const int8_t *w, const uint16_t *s, int64_t k_padded, const q8_activation *x, float *y, int64_t y_stride,
    const int count) {
    const int64_t groups = k_padded / G, chunks = q8_chunks(k_padded);
    const __m512i halves = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    const __mmask64 tail = (k_padded % 64) ? 0xFFFFFFFFull : ~0ull;
    const float *sx[ACTIVATIONS_TOGETHER];
    __m512 even[ACTIVATIONS_TOGETHER], odd[ACTIVATIONS_TOGETHER], products[ACTIVATIONS_TOGETHER];
    for (int a = 0; a < count; a++) {
        even[a] = odd[a] = _mm512_setzero_ps();
        sx[a] = x[a].sx;
    }
    for (int64_t c0 = 0; c0 < chunks; c0 += 8) {
        group_scales_avx512(s, sx, 2 * c0, groups, products, count);
        const int64_t c1 = c0 + 8 < chunks ? c0 + 8 : chunks;
        __m512i index = halves;
        const __m512i step = _mm512_set1_epi32(2);
        int64_t c = c0;
        for (; c + 2 <= c1; c += 2) {
            const __m512i w0 = _mm512_loadu_si512(w + c * 64);
            const __m512i w1 = _mm512_maskz_loadu_epi8(c + 1 == chunks - 1 ? tail : ~0ull, w + (c + 1) * 64);
            q8_chunk_avx512(w0, c, x, products, index, even, count);
            index = _mm512_add_epi32(index, step);
            q8_chunk_avx512(w1, c + 1, x, products, index, odd, count);
            index = _mm512_add_epi32(index, step);
        }
        if (c < c1) q8_chunk_avx512(_mm512_maskz_loadu_epi8(tail, w + c * 64), c, x, products, index, even, count);
    }
    for (int a = 0; a < count; a++) y[a * y_stride] = _mm512_reduce_add_ps(_mm512_add_ps(even[a], odd[a]));
}

/* Chunk `c` of an int4 weight row (`lo` / `hi`: the 128 values' low and high nibbles) for `count` activations. */
LOOM_AVX512 static inline __attribute__((always_inline)) void q4_chunk_avx512(
    __m512i lo, __m512i hi, int64_t c, const q4_activation *x, const __m512 *products, __m512i index, __m512 *sums,
    const int count) {
    for (int a = 0; a < count; a++) {
        __m512i d = _mm512_dpbusd_epi32(_mm512_load_si512(x[a].start + c * 16), lo, _mm512_load_si512(x[a].low + c * 64));
        d = _mm512_dpbusd_epi32(d, hi, _mm512_load_si512(x[a].high + c * 64));
        sums[a] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_permutexvar_ps(index, products[a]), sums[a]);
    }
}

/* Loads chunk `c` of an int4 weight row (`live` bytes of 64) as low and high nibbles. */
LOOM_AVX512 static inline __attribute__((always_inline)) void q4_nibbles_avx512(const uint8_t *w, int64_t c,
                                                                                __mmask64 live, __m512i *lo,
                                                                                __m512i *hi) {
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    const __m512i bytes = _mm512_maskz_loadu_epi8(live, w + c * 64);
    *lo = _mm512_and_si512(bytes, nibble);
    *hi = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), nibble);
}

/* The same for an int4 weight row (`k_padded / 2` bytes), the nibbles unpacked once for all `count` activations. */
LOOM_AVX512 static inline __attribute__((always_inline)) void q4_row_avx512(
    const uint8_t *w, const uint16_t *s, int64_t k_padded, const q4_activation *x, float *y, int64_t y_stride,
    const int count) {
    const int64_t groups = k_padded / G, chunks = q4_chunks(k_padded), row_bytes = k_padded / 2;
    const __m512i quarters = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    const int64_t tail_bytes = row_bytes - (chunks - 1) * 64;
    const __mmask64 tail = tail_bytes >= 64 ? ~0ull : (1ull << tail_bytes) - 1;
    const float *sx[ACTIVATIONS_TOGETHER];
    __m512 even[ACTIVATIONS_TOGETHER], odd[ACTIVATIONS_TOGETHER], products[ACTIVATIONS_TOGETHER];
    for (int a = 0; a < count; a++) {
        even[a] = odd[a] = _mm512_setzero_ps();
        sx[a] = x[a].sx;
    }
    for (int64_t c0 = 0; c0 < chunks; c0 += 4) {
        group_scales_avx512(s, sx, 4 * c0, groups, products, count);
        const int64_t c1 = c0 + 4 < chunks ? c0 + 4 : chunks;
        __m512i index = quarters, lo, hi;
        const __m512i step = _mm512_set1_epi32(4);
        int64_t c = c0;
        for (; c + 2 <= c1; c += 2) {
            q4_nibbles_avx512(w, c, ~0ull, &lo, &hi);
            q4_chunk_avx512(lo, hi, c, x, products, index, even, count);
            index = _mm512_add_epi32(index, step);
            q4_nibbles_avx512(w, c + 1, c + 1 == chunks - 1 ? tail : ~0ull, &lo, &hi);
            q4_chunk_avx512(lo, hi, c + 1, x, products, index, odd, count);
            index = _mm512_add_epi32(index, step);
        }
        if (c < c1) {
            q4_nibbles_avx512(w, c, tail, &lo, &hi);
            q4_chunk_avx512(lo, hi, c, x, products, index, even, count);
        }
    }
    for (int a = 0; a < count; a++) y[a * y_stride] = _mm512_reduce_add_ps(_mm512_add_ps(even[a], odd[a]));
}

LOOM_AVX512 static void rows_q8_avx512(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                                       int64_t row_end, const void *prepared, int64_t m, float *y, int64_t y_stride) {
    const int64_t groups = k_padded / G;
    for (int64_t r = row_begin; r < row_end; r++) {
        const int8_t *w = q + r * k_padded;
        const uint16_t *s = scales + r * groups;
        int64_t a = 0;
        for (; a + ACTIVATIONS_TOGETHER <= m; a += ACTIVATIONS_TOGETHER) {
            q8_activation x[ACTIVATIONS_TOGETHER];
            for (int i = 0; i < ACTIVATIONS_TOGETHER; i++) x[i] = q8_activation_at(prepared, k_padded, a + i);
            q8_row_avx512(w, s, k_padded, x, y + a * y_stride + r, y_stride, ACTIVATIONS_TOGETHER);
        }
        for (; a < m; a++) {
            const q8_activation x = q8_activation_at(prepared, k_padded, a);
            q8_row_avx512(w, s, k_padded, &x, y + a * y_stride + r, y_stride, 1);
        }
    }
}

LOOM_AVX512 static void rows_q4_avx512(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                                       int64_t row_end, const void *prepared, int64_t m, float *y, int64_t y_stride) {
    const int64_t groups = k_padded / G;
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *w = q + r * (k_padded / 2);
        const uint16_t *s = scales + r * groups;
        int64_t a = 0;
        for (; a + ACTIVATIONS_TOGETHER <= m; a += ACTIVATIONS_TOGETHER) {
            q4_activation x[ACTIVATIONS_TOGETHER];
            for (int i = 0; i < ACTIVATIONS_TOGETHER; i++) x[i] = q4_activation_at(prepared, k_padded, a + i);
            q4_row_avx512(w, s, k_padded, x, y + a * y_stride + r, y_stride, ACTIVATIONS_TOGETHER);
        }
        for (; a < m; a++) {
            const q4_activation x = q4_activation_at(prepared, k_padded, a);
            q4_row_avx512(w, s, k_padded, &x, y + a * y_stride + r, y_stride, 1);
        }
    }
}
#endif

/* Portable versions compute exactly the same integer dot products per group. */
static float q8_row_portable(const int8_t *w, const uint16_t *s, int64_t k_padded, q8_activation x) {
    float total = 0;
    for (int64_t g = 0; g < k_padded / G; g++) {
        int32_t dot = 0;
        for (int i = 0; i < G; i++) {
            const int64_t at = g * G + i;
            const int value = (x.negative[at / 64] >> (at % 64)) & 1 ? -x.magnitude[at] : x.magnitude[at];
            dot += value * w[at];
        }
        total += (float)dot * (loom_f16_to_f32(s[g]) * x.sx[g]);
    }
    return total;
}

static float q4_row_portable(const uint8_t *w, const uint16_t *s, int64_t k_padded, q4_activation x) {
    float total = 0;
    for (int64_t g = 0; g < k_padded / G; g++) {
        const uint8_t *bytes = w + g * (G / 2);
        const int8_t *xl = x.low + (g / 4) * 64 + (g % 4) * 16, *xh = x.high + (g / 4) * 64 + (g % 4) * 16;
        int32_t dot = 0;
        for (int i = 0; i < G / 2; i++) dot += ((bytes[i] & 0xF) - 8) * xl[i] + ((bytes[i] >> 4) - 8) * xh[i];
        total += (float)dot * (loom_f16_to_f32(s[g]) * x.sx[g]);
    }
    return total;
}

static void rows_q8_portable(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                             int64_t row_end, const void *prepared, int64_t m, float *y, int64_t y_stride) {
    for (int64_t r = row_begin; r < row_end; r++)
        for (int64_t a = 0; a < m; a++)
            y[a * y_stride + r] = q8_row_portable(q + r * k_padded, scales + r * (k_padded / G), k_padded,
                                                  q8_activation_at(prepared, k_padded, a));
}

static void rows_q4_portable(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                             int64_t row_end, const void *prepared, int64_t m, float *y, int64_t y_stride) {
    for (int64_t r = row_begin; r < row_end; r++)
        for (int64_t a = 0; a < m; a++)
            y[a * y_stride + r] = q4_row_portable(q + r * (k_padded / 2), scales + r * (k_padded / G), k_padded,
                                                  q4_activation_at(prepared, k_padded, a));
}

void loom_gemm_q8_rows(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                       int64_t row_end, const void *prepared, int64_t m, float *y, int64_t y_stride) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        rows_q8_avx512(q, scales, k_padded, row_begin, row_end, prepared, m, y, y_stride);
        return;
    }
#endif
    rows_q8_portable(q, scales, k_padded, row_begin, row_end, prepared, m, y, y_stride);
}

void loom_gemm_q4_rows(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                       int64_t row_end, const void *prepared, int64_t m, float *y, int64_t y_stride) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        rows_q4_avx512(q, scales, k_padded, row_begin, row_end, prepared, m, y, y_stride);
        return;
    }
#endif
    rows_q4_portable(q, scales, k_padded, row_begin, row_end, prepared, m, y, y_stride);
}

void loom_gemv_q8(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin, int64_t row_end,
                  const void *prepared, float *y) {
    loom_gemm_q8_rows(q, scales, k_padded, row_begin, row_end, prepared, 1, y, 0);
}

void loom_gemv_q4(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin, int64_t row_end,
                  const void *prepared, float *y) {
    loom_gemm_q4_rows(q, scales, k_padded, row_begin, row_end, prepared, 1, y, 0);
}

/* Row normalisations (RMSNorm, LayerNorm) in f32. Sums run in 16 lanes (element i in lane i mod 16) reduced in a
 * fixed order, so the AVX-512 and the portable paths give identical results. */
#include "LoomKernels.h"
#include "simd.h"

#include <math.h>

/* Σ lanes, pairwise in a fixed order. */
static float reduce_lanes(const float *lane) {
    float half[8], quarter[4];
    for (int i = 0; i < 8; i++) half[i] = lane[i] + lane[i + 8];
    for (int i = 0; i < 4; i++) quarter[i] = half[i] + half[i + 4];
    return (quarter[0] + quarter[2]) + (quarter[1] + quarter[3]);
}

/* Σ (x[i] − center)² (or Σ x[i] when `squares` is 0, center unused), lane-wise with fused multiply-adds. */
static float lane_sum_portable(const float *x, int64_t d, float center, int squares) {
    float lane[16] = {0};
    for (int64_t i = 0; i < d; i++) {
        const float c = x[i] - center;
        lane[i % 16] = squares ? fmaf(c, c, lane[i % 16]) : lane[i % 16] + x[i];
    }
    return reduce_lanes(lane);
}

static void rms_norm_row_portable(const float *x, float *out, int64_t d, const float *w, float eps) {
    const float scale = 1 / sqrtf(lane_sum_portable(x, d, 0, 1) / (float)d + eps);
    for (int64_t i = 0; i < d; i++) {
        const float normalized = x[i] * scale;
        out[i] = w[i] * normalized;
    }
}

static void layer_norm_row_portable(const float *x, float *out, int64_t d, const float *w, const float *b, float eps) {
    const float mean = lane_sum_portable(x, d, 0, 0) / (float)d;
    const float scale = 1 / sqrtf(lane_sum_portable(x, d, mean, 1) / (float)d + eps);
    for (int64_t i = 0; i < d; i++) {
        const float scaled = (x[i] - mean) * scale;
        const float weighted = scaled * w[i];
        out[i] = weighted + b[i];
    }
}

#if LOOM_X86
LOOM_AVX512 static inline __mmask16 tail_mask(int64_t remaining) {
    return remaining >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << remaining) - 1);
}

LOOM_AVX512 static float lane_sum_avx512(const float *x, int64_t d, float center, int squares) {
    const __m512 c0 = _mm512_set1_ps(center);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t i = 0; i < d; i += 16) {
        const __mmask16 m = tail_mask(d - i);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        if (squares) {
            const __m512 c = _mm512_maskz_sub_ps(m, v, c0);
            acc = _mm512_fmadd_ps(c, c, acc);
        } else {
            acc = _mm512_add_ps(acc, v);
        }
    }
    float lane[16];
    _mm512_storeu_ps(lane, acc);
    return reduce_lanes(lane);
}

LOOM_AVX512 static void rms_norm_row_avx512(const float *x, float *out, int64_t d, const float *w, float eps) {
    const __m512 scale = _mm512_set1_ps(1 / sqrtf(lane_sum_avx512(x, d, 0, 1) / (float)d + eps));
    for (int64_t i = 0; i < d; i += 16) {
        const __mmask16 m = tail_mask(d - i);
        const __m512 normalized = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), scale);
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, w + i), normalized));
    }
}

LOOM_AVX512 static void layer_norm_row_avx512(const float *x, float *out, int64_t d, const float *w, const float *b,
                                              float eps) {
    const float mean = lane_sum_avx512(x, d, 0, 0) / (float)d;
    const __m512 scale = _mm512_set1_ps(1 / sqrtf(lane_sum_avx512(x, d, mean, 1) / (float)d + eps));
    const __m512 center = _mm512_set1_ps(mean);
    for (int64_t i = 0; i < d; i += 16) {
        const __mmask16 m = tail_mask(d - i);
        const __m512 scaled = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), center), scale);
        const __m512 weighted = _mm512_mul_ps(scaled, _mm512_maskz_loadu_ps(m, w + i));
        _mm512_mask_storeu_ps(out + i, m, _mm512_add_ps(weighted, _mm512_maskz_loadu_ps(m, b + i)));
    }
}
#endif

void loom_rms_norm(const float *x, float *out, int64_t rows, int64_t d, const float *w, float eps) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        for (int64_t r = 0; r < rows; r++) rms_norm_row_avx512(x + r * d, out + r * d, d, w, eps);
        return;
    }
#endif
    for (int64_t r = 0; r < rows; r++) rms_norm_row_portable(x + r * d, out + r * d, d, w, eps);
}

void loom_layer_norm(const float *x, float *out, int64_t rows, int64_t d, const float *w, const float *b, float eps) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        for (int64_t r = 0; r < rows; r++) layer_norm_row_avx512(x + r * d, out + r * d, d, w, b, eps);
        return;
    }
#endif
    for (int64_t r = 0; r < rows; r++) layer_norm_row_portable(x + r * d, out + r * d, d, w, b, eps);
}

/* Element-wise activations for the bf16 path, vectorised (the f32 reference path keeps libm's tanhf), in place or
 * writing the bf16 input of the next product directly. */
#include "LoomKernels.h"
#include "simd.h"

#include <math.h>

static inline float gelu_tanh_scalar(float x) {
    return 0.5f * x * (1 + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
}

static inline float swiglu_scalar(float gate, float up) { return gate / (1 + expf(-gate)) * up; }

#if LOOM_X86

LOOM_AVX512 static inline __m512 gelu_tanh16(__m512 v) {
    const __m512 c = _mm512_set1_ps(0.7978845608028654f), k = _mm512_set1_ps(0.044715f);
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f);
    __m512 u = _mm512_mul_ps(c, _mm512_fmadd_ps(_mm512_mul_ps(k, v), _mm512_mul_ps(v, v), v));
    /* tanh(u) = 1 − 2 / (e^{2u} + 1) */
    __m512 t = _mm512_sub_ps(one, _mm512_div_ps(two, _mm512_add_ps(loom_exp_avx512(_mm512_mul_ps(two, u)), one)));
    return _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, t));
}

LOOM_AVX512 static inline __m512 swiglu16(__m512 g, __m512 up) {
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 silu = _mm512_div_ps(g, _mm512_add_ps(one, loom_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), g))));
    return _mm512_mul_ps(silu, up);
}

LOOM_AVX512 static void gelu_tanh_avx512(float *x, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(x + i, gelu_tanh16(_mm512_loadu_ps(x + i)));
    for (; i < count; i++) x[i] = gelu_tanh_scalar(x[i]);
}

LOOM_AVX512 static void swiglu_avx512(const float *gate, const float *up, float *out, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(out + i, swiglu16(_mm512_loadu_ps(gate + i), _mm512_loadu_ps(up + i)));
    for (; i < count; i++) out[i] = swiglu_scalar(gate[i], up[i]);
}

LOOM_AVX512 static void gelu_tanh_bf16_avx512(const float *x, uint16_t *out, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16)
        _mm256_storeu_si256((__m256i *)(out + i), (__m256i)_mm512_cvtneps_pbh(gelu_tanh16(_mm512_loadu_ps(x + i))));
    for (; i < count; i++) out[i] = loom_f32_to_bf16_scalar(gelu_tanh_scalar(x[i]));
}

LOOM_AVX512 static void swiglu_bf16_avx512(const float *gate, const float *up, uint16_t *out, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16)
        _mm256_storeu_si256((__m256i *)(out + i),
                            (__m256i)_mm512_cvtneps_pbh(swiglu16(_mm512_loadu_ps(gate + i), _mm512_loadu_ps(up + i))));
    for (; i < count; i++) out[i] = loom_f32_to_bf16_scalar(swiglu_scalar(gate[i], up[i]));
}
#endif

void loom_swiglu(const float *gate, const float *up, float *out, size_t count) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        swiglu_avx512(gate, up, out, count);
        return;
    }
#endif
    for (size_t i = 0; i < count; i++) out[i] = swiglu_scalar(gate[i], up[i]);
}

void loom_gelu_tanh(float *x, size_t count) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        gelu_tanh_avx512(x, count);
        return;
    }
#endif
    for (size_t i = 0; i < count; i++) x[i] = gelu_tanh_scalar(x[i]);
}

void loom_swiglu_bf16(const float *gate, const float *up, uint16_t *out, size_t count) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        swiglu_bf16_avx512(gate, up, out, count);
        return;
    }
#endif
    for (size_t i = 0; i < count; i++) out[i] = loom_f32_to_bf16_scalar(swiglu_scalar(gate[i], up[i]));
}

void loom_gelu_tanh_bf16(const float *x, uint16_t *out, size_t count) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        gelu_tanh_bf16_avx512(x, out, count);
        return;
    }
#endif
    for (size_t i = 0; i < count; i++) out[i] = loom_f32_to_bf16_scalar(gelu_tanh_scalar(x[i]));
}

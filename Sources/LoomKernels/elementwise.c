/* Element-wise activations for the bf16 path, vectorised (the f32 reference path keeps libm's tanhf). */
#include "LoomKernels.h"
#include "simd.h"

#include <math.h>

#if LOOM_X86

LOOM_AVX512 static void gelu_tanh_avx512(float *x, size_t count) {
    const __m512 c = _mm512_set1_ps(0.7978845608028654f), k = _mm512_set1_ps(0.044715f);
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 u = _mm512_mul_ps(c, _mm512_fmadd_ps(_mm512_mul_ps(k, v), _mm512_mul_ps(v, v), v));
        /* tanh(u) = 1 − 2 / (e^{2u} + 1) */
        __m512 t = _mm512_sub_ps(one, _mm512_div_ps(two, _mm512_add_ps(loom_exp_avx512(_mm512_mul_ps(two, u)), one)));
        _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, t)));
    }
    for (; i < count; i++) x[i] = 0.5f * x[i] * (1 + tanhf(0.7978845608028654f * (x[i] + 0.044715f * x[i] * x[i] * x[i])));
}

LOOM_AVX512 static void swiglu_avx512(float *gate, const float *up, size_t count) {
    const __m512 one = _mm512_set1_ps(1.0f);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 g = _mm512_loadu_ps(gate + i);
        __m512 silu = _mm512_div_ps(g, _mm512_add_ps(one, loom_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), g))));
        _mm512_storeu_ps(gate + i, _mm512_mul_ps(silu, _mm512_loadu_ps(up + i)));
    }
    for (; i < count; i++) gate[i] = gate[i] / (1 + expf(-gate[i])) * up[i];
}
#endif

void loom_swiglu(float *gate, const float *up, size_t count) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        swiglu_avx512(gate, up, count);
        return;
    }
#endif
    for (size_t i = 0; i < count; i++) gate[i] = gate[i] / (1 + expf(-gate[i])) * up[i];
}

void loom_gelu_tanh(float *x, size_t count) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        gelu_tanh_avx512(x, count);
        return;
    }
#endif
    for (size_t i = 0; i < count; i++) x[i] = 0.5f * x[i] * (1 + tanhf(0.7978845608028654f * (x[i] + 0.044715f * x[i] * x[i] * x[i])));
}

/* Shared helpers of the kernels: the AVX-512 target attribute and scalar bfloat16 / f16 conversions. */
#ifndef LOOM_KERNELS_SIMD_H
#define LOOM_KERNELS_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LOOM_X86 1
#include <immintrin.h>
/* Functions compiled for AVX-512 (F/BW/VL/BF16/VNNI) only; called after loom_cpu_has_avx512_bf16(). */
#define LOOM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx512vnni,f16c,fma")))
#else
#define LOOM_X86 0
#endif

static inline float loom_bf16_to_f32_scalar(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t loom_f32_to_bf16_scalar(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x40);
    bits += ((bits >> 16) & 1u) + 0x7FFFu;
    return (uint16_t)(bits >> 16);
}

#if LOOM_X86
/* e^x for 16 lanes: range reduction by ln 2 (two-part constant), degree-6 polynomial, `scalef`; inputs are clamped
 * to [-87, 88] (below, the result underflows to about 0; attention only passes x ≤ 0). Relative error about 2e-7. */
LOOM_AVX512 static inline __m512 loom_exp_avx512(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145752f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860677e-6f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}
#endif

#endif

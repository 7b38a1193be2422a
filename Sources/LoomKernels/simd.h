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

#endif

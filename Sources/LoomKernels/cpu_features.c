#include "LoomKernels.h"
#include "simd.h"

static _Thread_local int forced_portable;

void loom_force_portable_kernels(int portable) { forced_portable = portable; }

int loom_portable_kernels_forced(void) { return forced_portable; }

int loom_cpu_has_avx512_bf16(void) {
#if LOOM_X86
    static int cached = -1;
    if (forced_portable) return 0;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")
            && __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512vnni");
    }
    return cached;
#else
    return 0;
#endif
}

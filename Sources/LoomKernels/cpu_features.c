#include "LoomKernels.h"
#include "simd.h"

int loom_cpu_has_avx512_bf16(void) {
#if LOOM_X86
    static int cached = -1;
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

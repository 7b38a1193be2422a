/* oneDNN's C API declarations. LoomKernels opens libdnnl at run time (see onednn_matmul.c), so nothing links it. */
#include <oneapi/dnnl/dnnl.h>

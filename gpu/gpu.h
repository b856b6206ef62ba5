/* gpu.h - the CUDA backend's public face: what the registry calls.
 * Built only when configure finds CUDA (MSCNN_HAVE_CUDA in config.h). */
#ifndef MSCNN_GPU_H
#define MSCNN_GPU_H

#include "base/util.h"
#include "engine/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fills be (zeroed by the caller, be->threads set) as the CUDA backend on
 * device `device`. Returns 0, or -1 with e telling the cases apart: no
 * driver or one too old for this toolkit (cudaErrorInsufficientDriver),
 * the toolkit's stub driver (cudaErrorStubLibrary), no device
 * (cudaErrorNoDevice), a device index out of range, cuDNN or cuBLAS
 * failing to initialise. On failure nothing is left allocated. */
int gpu_backend_init(backend_t *be, int device, err_t *e);

#ifdef __cplusplus
}
#endif

#endif

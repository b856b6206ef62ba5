/* registry.h - choosing a compute backend: the only code outside the
 * backends themselves that names one.
 *
 * A device string is "auto", "cpu", "ref" or "gpu" ("gpu:N" for device N):
 *   auto  the GPU (gpu:0) when this build has a GPU backend, a device
 *         answers and the backend has every op; otherwise the fast CPU
 *         backend, with the reason in its note ("auto chose the CPU: no
 *         CUDA device (cudaErrorNoDevice)");
 *   cpu   the fast CPU backend (oneDNN, OpenMP);
 *   ref   the plain reference loops (slow; what the others are tested
 *         against);
 *   gpu   the CUDA backend (gpu/), or an error saying why there is none:
 *         a build without CUDA, no driver, the toolkit's stub driver, no
 *         device, an index past the devices, cuDNN or cuBLAS failing, or
 *         a table that lacks an op (named).
 */
#ifndef MSCNN_REGISTRY_H
#define MSCNN_REGISTRY_H

#include "base/util.h"
#include "engine/backend.h"

/* Opens the backend for device with threads CPU threads (<= 0: all online
 * cores). Returns NULL with e naming the device and the problem. The
 * caller owns the backend: backend_free(). */
backend_t *backend_open(const char *device, int threads, err_t *e);
void backend_free(backend_t *be);

/* Sets be's precision from "auto", "fp32" or "bf16": auto is bf16 when
 * prefer_bf16 (the recipe asks for it) and the backend computes bf16
 * natively, else fp32. bf16 on a backend without it is an error (-1, e
 * says why); on one that only emulates it, *warning gets a sentence
 * saying so (else ""). be->desc gains ", bf16" or ", fp32". */
int backend_set_precision(backend_t *be, const char *precision, int prefer_bf16,
                          char *warning, size_t size, err_t *e);

/* 0 when precision is auto, fp32 or bf16, else -1 with e saying so. */
int backend_precision_check(const char *precision, err_t *e);

/* 0 when device is a well-formed device string (whether or not this
 * machine has it), else -1 with e listing the accepted forms. */
int backend_device_check(const char *device, err_t *e);

/* The backends this build registers, for tests and --help: index 0 is the
 * reference. NULL past the end. */
const char *backend_registered(int i);

#endif

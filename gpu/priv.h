/* priv.h - internals shared by the files of the CUDA backend; never
 * included outside gpu/. C and CUDA C++ both include it.
 *
 * Every op runs asynchronously on the backend's one stream; upload and
 * download synchronise (a download returns finished host data). Buffers
 * are device memory from cudaMalloc, zero-filled at allocation.
 *
 * The device is part of the context, not of the process: the CUDA
 * runtime's current device is per host thread, and the thread that trains
 * (the workbench's trainer thread) need not be the one that opened the
 * backend, so the entry points of backend.c, conv.c and linear.c start
 * with gpu_enter(), which makes priv->device current on the calling
 * thread (cudaSetDevice is a cheap per-thread setting once the device's
 * context exists). */
#ifndef MSCNN_GPU_PRIV_H
#define MSCNN_GPU_PRIV_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int device;
    cudaStream_t stream;
    cudnnHandle_t cudnn;
    cublasHandle_t cublas;
    void *workspace;       /* cuDNN workspace, grown on demand */
    size_t workspace_size;
    float *scratch;        /* conv output before a fused max pool, grown on demand */
    size_t scratch_count;
    struct gpu_conv_plans *conv; /* conv.c: descriptors and algorithms per shape */
    float *ones;           /* linear.c: ones_count 1.0f, for the bias sums */
    size_t ones_count;
} gpu_priv_t;

static inline gpu_priv_t *gpu_priv(const backend_t *be) { return (gpu_priv_t *)be->priv; }
static inline cudaStream_t gpu_stream(const backend_t *be) { return gpu_priv(be)->stream; }

/* A failed CUDA, cuDNN or cuBLAS call inside an op is a bug or a lost
 * device: say where and what, then abort (ops return nothing). */
void gpu_fail(const char *file, int line, const char *what, const char *msg);
#define CHECK_CUDA(x)                                                        \
    do {                                                                     \
        cudaError_t err_ = (x);                                              \
        if (err_ != cudaSuccess)                                             \
            gpu_fail(__FILE__, __LINE__, #x, cudaGetErrorString(err_));      \
    } while (0)
#define CHECK_CUDNN(x)                                                       \
    do {                                                                     \
        cudnnStatus_t st_ = (x);                                             \
        if (st_ != CUDNN_STATUS_SUCCESS)                                     \
            gpu_fail(__FILE__, __LINE__, #x, cudnnGetErrorString(st_));      \
    } while (0)
#define CHECK_CUBLAS(x)                                                      \
    do {                                                                     \
        cublasStatus_t st_ = (x);                                            \
        if (st_ != CUBLAS_STATUS_SUCCESS)                                    \
            gpu_fail(__FILE__, __LINE__, #x, cublasGetStatusString(st_));    \
    } while (0)
/* after a kernel launch */
#define CHECK_LAUNCH() CHECK_CUDA(cudaGetLastError())

/* At the start of an entry point: the backend's device is current on this
 * thread (see above). */
static inline void gpu_enter(const backend_t *be) { CHECK_CUDA(cudaSetDevice(gpu_priv(be)->device)); }

/* backend.c: waits for the stream, then frees *p (device memory) and
 * allocates bytes in its place, not zeroed: the buffers that
 * grow (workspace, scratch, ones). */
void gpu_realloc(backend_t *be, void **p, size_t bytes);

/* The parts of the table each file fills. */
void gpu_ops_init(backend_t *be);    /* ops.cu: the own kernels */
void gpu_conv_init(backend_t *be);   /* conv.c: cuDNN convolutions, conv+pool */
void gpu_linear_init(backend_t *be); /* linear.c: cuBLAS linear layers */
void gpu_conv_release(backend_t *be); /* conv.c: frees priv->conv */

#ifdef __cplusplus
}
#endif

#endif

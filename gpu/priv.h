/* priv.h - internals shared by the files of the CUDA backend; never
 * included outside gpu/. C and CUDA C++ both include it.
 *
 * Every op runs asynchronously on the backend's one stream; upload and
 * download synchronise (a download returns finished host data). Buffers
 * are device memory from cudaMalloc, zero-filled at allocation. */
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

/* The parts of the table each file fills. */
void gpu_ops_init(backend_t *be);    /* ops.cu: the own kernels */
void gpu_conv_init(backend_t *be);   /* conv.c: cuDNN convolutions, conv+pool */
void gpu_linear_init(backend_t *be); /* linear.c: cuBLAS linear layers */

#ifdef __cplusplus
}
#endif

#endif

/* backend.c - the CUDA backend: opening a device, its memory ops, the
 * table and its release.
 *
 * Plain C, compiled by the C compiler against the CUDA runtime headers.
 * The table is filled by three files: the memory ops here, convolutions
 * (cuDNN) in gpu/conv.c, linear layers (cuBLAS) in gpu/linear.c and the
 * backend's own kernels in gpu/ops.cu (gpu_ops_init).
 *
 * Memory: buffers are cudaMalloc'ed device memory, zeroed on the
 * backend's stream. Host data crosses only through upload and download,
 * both cudaMemcpyAsync on the stream:
 *   upload   returns when the source may be reused: from pageable host
 *            memory (every host buffer of this program: none is pinned)
 *            the runtime copies the data to a staging buffer before
 *            cudaMemcpyAsync returns, and the transfer itself is ordered
 *            on the stream before every later op;
 *   download synchronises the stream, so the host data is final when it
 *            returns (the only point where the host waits for the GPU,
 *            besides freeing and growing buffers).
 * Ops cannot return errors: a CUDA call that fails inside one is a bug or
 * a lost device, and gpu_fail() says where and aborts. */
#include "gpu/gpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/host.h"
#include "gpu/priv.h"

_Static_assert((int)cudaErrorStubLibrary == GPU_ERR_STUB_LIBRARY, "cudaErrorStubLibrary");
_Static_assert((int)cudaErrorInsufficientDriver == GPU_ERR_INSUFFICIENT_DRIVER,
               "cudaErrorInsufficientDriver");
_Static_assert((int)cudaErrorNoDevice == GPU_ERR_NO_DEVICE, "cudaErrorNoDevice");

void gpu_fail(const char *file, int line, const char *what, const char *msg)
{
    fflush(stdout);
    fprintf(stderr, "mscnn: GPU error at %s:%d: %s: %s\n", file, line, what, msg);
    abort();
}

/* ---- memory -------------------------------------------------------------- */

/* cudaMalloc of bytes (at least 1) on the backend's device, or abort
 * naming the size and what the device has free. */
static void *device_malloc(backend_t *be, size_t bytes)
{
    void *p = NULL;
    cudaError_t st = cudaMalloc(&p, bytes ? bytes : 1);
    if (st != cudaSuccess) {
        size_t free_b = 0, total_b = 0;
        (void)cudaGetLastError(); /* clear it before asking */
        cudaMemGetInfo(&free_b, &total_b);
        fflush(stdout);
        fprintf(stderr,
                "mscnn: gpu:%d: cudaMalloc of %zu bytes (%.1f MiB) failed: %s "
                "(%.1f of %.1f MiB free)\n",
                gpu_priv(be)->device, bytes, bytes / 1048576.0, cudaGetErrorString(st),
                free_b / 1048576.0, total_b / 1048576.0);
        abort();
    }
    return p;
}

static void *alloc_zeroed(backend_t *be, size_t bytes)
{
    gpu_enter(be);
    void *p = device_malloc(be, bytes);
    CHECK_CUDA(cudaMemsetAsync(p, 0, bytes ? bytes : 1, gpu_stream(be)));
    return p;
}

static float *gpu_alloc(backend_t *be, size_t count)
{
    return alloc_zeroed(be, count * sizeof(float));
}

static int32_t *gpu_alloc_i32(backend_t *be, size_t count)
{
    return alloc_zeroed(be, count * sizeof(int32_t));
}

/* Ops may still be queued that use p: the stream finishes first. */
static void gpu_free(backend_t *be, void *p)
{
    if (!p)
        return;
    gpu_enter(be);
    CHECK_CUDA(cudaStreamSynchronize(gpu_stream(be)));
    CHECK_CUDA(cudaFree(p));
}

void gpu_realloc(backend_t *be, void **p, size_t bytes)
{
    gpu_free(be, *p);
    *p = device_malloc(be, bytes);
}

static void copy_async(backend_t *be, void *dst, const void *src, size_t bytes,
                       enum cudaMemcpyKind kind)
{
    gpu_enter(be);
    if (bytes)
        CHECK_CUDA(cudaMemcpyAsync(dst, src, bytes, kind, gpu_stream(be)));
}

static void gpu_upload(backend_t *be, float *dst, const float *src, size_t count)
{
    copy_async(be, dst, src, count * sizeof(float), cudaMemcpyHostToDevice);
}

static void gpu_upload_i32(backend_t *be, int32_t *dst, const int32_t *src, size_t count)
{
    copy_async(be, dst, src, count * sizeof(int32_t), cudaMemcpyHostToDevice);
}

static void gpu_download(backend_t *be, float *dst, const float *src, size_t count)
{
    copy_async(be, dst, src, count * sizeof(float), cudaMemcpyDeviceToHost);
    CHECK_CUDA(cudaStreamSynchronize(gpu_stream(be)));
}

static void gpu_download_i32(backend_t *be, int32_t *dst, const int32_t *src, size_t count)
{
    copy_async(be, dst, src, count * sizeof(int32_t), cudaMemcpyDeviceToHost);
    CHECK_CUDA(cudaStreamSynchronize(gpu_stream(be)));
}

static void gpu_copy(backend_t *be, float *dst, const float *src, size_t count)
{
    copy_async(be, dst, src, count * sizeof(float), cudaMemcpyDeviceToDevice);
}

static void gpu_copy_rows(backend_t *be, int rows, int width, const float *src,
                          int src_stride, float *dst, int dst_stride)
{
    gpu_enter(be);
    if (rows <= 0 || width <= 0)
        return;
    CHECK_CUDA(cudaMemcpy2DAsync(dst, (size_t)dst_stride * sizeof(float), src,
                                 (size_t)src_stride * sizeof(float), (size_t)width * sizeof(float),
                                 (size_t)rows, cudaMemcpyDeviceToDevice, gpu_stream(be)));
}

/* ---- opening and releasing ------------------------------------------------ */

/* Frees what priv holds, whatever was created so far; the device is
 * current. */
static void release_priv(backend_t *be)
{
    gpu_priv_t *p = gpu_priv(be);
    if (p->stream)
        cudaStreamSynchronize(p->stream);
    gpu_conv_release(be);
    cudaFree(p->workspace);
    cudaFree(p->scratch);
    cudaFree(p->ones);
    if (p->cublas)
        cublasDestroy(p->cublas);
    if (p->cudnn)
        cudnnDestroy(p->cudnn);
    if (p->stream)
        cudaStreamDestroy(p->stream);
    free(p);
    be->priv = NULL;
}

static void gpu_release(backend_t *be)
{
    if (!be->priv)
        return;
    gpu_enter(be);
    release_priv(be);
}

/* A step of opening failed: e says which on which device, and whatever
 * was created is released. */
static int init_failed(backend_t *be, err_t *e, const char *dev, const char *what,
                       const char *msg)
{
    err_set(e, "%s: %s: %s", dev, what, msg);
    release_priv(be);
    return -1;
}

/* cudaGetDeviceCount, telling its failures apart: 0 with *count >= 1, or
 * -1 with e set. */
static int device_count(int *count, err_t *e)
{
    *count = 0;
    cudaError_t st = cudaGetDeviceCount(count);
    if (st == cudaSuccess && *count > 0)
        return 0;
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    char msg[256];
    gpu_count_message(msg, sizeof msg, (int)st, cudaGetErrorName(st), cudaGetErrorString(st),
                      driver, runtime);
    (void)cudaGetLastError(); /* the error is reported: clear it */
    return err_set(e, "%s", msg);
}

int gpu_backend_init(backend_t *be, int device, err_t *e)
{
    int count;
    if (device_count(&count, e))
        return -1;
    if (device < 0 || device >= count) {
        char msg[128];
        gpu_index_message(msg, sizeof msg, device, count);
        return err_set(e, "%s", msg);
    }
    cudaError_t st = cudaSetDevice(device);
    struct cudaDeviceProp prop;
    if (st == cudaSuccess)
        st = cudaGetDeviceProperties(&prop, device);
    if (st != cudaSuccess) {
        err_set(e, "gpu:%d cannot be used: %s (%s)", device, cudaGetErrorString(st),
                cudaGetErrorName(st));
        (void)cudaGetLastError();
        return -1;
    }

    gpu_priv_t *p = calloc(1, sizeof *p);
    if (!p)
        return err_set(e, "out of memory");
    p->device = device;
    be->priv = p;
    char dev[128];
    snprintf(dev, sizeof dev, "gpu:%d (%.96s)", device, prop.name);
    st = cudaStreamCreateWithFlags(&p->stream, cudaStreamNonBlocking);
    if (st != cudaSuccess) {
        p->stream = NULL;
        return init_failed(be, e, dev, "cudaStreamCreate failed", cudaGetErrorString(st));
    }
    cudnnStatus_t dst = cudnnCreate(&p->cudnn);
    if (dst != CUDNN_STATUS_SUCCESS) {
        p->cudnn = NULL;
        return init_failed(be, e, dev, "cuDNN failed to initialise", cudnnGetErrorString(dst));
    }
    cublasStatus_t bst = cublasCreate(&p->cublas);
    if (bst != CUBLAS_STATUS_SUCCESS) {
        p->cublas = NULL;
        return init_failed(be, e, dev, "cuBLAS failed to initialise", cublasGetStatusString(bst));
    }
    /* both libraries work on the backend's stream; plain fp32 math (no
     * TF32 Tensor Cores: see gpu/README.md) */
    if ((dst = cudnnSetStream(p->cudnn, p->stream)) != CUDNN_STATUS_SUCCESS)
        return init_failed(be, e, dev, "cudnnSetStream failed", cudnnGetErrorString(dst));
    if ((bst = cublasSetStream(p->cublas, p->stream)) != CUBLAS_STATUS_SUCCESS ||
        (bst = cublasSetMathMode(p->cublas, CUBLAS_DEFAULT_MATH)) != CUBLAS_STATUS_SUCCESS)
        return init_failed(be, e, dev, "setting up cuBLAS failed", cublasGetStatusString(bst));

    char cudnn[16];
    gpu_cudnn_version(cudnn, sizeof cudnn, cudnnGetVersion());
    be->name = "gpu";
    if (device == 0)
        snprintf(be->desc, sizeof be->desc, "gpu: %.96s, cuDNN %s, fp32", prop.name, cudnn);
    else
        snprintf(be->desc, sizeof be->desc, "gpu:%d: %.96s, cuDNN %s, fp32", device, prop.name,
                 cudnn);
    be->alloc = gpu_alloc;
    be->alloc_i32 = gpu_alloc_i32;
    be->free = gpu_free;
    be->upload = gpu_upload;
    be->download = gpu_download;
    be->upload_i32 = gpu_upload_i32;
    be->download_i32 = gpu_download_i32;
    be->copy = gpu_copy;
    be->copy_rows = gpu_copy_rows;
    gpu_conv_init(be);
    gpu_linear_init(be);
    gpu_ops_init(be);
    be->release = gpu_release;
    return 0;
}

/* host.h - the GPU backend's host-side decisions, in plain C with no CUDA
 * header: the parameters of a cuDNN convolution from a conv_desc_t, the
 * per-shape cache of convolution plans, the choice among cuDNN's
 * algorithms, how buffers grow, and the messages the backend prints.
 * tests/test_gpu_host.c checks them on a machine without a GPU; the
 * backend's CUDA files (backend.c, conv.c, linear.c) only apply them. */
#ifndef MSCNN_GPU_HOST_H
#define MSCNN_GPU_HOST_H

#include <stddef.h>

#include "engine/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- convolution parameters ---------------------------------------------- */

/* What cudnnSet{Tensor,Filter}4dDescriptor and
 * cudnnSetConvolution2dDescriptor take for a conv_desc_t, NCHW:
 * x (n, cin, h, w), w (cout, cin, kh, kw), y (n, cout, oh, ow), the bias
 * as a (1, cout, 1, 1) tensor, symmetric zero padding, equal strides, no
 * dilation (PyTorch's Conv2d: a cross-correlation). */
typedef struct {
    int x[4], w[4], y[4], bias[4];
    int pad_h, pad_w, stride_h, stride_w, dil_h, dil_w;
} gpu_conv_shape_t;

/* Fills s; 0, or -1 when d is no convolution cuDNN can run: a size below
 * 1, negative padding, a kernel larger than the padded input, an output size that
 * disagrees with conv_desc_init's, or a tensor of more than INT_MAX
 * elements (cuDNN's legacy API counts in int). */
int gpu_conv_shape(const conv_desc_t *d, gpu_conv_shape_t *s);

/* ---- the plan cache ------------------------------------------------------ */

/* Plans (descriptors and chosen algorithms) for the most recently used
 * shapes. A net has a few convolution shapes per batch size (air: five,
 * times the training batch, the last partial batch and the evaluation
 * batch), so 32 slots hold them all; past that the least recently used
 * slot is reused. */
#define GPU_CONV_CACHE 32

typedef struct {
    conv_desc_t key[GPU_CONV_CACHE];
    unsigned long last_use[GPU_CONV_CACHE];
    unsigned long clock;
    int used; /* slots filled, 0..GPU_CONV_CACHE */
} gpu_conv_cache_t;

/* The slot for shape d: where it is if cached (*fresh = 0), else a free
 * slot or the least recently used one, now keyed by d (*fresh = 1: the
 * caller (re)builds that slot's plan). Keys compare every field. */
int gpu_conv_cache_slot(gpu_conv_cache_t *c, const conv_desc_t *d, int *fresh);

/* ---- choosing an algorithm ----------------------------------------------- */

/* One of cuDNN's candidates for a convolution direction, as
 * cudnnGetConvolution*Algorithm_v7 returns them (best first). */
typedef struct {
    int algo;
    int ok;            /* status CUDNN_STATUS_SUCCESS: runs for this shape */
    int deterministic; /* CUDNN_DETERMINISTIC: the same bits every call */
    int fp32;          /* plain fp32 math: no Tensor Core TF32 or fp16 */
    size_t memory;     /* workspace bytes */
} gpu_algo_t;

/* The most cuDNN will use as workspace for one call (1 GiB); candidates
 * that need more are passed over. */
#define GPU_WORKSPACE_LIMIT ((size_t)1 << 30)

/* The index of the first candidate that runs, is deterministic, is plain
 * fp32 and needs at most limit bytes; -1 when none does (the caller then
 * takes the direction's always-available algorithm). */
int gpu_algo_choose(const gpu_algo_t *cand, int count, size_t limit);

/* ---- growing buffers ----------------------------------------------------- */

/* The workspace and scratch buffers grow on demand and never shrink. For a
 * buffer of have units that must hold need: 0 when it already does, else
 * the new size, need rounded up to a multiple of quantum (a quantum of 0
 * is taken as 1), so that small increases do not reallocate every time. */
size_t gpu_grow(size_t have, size_t need, size_t quantum);

/* ---- messages ------------------------------------------------------------ */

/* The CUDA runtime's codes this backend tells apart (cudaError_t values,
 * checked against cuda_runtime.h in backend.c). */
enum {
    GPU_ERR_STUB_LIBRARY = 34,        /* cudaErrorStubLibrary */
    GPU_ERR_INSUFFICIENT_DRIVER = 35, /* cudaErrorInsufficientDriver */
    GPU_ERR_NO_DEVICE = 100           /* cudaErrorNoDevice */
};

/* Why cudaGetDeviceCount gave no device: status is its cudaError_t, name
 * and text that code's name and description (cudaGetErrorName,
 * cudaGetErrorString), driver what cudaDriverGetVersion gave (0: no
 * driver; else 1000 * major + 10 * minor), runtime the same for the CUDA
 * runtime. A status of 0 (success, with a count of 0) is "no device" as
 * well. Writes one line, no final period. */
void gpu_count_message(char *buf, size_t size, int status, const char *name,
                       const char *text, int driver, int runtime);

/* "gpu:3 asked, 1 device (gpu:0)" for a device index past the count. */
void gpu_index_message(char *buf, size_t size, int asked, int count);

/* "9.19" from cudnnGetVersion(): 10000 * major + 100 * minor + patch
 * from cuDNN 9 on, 1000 * major + 100 * minor + patch before. */
void gpu_cudnn_version(char *buf, size_t size, size_t version);

/* "12.8" from a CUDA version as cudaDriverGetVersion gives it. */
void gpu_cuda_version(char *buf, size_t size, int version);

#ifdef __cplusplus
}
#endif

#endif

/* host.c - the GPU backend's host-side decisions (see host.h): plain C,
 * no CUDA, so tests/test_gpu_host.c runs them without a device. */
#include "gpu/host.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* ---- convolution parameters ---------------------------------------------- */

static int fits_int(long long a, long long b, long long c, long long d)
{
    return a * b * c * d <= INT_MAX;
}

int gpu_conv_shape(const conv_desc_t *d, gpu_conv_shape_t *s)
{
    if (d->n < 1 || d->cin < 1 || d->h < 1 || d->w < 1 || d->cout < 1 || d->kh < 1 ||
        d->kw < 1 || d->stride < 1 || d->pad < 0)
        return -1;
    int oh = (d->h + 2 * d->pad - d->kh) / d->stride + 1;
    int ow = (d->w + 2 * d->pad - d->kw) / d->stride + 1;
    if (d->h + 2 * d->pad < d->kh || d->w + 2 * d->pad < d->kw || oh != d->oh || ow != d->ow)
        return -1;
    if (!fits_int(d->n, d->cin, d->h, d->w) || !fits_int(d->n, d->cout, oh, ow) ||
        !fits_int(d->cout, d->cin, d->kh, d->kw))
        return -1;
    const int x[4] = {d->n, d->cin, d->h, d->w}, w[4] = {d->cout, d->cin, d->kh, d->kw};
    const int y[4] = {d->n, d->cout, oh, ow}, b[4] = {1, d->cout, 1, 1};
    memcpy(s->x, x, sizeof x);
    memcpy(s->w, w, sizeof w);
    memcpy(s->y, y, sizeof y);
    memcpy(s->bias, b, sizeof b);
    s->pad_h = s->pad_w = d->pad;
    s->stride_h = s->stride_w = d->stride;
    s->dil_h = s->dil_w = 1;
    return 0;
}

/* ---- the plan cache ------------------------------------------------------ */

static int same_shape(const conv_desc_t *a, const conv_desc_t *b)
{
    return a->n == b->n && a->cin == b->cin && a->h == b->h && a->w == b->w &&
           a->cout == b->cout && a->kh == b->kh && a->kw == b->kw && a->pad == b->pad &&
           a->stride == b->stride && a->oh == b->oh && a->ow == b->ow;
}

int gpu_conv_cache_slot(gpu_conv_cache_t *c, const conv_desc_t *d, int *fresh)
{
    c->clock++;
    for (int i = 0; i < c->used; i++)
        if (same_shape(&c->key[i], d)) {
            c->last_use[i] = c->clock;
            *fresh = 0;
            return i;
        }
    int slot = 0;
    if (c->used < GPU_CONV_CACHE) {
        slot = c->used++;
    } else {
        for (int i = 1; i < GPU_CONV_CACHE; i++)
            if (c->last_use[i] < c->last_use[slot])
                slot = i;
    }
    c->key[slot] = *d;
    c->last_use[slot] = c->clock;
    *fresh = 1;
    return slot;
}

/* ---- choosing an algorithm ----------------------------------------------- */

int gpu_algo_choose(const gpu_algo_t *cand, int count, size_t limit)
{
    for (int i = 0; i < count; i++)
        if (cand[i].ok && cand[i].deterministic && cand[i].fp32 && cand[i].memory <= limit)
            return i;
    return -1;
}

/* ---- growing buffers ----------------------------------------------------- */

size_t gpu_grow(size_t have, size_t need, size_t quantum)
{
    if (need <= have)
        return 0;
    if (!quantum)
        quantum = 1;
    size_t rounded = (need + quantum - 1) / quantum * quantum;
    return rounded < need ? need : rounded; /* need near SIZE_MAX: no rounding */
}

/* ---- messages ------------------------------------------------------------ */

void gpu_cuda_version(char *buf, size_t size, int version)
{
    snprintf(buf, size, "%d.%d", version / 1000, version % 1000 / 10);
}

void gpu_cudnn_version(char *buf, size_t size, size_t version)
{
    if (version >= 90000)
        snprintf(buf, size, "%zu.%zu", version / 10000, version % 10000 / 100);
    else
        snprintf(buf, size, "%zu.%zu", version / 1000, version % 1000 / 100);
}

void gpu_count_message(char *buf, size_t size, int status, const char *name,
                       const char *text, int driver, int runtime)
{
    char have[16], need[16];
    gpu_cuda_version(have, sizeof have, driver);
    gpu_cuda_version(need, sizeof need, runtime);
    switch (status) {
    case 0:
    case GPU_ERR_NO_DEVICE:
        snprintf(buf, size, "no CUDA device (cudaErrorNoDevice)");
        break;
    case GPU_ERR_STUB_LIBRARY:
        snprintf(buf, size,
                 "only the CUDA toolkit's stub libcuda.so was found, no NVIDIA driver "
                 "(cudaErrorStubLibrary)");
        break;
    case GPU_ERR_INSUFFICIENT_DRIVER:
        if (driver <= 0)
            snprintf(buf, size,
                     "no NVIDIA driver (libcuda.so.1 not found; cudaErrorInsufficientDriver)");
        else
            snprintf(buf, size,
                     "the NVIDIA driver supports CUDA %s, older than the CUDA %s this build "
                     "needs (cudaErrorInsufficientDriver)",
                     have, need);
        break;
    default:
        snprintf(buf, size, "cudaGetDeviceCount failed: %s (%s)", text, name);
        break;
    }
}

void gpu_index_message(char *buf, size_t size, int asked, int count)
{
    if (count == 1)
        snprintf(buf, size, "gpu:%d asked, 1 device (gpu:0)", asked);
    else
        snprintf(buf, size, "gpu:%d asked, %d devices (gpu:0 to gpu:%d)", asked, count,
                 count - 1);
}

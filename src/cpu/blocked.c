/* cpu/blocked.c - max pooling straight out of oneDNN's blocked layout, for
 * the fused conv2d_maxpool ops of cpu/conv.c.
 *
 * A convolution's output in nChw16c (or nChw8c) holds 16 (8) channels of
 * one pixel side by side, so a window's max over all those channels is a
 * few vector compares. The forward pools one (image, channel block) at a
 * time and writes the pooled rows out as NCHW (the layout the next layer
 * takes); the backward writes the unpooled gradient straight back in the
 * blocked layout the convolution's backward wants. Neither the conv output
 * nor its gradient ever exists in NCHW, which saves the two reorders of
 * the largest tensors of the air net. NHWC, what oneDNN's AMX kernels
 * use, is the same layout with one block of all the channels. Block 1
 * (plain NCHW) takes the scalar path; results are the same either way:
 * the same comparisons in the same order as the reference max pool
 * (first max wins). In bf16 the backward stores the gradient in bf16, the
 * layout the convolution's backward reads, rounding after each addition
 * (exactly the rounded gradient where windows do not overlap).
 */
#include <stdlib.h>
#include <string.h>

#include "base/bf16.h"
#include "cpu/vecmath.h"
#include "cpu/priv.h"


typedef struct {
    const blocked_t *t;
    int k, s, ph, pw;
    int32_t base;
    float *y;
    const float *dy;
    int32_t *argmax;
    const int32_t *argmax_in;
} pool_job_t;

static int blocks_of(const blocked_t *t) { return (t->c + t->block - 1) / t->block; }

/* the first element of the (h, w, B) plane of image n, channel block cb */
static size_t plane_at(const blocked_t *t, int n, int cb)
{
    return ((size_t)n * blocks_of(t) + cb) * t->h * t->w * t->block;
}

static float *plane_of(const blocked_t *t, int n, int cb) { return t->data + plane_at(t, n, cb); }

/* flat index of channel ci's (h, w) plane of image n in the NCHW view */
static int32_t nchw_plane(const pool_job_t *j, int n, int ci)
{
    return j->base + (int32_t)(((size_t)n * j->t->c + ci) * j->t->h * j->t->w);
}

/* One (image, block of 8 or 16 channels): each output row is pooled into
 * a (pw, B) tile, then written out channel by channel. */
CLONES static void pool_block(const pool_job_t *j, int n, int cb)
{
    const blocked_t *t = j->t;
    const int B = t->block, w = t->w, k = j->k, s = j->s, pw = j->pw;
    const float *plane = plane_of(t, n, cb);
    float tile[pw * B];
    int32_t where[pw * B]; /* in-plane offset iy * w + ix of the max */
    for (int oy = 0; oy < j->ph; oy++) {
        for (int ox = 0; ox < pw; ox++) {
            int origin = oy * s * w + ox * s;
            for (int half = 0; half < B; half += V8) {
                v8f best = v8_load(plane + (size_t)origin * B + half);
                v8i at = (v8i){0} + origin;
                for (int ky = 0; ky < k; ky++)
                    for (int kx = ky ? 0 : 1; kx < k; kx++) {
                        int off = origin + ky * w + kx;
                        v8f v = v8_load(plane + (size_t)off * B + half);
                        v8i m = v > best;
                        best = v8_select(m, v, best);
                        at = (m & off) | (~m & at);
                    }
                v8_store(tile + ox * B + half, best);
                memcpy(where + ox * B + half, &at, sizeof at);
            }
        }
        for (int c = 0; c < B && cb * B + c < t->c; c++) {
            int ci = cb * B + c;
            size_t row = (((size_t)n * t->c + ci) * j->ph + oy) * pw;
            int32_t pbase = nchw_plane(j, n, ci);
            for (int ox = 0; ox < pw; ox++) {
                j->y[row + ox] = tile[ox * B + c];
                j->argmax[row + ox] = pbase + where[ox * B + c];
            }
        }
    }
}

/* One NCHW plane (block 1). */
static void pool_plane(const pool_job_t *j, int n, int ci)
{
    const blocked_t *t = j->t;
    const int w = t->w, k = j->k, s = j->s;
    const float *x = plane_of(t, n, ci);
    size_t out = ((size_t)n * t->c + ci) * j->ph * j->pw;
    int32_t pbase = nchw_plane(j, n, ci);
    for (int oy = 0; oy < j->ph; oy++)
        for (int ox = 0; ox < j->pw; ox++) {
            int best = oy * s * w + ox * s;
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) {
                    int at = (oy * s + ky) * w + ox * s + kx;
                    if (x[at] > x[best])
                        best = at;
                }
            j->y[out + oy * j->pw + ox] = x[best];
            j->argmax[out + oy * j->pw + ox] = pbase + best;
        }
}

static void pool_range(const void *p, size_t lo, size_t hi)
{
    const pool_job_t *j = p;
    const int nb = blocks_of(j->t);
    for (size_t u = lo; u < hi; u++) {
        int n = (int)(u / nb), cb = (int)(u % nb);
        if (j->t->block == 1)
            pool_plane(j, n, cb);
        else
            pool_block(j, n, cb);
    }
}

void blocked_pool_forward(const backend_t *be, const blocked_t *in, int k, int s,
                          int32_t base, float *y, int32_t *argmax)
{
    pool_job_t j = {in, k, s, (in->h - k) / s + 1, (in->w - k) / s + 1, base, y, NULL,
                    argmax, NULL};
    size_t units = (size_t)in->n * blocks_of(in);
    size_t per_unit = (size_t)in->h * in->w * in->block;
    cpu_parallel(be, units, 8192 / per_unit + 1, 1, pool_range, &j);
}

/* scatter_range in bf16 words. */
static void scatter_bf16(const pool_job_t *j, int n, int cb)
{
    const blocked_t *t = j->t;
    const int B = t->block;
    uint16_t *plane = (uint16_t *)t->data + plane_at(t, n, cb);
    memset(plane, 0, (size_t)t->h * t->w * B * sizeof *plane);
    for (int c = 0; c < B && cb * B + c < t->c; c++) {
        int ci = cb * B + c;
        size_t o = ((size_t)n * t->c + ci) * j->ph * j->pw;
        int32_t pbase = nchw_plane(j, n, ci);
        for (int i = 0; i < j->ph * j->pw; i++, o++) {
            uint16_t *at = plane + (size_t)(j->argmax_in[o] - pbase) * B + c;
            *at = bf16_bits(bf16_value(*at) + j->dy[o]);
        }
    }
}

/* One (image, channel block): zero it, then add each dy at its recorded
 * position, channel by channel in output order (the reference's order). */
static void scatter_range(const void *p, size_t lo, size_t hi)
{
    const pool_job_t *j = p;
    const blocked_t *t = j->t;
    const int nb = blocks_of(t), B = t->block, w = t->w;
    for (size_t u = lo; u < hi; u++) {
        int n = (int)(u / nb), cb = (int)(u % nb);
        if (t->bf16) {
            scatter_bf16(j, n, cb);
            continue;
        }
        float *plane = plane_of(t, n, cb);
        memset(plane, 0, (size_t)t->h * w * B * sizeof(float));
        for (int c = 0; c < B && cb * B + c < t->c; c++) {
            int ci = cb * B + c;
            size_t o = ((size_t)n * t->c + ci) * j->ph * j->pw;
            int32_t pbase = nchw_plane(j, n, ci);
            for (int oy = 0; oy < j->ph; oy++)
                for (int ox = 0; ox < j->pw; ox++, o++) {
                    int at = j->argmax_in[o] - pbase; /* iy * w + ix */
                    plane[(size_t)at * B + c] += j->dy[o];
                }
        }
    }
}

void blocked_pool_backward(const backend_t *be, const blocked_t *dx, int k, int s,
                           int32_t base, const int32_t *argmax, const float *dy)
{
    pool_job_t j = {dx, k, s, (dx->h - k) / s + 1, (dx->w - k) / s + 1, base, NULL, dy, NULL,
                    argmax};
    size_t units = (size_t)dx->n * blocks_of(dx);
    size_t per_unit = (size_t)dx->h * dx->w * dx->block;
    cpu_parallel(be, units, 8192 / per_unit + 1, 1, scatter_range, &j);
}

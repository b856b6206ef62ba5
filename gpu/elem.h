/* elem.h - the per-element and per-block work of the CUDA backend's own
 * kernels (gpu/ops.cu), as plain functions that gcc compiles as C11 and
 * nvcc as host and device CUDA C++. The kernels are thin loops around
 * these; tests/test_gpu_elem.c drives the same functions on the CPU the
 * way each kernel does and compares them with the reference backend.
 *
 * Every formula follows engine/backend_ref.c, in the same precision and
 * order wherever the work is per element (so the CPU results are equal to
 * the reference's bit for bit). Reductions (batch-norm statistics and
 * gradient sums, the loss) accumulate in double like the reference, but
 * in the fixed order of a block: thread t of ELEM_BLOCK takes values t,
 * t + ELEM_BLOCK, ..., then a pairwise tree (elem_pair_level) adds the
 * threads' sums. The order is fixed, so results repeat bit for bit.
 *
 * No CUDA header is included here: outside nvcc this is an ordinary C
 * header. */
#ifndef MSCNN_GPU_ELEM_H
#define MSCNN_GPU_ELEM_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "base/philox.h"

#ifdef __CUDACC__
#define ELEM_FN static inline __host__ __device__
#else
#define ELEM_FN static inline
#endif

#define ELEM_BLOCK 256     /* threads of every block; a power of two */
#define ELEM_MAX_GRID 4096 /* blocks of a grid-stride launch at most */
#define ELEM_SQRT1_2 0.70710678118654752440     /* 1 / sqrt(2) */
#define ELEM_INV_SQRT_2PI 0.39894228040143267794 /* 1 / sqrt(2 pi) */

/* ---- launch shapes and index maths ------------------------------------- */

/* Blocks of a grid-stride launch over count elements (count > 0). */
ELEM_FN unsigned elem_grid(size_t count)
{
    size_t b = (count + ELEM_BLOCK - 1) / ELEM_BLOCK;
    return (unsigned)(b < ELEM_MAX_GRID ? b : ELEM_MAX_GRID);
}

/* Output size of a window k, stride s, no padding. */
ELEM_FN int elem_pool_out(int in, int k, int s) { return (in - k) / s + 1; }

/* One channel of an (n, c, hw) tensor: m = n * hw values, value j in row
 * j / hw (the image), column j % hw. */
typedef struct {
    int c, hw;
    size_t m;
} elem_chan_t;

ELEM_FN elem_chan_t elem_chan(int n, int c, int hw)
{
    elem_chan_t s;
    s.c = c;
    s.hw = hw;
    s.m = (size_t)n * hw;
    return s;
}

/* NCHW offset of value j of channel ci */
ELEM_FN size_t elem_chan_at(const elem_chan_t *s, int ci, size_t j)
{
    return (j / s->hw * s->c + ci) * s->hw + j % s->hw;
}

/* ---- element-wise -------------------------------------------------------- */

ELEM_FN float elem_relu(float x) { return x > 0.0f ? x : 0.0f; }
ELEM_FN float elem_relu_grad(float x, float dy) { return x > 0.0f ? dy : 0.0f; }

/* exact GELU, 0.5 x (1 + erf(x / sqrt 2)), in double */
ELEM_FN float elem_gelu(float x)
{
    double v = x;
    return (float)(0.5 * v * (1.0 + erf(v * ELEM_SQRT1_2)));
}

/* d/dx x Phi(x) = Phi(x) + x phi(x), times dy, in double */
ELEM_FN float elem_gelu_grad(float x, float dy)
{
    double v = x;
    double cdf = 0.5 * (1.0 + erf(v * ELEM_SQRT1_2));
    double pdf = ELEM_INV_SQRT_2PI * exp(-0.5 * v * v);
    return (float)(dy * (cdf + v * pdf));
}

ELEM_FN float elem_mul(float x, float mask) { return x * mask; }
ELEM_FN float elem_scale(float alpha, float x) { return alpha * x; }

/* a x + b y; when b is 0, *y is not read (NaN or inf there must not leak) */
ELEM_FN float elem_axpby(float a, float x, float b, const float *y)
{
    return b == 0.0f ? a * x : a * x + b * *y;
}

/* element i of the dropout mask of (seed, stream) */
ELEM_FN float elem_dropout(uint64_t seed, uint64_t stream, size_t i, float p)
{
    return philox_dropout(seed, stream, i, p);
}

/* One SGD element, PyTorch semantics: g = grad + wd p; v = mom v + g;
 * p -= lr (nesterov ? g + mom v : v). */
ELEM_FN void elem_sgd(float *param, float *velocity, float grad, float lr, float mom,
                      float wd, int nesterov)
{
    float p = *param;
    float g = grad + wd * p;
    float v = mom * *velocity + g;
    *velocity = v;
    *param = p - lr * (nesterov ? g + mom * v : v);
}

/* ---- block sums ------------------------------------------------------------ */

/* Two sums carried together through a block's reduction. */
typedef struct {
    double a, b;
} elem_pair_t;

ELEM_FN elem_pair_t elem_pair(double a, double b)
{
    elem_pair_t p;
    p.a = a;
    p.b = b;
    return p;
}

/* One level of a block's pairwise sum over slot[0 .. ELEM_BLOCK): thread
 * t < half adds slot t + half into slot t. The levels run half =
 * ELEM_BLOCK / 2, ..., 1, a barrier after each; slot 0 ends with the sum. */
ELEM_FN void elem_pair_level(elem_pair_t *slot, int t, int half)
{
    if (t < half) {
        slot[t].a += slot[t + half].a;
        slot[t].b += slot[t + half].b;
    }
}

/* ---- batch norm (+ GELU), one block per channel --------------------------- */

/* Thread t's share (values t, t + T, ...) of channel ci's statistics in
 * double: pass 0 sums x, pass 1 sums (x - mean)^2 around pass 0's mean. */
ELEM_FN double elem_bn_part(const elem_chan_t *s, const float *x, int ci, int pass,
                            double mean, int t, int T)
{
    double acc = 0.0;
    for (size_t j = (size_t)t; j < s->m; j += (size_t)T) {
        double v = x[elem_chan_at(s, ci, j)];
        if (pass) {
            double d = v - mean;
            acc += d * d;
        } else {
            acc += v;
        }
    }
    return acc;
}

ELEM_FN double elem_bn_invstd(double var, float eps) { return 1.0 / sqrt(var + eps); }

/* Training statistics of channel ci from the batch mean and biased
 * variance (m values): mean, invstd, and the running statistics moved by
 * momentum (running_var gets the unbiased variance). One thread only. */
ELEM_FN void elem_bn_store(double mu, double var, size_t m, float eps, float momentum,
                           int ci, float *mean, float *invstd, float *running_mean,
                           float *running_var)
{
    double md = (double)m;
    double unbiased = md > 1 ? var * md / (md - 1) : var;
    mean[ci] = (float)mu;
    invstd[ci] = (float)elem_bn_invstd(var, eps);
    running_mean[ci] = (float)((1.0 - momentum) * running_mean[ci] + momentum * mu);
    running_var[ci] = (float)((1.0 - momentum) * running_var[ci] + momentum * unbiased);
}

/* What one channel's elements need: z = (x - mean) * scale + shift in
 * float as the reference, and for the backward the double mean, invstd
 * and gamma. gamma NULL is a scale frozen at 1, beta NULL a shift of 0. */
typedef struct {
    float mean, scale, shift;
    double mu, is, g;
    int gelu;
} elem_bn_chan_t;

ELEM_FN elem_bn_chan_t elem_bn_chan(const float *gamma, const float *beta, int ci,
                                    float mean, double is, int gelu)
{
    elem_bn_chan_t p;
    p.g = gamma ? gamma[ci] : 1.0;
    p.mean = mean;
    p.scale = (float)(p.g * is);
    p.shift = beta ? beta[ci] : 0.0f;
    p.mu = mean;
    p.is = is;
    p.gelu = gelu;
    return p;
}

ELEM_FN float elem_bn_z(const elem_bn_chan_t *p, float x)
{
    return (x - p->mean) * p->scale + p->shift;
}

/* the forward's output: bn(x), or gelu(bn(x)) */
ELEM_FN float elem_bn_y(const elem_bn_chan_t *p, float x)
{
    float z = elem_bn_z(p, x);
    return p->gelu ? elem_gelu(z) : z;
}

/* the gradient reaching bn: dy, or gelu'(bn(x)) dy with bn(x) recomputed */
ELEM_FN float elem_bn_dz(const elem_bn_chan_t *p, float x, float dy)
{
    return p->gelu ? elem_gelu_grad(elem_bn_z(p, x), dy) : dy;
}

/* Thread t's share of y over channel ci. */
ELEM_FN void elem_bn_apply_part(const elem_chan_t *s, const elem_bn_chan_t *p, int ci,
                                const float *x, float *y, int t, int T)
{
    for (size_t j = (size_t)t; j < s->m; j += (size_t)T) {
        size_t o = elem_chan_at(s, ci, j);
        y[o] = elem_bn_y(p, x[o]);
    }
}

/* Thread t's share of the backward sums: a = sum dz, b = sum dz xhat with
 * xhat = (x - mean) invstd, in double. */
ELEM_FN elem_pair_t elem_bn_grad_part(const elem_chan_t *s, const elem_bn_chan_t *p,
                                      int ci, const float *x, const float *dy, int t,
                                      int T)
{
    elem_pair_t acc = elem_pair(0.0, 0.0);
    for (size_t j = (size_t)t; j < s->m; j += (size_t)T) {
        size_t o = elem_chan_at(s, ci, j);
        float dz = elem_bn_dz(p, x[o], dy[o]);
        acc.a += dz;
        acc.b += dz * ((x[o] - p->mu) * p->is);
    }
    return acc;
}

/* dbeta = sum dz, dgamma = sum dz xhat (either NULL: not needed). One
 * thread only. */
ELEM_FN void elem_bn_grad_store(elem_pair_t sums, int ci, float *dgamma, float *dbeta)
{
    if (dbeta)
        dbeta[ci] = (float)sums.a;
    if (dgamma)
        dgamma[ci] = (float)sums.b;
}

/* Thread t's share of dx = g invstd (dz - sum dz / m - xhat sum dz xhat
 * / m) over channel ci; dx may be dy or x (each element is read before it
 * is written, by the same thread). */
ELEM_FN void elem_bn_dx_part(const elem_chan_t *s, const elem_bn_chan_t *p, int ci,
                             const float *x, const float *dy, elem_pair_t sums, float *dx,
                             int t, int T)
{
    double m = (double)s->m;
    for (size_t j = (size_t)t; j < s->m; j += (size_t)T) {
        size_t o = elem_chan_at(s, ci, j);
        double dz = elem_bn_dz(p, x[o], dy[o]);
        double xhat = (x[o] - p->mu) * p->is;
        dx[o] = (float)(p->g * p->is * (dz - sums.a / m - xhat * sums.b / m));
    }
}

/* ---- max pool --------------------------------------------------------------- */

/* window k, stride s, no padding, over planes (h, w) -> (oh, ow) */
typedef struct {
    int h, w, k, s, oh, ow;
} elem_pool_t;

ELEM_FN elem_pool_t elem_pool(int h, int w, int k, int s)
{
    elem_pool_t g;
    g.h = h;
    g.w = w;
    g.k = k;
    g.s = s;
    g.oh = elem_pool_out(h, k, s);
    g.ow = elem_pool_out(w, k, s);
    return g;
}

/* Output o (flat over (n, c, oh, ow)): the flat index into x of its
 * window's max, the first in row-major order on ties (strict >). */
ELEM_FN size_t elem_pool_argmax(const elem_pool_t *g, const float *x, size_t o)
{
    size_t per = (size_t)g->oh * g->ow, pl = o / per;
    int oy = (int)(o % per) / g->ow, ox = (int)(o % per) % g->ow;
    size_t row0 = pl * g->h * g->w + (size_t)(oy * g->s) * g->w + (size_t)ox * g->s;
    size_t best = row0;
    for (int ky = 0; ky < g->k; ky++)
        for (int kx = 0; kx < g->k; kx++) {
            size_t at = row0 + (size_t)ky * g->w + kx;
            if (x[at] > x[best])
                best = at;
        }
    return best;
}

/* The first and last windows (along one axis) that hold input i; an empty
 * range (lo > hi) for the rows or columns past the last window. */
ELEM_FN int elem_window_lo(int i, int k, int s) { return i < k ? 0 : (i - k + s) / s; }
ELEM_FN int elem_window_hi(int i, int s, int out) { return i / s < out - 1 ? i / s : out - 1; }

/* dx of input i (flat over (n, c, h, w)), the backward's scatter as a
 * gather: the sum of dy over the outputs whose argmax is i, in output
 * order as the reference adds them (so overlapping windows give its exact
 * sums). argmax is the forward's: each index lies in its own window. */
ELEM_FN float elem_pool_grad(const elem_pool_t *g, const int32_t *argmax, const float *dy,
                             size_t i)
{
    size_t plane = (size_t)g->h * g->w, pl = i / plane;
    int iy = (int)(i % plane) / g->w, ix = (int)(i % plane) % g->w;
    int oy1 = elem_window_hi(iy, g->s, g->oh), ox1 = elem_window_hi(ix, g->s, g->ow);
    float acc = 0.0f;
    for (int oy = elem_window_lo(iy, g->k, g->s); oy <= oy1; oy++)
        for (int ox = elem_window_lo(ix, g->k, g->s); ox <= ox1; ox++) {
            size_t o = (pl * g->oh + oy) * g->ow + ox;
            if (argmax[o] == (int32_t)i)
                acc += dy[o];
        }
    return acc;
}

/* ---- softmax cross-entropy ------------------------------------------------------ */

/* One row of k logits z with label `label`, smoothing eps (target (1 -
 * eps) on the label plus eps / k everywhere), n rows in all: writes p (k),
 * and dl (k) = (p - target) / n, the gradient of the MEAN loss, unless
 * NULL. Returns the row's loss logsumexp(z) - sum target z in double in
 * *loss, and 1 when the first largest probability is at the label. */
ELEM_FN int elem_xent_row(int k, const float *z, int label, float smoothing, int n,
                          float *p, float *dl, double *loss)
{
    double off = smoothing / (double)k, on = 1.0 - smoothing + off;
    double zmax = z[0], sum = 0.0, tz = 0.0;
    for (int j = 1; j < k; j++)
        if (z[j] > zmax)
            zmax = z[j];
    for (int j = 0; j < k; j++) {
        sum += exp(z[j] - zmax);
        tz += (j == label ? on : off) * z[j];
    }
    int best = 0;
    float pbest = 0.0f;
    for (int j = 0; j < k; j++) {
        float pj = (float)(exp(z[j] - zmax) / sum);
        p[j] = pj;
        if (j == 0 || pj > pbest)
            best = j, pbest = pj;
    }
    if (dl)
        for (int j = 0; j < k; j++)
            dl[j] = (float)((p[j] - (j == label ? on : off)) / n);
    *loss = zmax + log(sum) - tz;
    return best == label;
}

/* Rows first, first + step, ... of (n, k): the rows' loss sum and hits. */
ELEM_FN elem_pair_t elem_xent_part(int n, int k, const float *logits, const int32_t *labels,
                                   float smoothing, float *probs, float *dlogits,
                                   size_t first, size_t step)
{
    elem_pair_t acc = elem_pair(0.0, 0.0);
    for (size_t r = first; r < (size_t)n; r += step) {
        double loss;
        size_t at = r * (size_t)k;
        acc.b += elem_xent_row(k, logits + at, labels[r], smoothing, n, probs + at,
                               dlogits ? dlogits + at : NULL, &loss);
        acc.a += loss;
    }
    return acc;
}

/* stats[0] += summed loss, stats[1] += hits. One thread only. */
ELEM_FN void elem_xent_store(elem_pair_t sums, float *stats)
{
    stats[0] += (float)sums.a;
    stats[1] += (float)sums.b;
}

#endif

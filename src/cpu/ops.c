/* cpu/ops.c - the fast CPU backend's own kernels: batch norm (alone and
 * fused with GELU), ReLU, GELU, masks and scales, max pooling and the SGD
 * step. Convolutions and GEMMs are in cpu/conv.c and cpu/linear.c.
 *
 * Parallel structure: cpu_parallel(), OpenMP with be->threads threads and
 * a fixed static split. Element-wise ops split the flat range; batch norm
 * splits the channels (each channel's sums run start to end on one thread,
 * so the result does not even depend on the thread count); pooling splits
 * the (image, channel) planes. The innermost loops (the CLONES functions)
 * are built for x86-64-v3 (AVX2, FMA) and for baseline x86-64
 * (target_clones, picked by CPU features when the program loads) and
 * vectorised through the 8-wide types of cpu/vecmath.h.
 *
 * Every op here is checked against the reference backend in
 * tests/test_backend.c.
 */
#include <math.h>
#include <string.h>

#include "base/philox.h"
#include "cpu/priv.h"
#include "cpu/vecmath.h"

#define MIN_SPAN 8192    /* element-wise work per thread worth a parallel region */

/* ---- element-wise ------------------------------------------------------ */

typedef struct {
    const float *x, *y2;  /* input, second input (dy or mask) */
    float *y;             /* output */
    float alpha;
} ew_args_t;

CLONES static void relu_span(size_t n, const float *x, float *y)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

CLONES static void relu_grad_span(size_t n, const float *x, const float *dy, float *dx)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

CLONES static void mul_span(size_t n, const float *x, const float *m, float *y)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] * m[i];
}

CLONES static void scale_span(size_t n, float a, const float *x, float *y)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        y[i] = a * x[i];
}

CLONES static void gelu_span(size_t n, const float *x, float *y)
{
    size_t i = 0;
    for (; i + V8 <= n; i += V8)
        v8_store(y + i, v8_gelu(v8_load(x + i)));
    if (i < n)
        v8_store_part(y + i, v8_gelu(v8_load_part(x + i, (int)(n - i))), (int)(n - i));
}

CLONES static void gelu_grad_span(size_t n, const float *x, const float *dy, float *dx)
{
    size_t i = 0;
    for (; i + V8 <= n; i += V8)
        v8_store(dx + i, v8_load(dy + i) * v8_gelu_grad(v8_load(x + i)));
    if (i < n) {
        int r = (int)(n - i);
        v8f g = v8_load_part(dy + i, r) * v8_gelu_grad(v8_load_part(x + i, r));
        v8_store_part(dx + i, g, r);
    }
}

static void relu_range(const void *p, size_t lo, size_t hi)
{
    const ew_args_t *a = p;
    relu_span(hi - lo, a->x + lo, a->y + lo);
}

static void relu_grad_range(const void *p, size_t lo, size_t hi)
{
    const ew_args_t *a = p;
    relu_grad_span(hi - lo, a->x + lo, a->y2 + lo, a->y + lo);
}

static void mul_range(const void *p, size_t lo, size_t hi)
{
    const ew_args_t *a = p;
    mul_span(hi - lo, a->x + lo, a->y2 + lo, a->y + lo);
}

static void scale_range(const void *p, size_t lo, size_t hi)
{
    const ew_args_t *a = p;
    scale_span(hi - lo, a->alpha, a->x + lo, a->y + lo);
}

static void gelu_range(const void *p, size_t lo, size_t hi)
{
    const ew_args_t *a = p;
    gelu_span(hi - lo, a->x + lo, a->y + lo);
}

static void gelu_grad_range(const void *p, size_t lo, size_t hi)
{
    const ew_args_t *a = p;
    gelu_grad_span(hi - lo, a->x + lo, a->y2 + lo, a->y + lo);
}

static void elementwise(backend_t *be, size_t count, range_fn fn, const float *x,
                        const float *x2, float *y, float alpha)
{
    ew_args_t a = {x, x2, y, alpha};
    cpu_parallel(be, count, MIN_SPAN, 16, fn, &a);
}

static void cpu_relu_forward(backend_t *be, size_t count, const float *x, float *y)
{
    elementwise(be, count, relu_range, x, NULL, y, 0);
}

static void cpu_relu_backward(backend_t *be, size_t count, const float *x, const float *dy,
                              float *dx)
{
    elementwise(be, count, relu_grad_range, x, dy, dx, 0);
}

static void cpu_gelu_forward(backend_t *be, size_t count, const float *x, float *y)
{
    elementwise(be, count, gelu_range, x, NULL, y, 0);
}

static void cpu_gelu_backward(backend_t *be, size_t count, const float *x, const float *dy,
                              float *dx)
{
    elementwise(be, count, gelu_grad_range, x, dy, dx, 0);
}

static void cpu_mul(backend_t *be, size_t count, const float *x, const float *mask, float *y)
{
    elementwise(be, count, mul_range, x, mask, y, 0);
}

static void cpu_scale(backend_t *be, size_t count, float alpha, const float *x, float *y)
{
    elementwise(be, count, scale_range, x, NULL, y, alpha);
}

/* ---- dropout masks ------------------------------------------------------- */

typedef struct {
    float *mask;
    uint64_t seed, stream;
    float p;
} drop_args_t;

/* lo is a multiple of 4 (cpu_parallel aligns spans to 16), so every
 * thread draws whole Philox blocks, bit for bit the reference's mask */
static void dropout_range(const void *p, size_t lo, size_t hi)
{
    const drop_args_t *a = p;
    philox_dropout_span(a->seed, a->stream, lo, hi, a->p, a->mask);
}

static void cpu_dropout_mask(backend_t *be, size_t count, float p, uint64_t seed,
                             uint64_t stream, float *mask)
{
    drop_args_t a = {mask, seed, stream, p};
    cpu_parallel(be, count, MIN_SPAN, 16, dropout_range, &a);
}

/* ---- batch norm (+ GELU) ------------------------------------------------ */

/* One channel of an (n, c, hw) tensor is n rows of hw floats, row r at
 * x + r * stride. The kernels below walk all rows of one channel; sums run
 * in float lanes within a row and in double across rows. */

/* sum over rows of sum(x) and of sum((x - shift)^2) */
CLONES static void channel_sums(int rows, int len, size_t stride, const float *x,
                                float shift, double *sum, double *sq)
{
    const v8f sh = v8_set(shift);
    double s_all = 0.0, q_all = 0.0;
    for (int r = 0; r < rows; r++, x += stride) {
        v8f s = v8_set(0.0f), q = v8_set(0.0f);
        int i = 0;
        for (; i + V8 <= len; i += V8) {
            v8f v = v8_load(x + i);
            s += v;
            q += (v - sh) * (v - sh);
        }
        float st = 0.0f, qt = 0.0f;
        for (; i < len; i++)
            st += x[i], qt += (x[i] - shift) * (x[i] - shift);
        s_all += v8_hsum(s) + st;
        q_all += v8_hsum(q) + qt;
    }
    *sum = s_all;
    *sq = q_all;
}

/* y = act((x - mean) * scale + shift) over all rows */
CLONES static void bn_apply_rows(int rows, int len, size_t stride, const float *x, float mean,
                                 float scale, float shift, int gelu, float *y)
{
    const v8f m = v8_set(mean), sc = v8_set(scale), sh = v8_set(shift);
    for (int r = 0; r < rows; r++, x += stride, y += stride) {
        int i = 0;
        for (; i + V8 <= len; i += V8) {
            v8f z = (v8_load(x + i) - m) * sc + sh;
            v8_store(y + i, gelu ? v8_gelu(z) : z);
        }
        for (; i < len; i++) {
            float z = (x[i] - mean) * scale + shift;
            y[i] = gelu ? v8_gelu(v8_set(z))[0] : z;
        }
    }
}

/* Backward, first pass: dz = dy (or dy * gelu'(z) with z = (x - mean) *
 * scale + shift), stored to dz_out unless NULL; sums of dz and of
 * dz * (x - mean). */
CLONES static void bn_grad_sums_rows(int rows, int len, size_t stride, const float *x,
                                     const float *dy, float mean, float scale, float shift,
                                     int gelu, float *dz_out, double *sdz, double *sdzx)
{
    const v8f m = v8_set(mean), sc = v8_set(scale), sh = v8_set(shift);
    double s_all = 0.0, q_all = 0.0;
    for (int r = 0; r < rows; r++, x += stride, dy += stride) {
        v8f s = v8_set(0.0f), q = v8_set(0.0f);
        int i = 0;
        for (; i + V8 <= len; i += V8) {
            v8f xc = v8_load(x + i) - m, dz = v8_load(dy + i);
            if (gelu)
                dz = dz * v8_gelu_grad(xc * sc + sh);
            if (dz_out)
                v8_store(dz_out + i, dz);
            s += dz;
            q += dz * xc;
        }
        float st = 0.0f, qt = 0.0f;
        for (; i < len; i++) {
            float xc = x[i] - mean, dz = dy[i];
            if (gelu)
                dz *= v8_gelu_grad(v8_set(xc * scale + shift))[0];
            if (dz_out)
                dz_out[i] = dz;
            st += dz, qt += dz * xc;
        }
        s_all += v8_hsum(s) + st;
        q_all += v8_hsum(q) + qt;
        if (dz_out)
            dz_out += stride;
    }
    *sdz = s_all;
    *sdzx = q_all;
}

/* dx = k_dz * dz + k_x * (x - mean) + k_c over all rows (dz may be dx) */
CLONES static void bn_grad_apply_rows(int rows, int len, size_t stride, const float *x,
                                      const float *dz, float mean, float k_dz, float k_x,
                                      float k_c, float *dx)
{
    const v8f m = v8_set(mean), a = v8_set(k_dz), b = v8_set(k_x), c = v8_set(k_c);
    for (int r = 0; r < rows; r++, x += stride, dz += stride, dx += stride) {
        int i = 0;
        for (; i + V8 <= len; i += V8)
            v8_store(dx + i, a * v8_load(dz + i) + b * (v8_load(x + i) - m) + c);
        for (; i < len; i++)
            dx[i] = k_dz * dz[i] + k_x * (x[i] - mean) + k_c;
    }
}

typedef struct {
    int n, c, hw, gelu;
    const float *x, *gamma, *beta;
    float eps, momentum;
    float *running_mean, *running_var, *mean, *invstd;  /* (c) */
    const float *dy;
    float *y, *dx, *dgamma, *dbeta;
} bn_args_t;

/* offset of channel ci's first row; rows are c * hw apart */
static size_t chan(const bn_args_t *a, int ci) { return (size_t)ci * a->hw; }
static size_t row_stride(const bn_args_t *a) { return (size_t)a->c * a->hw; }

/* Mean and biased variance of one channel, exact two-pass. */
static void channel_stats(const bn_args_t *a, int ci, double *mean, double *var)
{
    double m = (double)a->n * a->hw, s, q;
    const float *x = a->x + chan(a, ci);
    channel_sums(a->n, a->hw, row_stride(a), x, 0.0f, &s, &q);
    *mean = s / m;
    channel_sums(a->n, a->hw, row_stride(a), x, (float)*mean, &s, &q);
    *var = q / m;
}

static void apply_channel(const bn_args_t *a, int ci, float mean, float scale, float shift)
{
    bn_apply_rows(a->n, a->hw, row_stride(a), a->x + chan(a, ci), mean, scale, shift, a->gelu,
                  a->y + chan(a, ci));
}

static void bn_train_range(const void *p, size_t lo, size_t hi)
{
    const bn_args_t *a = p;
    double m = (double)a->n * a->hw;
    for (int ci = (int)lo; ci < (int)hi; ci++) {
        double mu, var;
        channel_stats(a, ci, &mu, &var);
        double is = 1.0 / sqrt(var + a->eps);
        a->mean[ci] = (float)mu;
        a->invstd[ci] = (float)is;
        double unbiased = m > 1 ? var * m / (m - 1) : var;
        double mo = a->momentum;
        a->running_mean[ci] = (float)((1.0 - mo) * a->running_mean[ci] + mo * mu);
        a->running_var[ci] = (float)((1.0 - mo) * a->running_var[ci] + mo * unbiased);
        double g = a->gamma ? a->gamma[ci] : 1.0, bt = a->beta ? a->beta[ci] : 0.0;
        apply_channel(a, ci, (float)mu, (float)(g * is), (float)bt);
    }
}

static void bn_infer_range(const void *p, size_t lo, size_t hi)
{
    const bn_args_t *a = p;
    for (int ci = (int)lo; ci < (int)hi; ci++) {
        double is = 1.0 / sqrt((double)a->running_var[ci] + a->eps);
        double g = a->gamma ? a->gamma[ci] : 1.0, bt = a->beta ? a->beta[ci] : 0.0;
        apply_channel(a, ci, a->running_mean[ci], (float)(g * is), (float)bt);
    }
}

static void bn_backward_range(const void *p, size_t lo, size_t hi)
{
    const bn_args_t *a = p;
    double m = (double)a->n * a->hw;
    for (int ci = (int)lo; ci < (int)hi; ci++) {
        double mu = a->mean[ci], is = a->invstd[ci], sdz, sdzx;
        double g = a->gamma ? a->gamma[ci] : 1.0, bt = a->beta ? a->beta[ci] : 0.0;
        const float *x = a->x + chan(a, ci), *dy = a->dy + chan(a, ci);
        float *dx = a->dx ? a->dx + chan(a, ci) : NULL;
        /* with GELU fused, dz goes to dx and the second pass reads it back */
        int keep_dz = a->gelu && dx;
        bn_grad_sums_rows(a->n, a->hw, row_stride(a), x, dy, (float)mu, (float)(g * is),
                          (float)bt, a->gelu, keep_dz ? dx : NULL, &sdz, &sdzx);
        sdzx *= is; /* sum dz * xhat */
        if (a->dbeta)
            a->dbeta[ci] = (float)sdz;
        if (a->dgamma)
            a->dgamma[ci] = (float)sdzx;
        if (!dx)
            continue;
        /* dx = g is (dz - sdz / m - xhat sdzx / m) */
        float k_dz = (float)(g * is), k_x = (float)(-g * is * is * sdzx / m);
        float k_c = (float)(-g * is * sdz / m);
        bn_grad_apply_rows(a->n, a->hw, row_stride(a), x, keep_dz ? dx : dy, (float)mu, k_dz,
                           k_x, k_c, dx);
    }
}

/* channels per thread: at least one, and enough work to be worth a thread */
static void bn_run(backend_t *be, const bn_args_t *a, range_fn fn)
{
    size_t per_channel = (size_t)a->n * a->hw;
    size_t min_channels = per_channel >= MIN_SPAN ? 1 : MIN_SPAN / (per_channel ? per_channel : 1);
    cpu_parallel(be, (size_t)a->c, min_channels, 1, fn, a);
}

static void bn_train(backend_t *be, int gelu, int n, int c, int hw, const float *x,
                     const float *gamma, const float *beta, float eps, float momentum,
                     float *running_mean, float *running_var, float *mean, float *invstd,
                     float *y)
{
    bn_args_t a = {.n = n, .c = c, .hw = hw, .gelu = gelu, .x = x, .gamma = gamma,
                   .beta = beta, .eps = eps, .momentum = momentum,
                   .running_mean = running_mean, .running_var = running_var,
                   .mean = mean, .invstd = invstd, .y = y};
    bn_run(be, &a, bn_train_range);
}

static void bn_infer(backend_t *be, int gelu, int n, int c, int hw, const float *x,
                     const float *gamma, const float *beta, float eps,
                     const float *running_mean, const float *running_var, float *y)
{
    bn_args_t a = {.n = n, .c = c, .hw = hw, .gelu = gelu, .x = x, .gamma = gamma,
                   .beta = beta, .eps = eps, .running_mean = (float *)running_mean,
                   .running_var = (float *)running_var, .y = y};
    bn_run(be, &a, bn_infer_range);
}

static void bn_backward(backend_t *be, int gelu, int n, int c, int hw, const float *x,
                        const float *gamma, const float *beta, const float *mean,
                        const float *invstd, const float *dy, float *dx, float *dgamma,
                        float *dbeta)
{
    bn_args_t a = {.n = n, .c = c, .hw = hw, .gelu = gelu, .x = x, .gamma = gamma,
                   .beta = beta, .mean = (float *)mean, .invstd = (float *)invstd, .dy = dy,
                   .dx = dx, .dgamma = dgamma, .dbeta = dbeta};
    bn_run(be, &a, bn_backward_range);
}

static void cpu_bn_forward_train(backend_t *be, int n, int c, int hw, const float *x,
                                 const float *gamma, const float *beta, float eps,
                                 float momentum, float *running_mean, float *running_var,
                                 float *mean, float *invstd, float *y)
{
    bn_train(be, 0, n, c, hw, x, gamma, beta, eps, momentum, running_mean, running_var,
             mean, invstd, y);
}

static void cpu_bn_forward_infer(backend_t *be, int n, int c, int hw, const float *x,
                                 const float *gamma, const float *beta, float eps,
                                 const float *running_mean, const float *running_var,
                                 float *y)
{
    bn_infer(be, 0, n, c, hw, x, gamma, beta, eps, running_mean, running_var, y);
}

static void cpu_bn_backward(backend_t *be, int n, int c, int hw, const float *x,
                            const float *gamma, const float *mean, const float *invstd,
                            const float *dy, float *dx, float *dgamma, float *dbeta)
{
    bn_backward(be, 0, n, c, hw, x, gamma, NULL, mean, invstd, dy, dx, dgamma, dbeta);
}

static void cpu_bn_gelu_forward_train(backend_t *be, int n, int c, int hw, const float *x,
                                      const float *gamma, const float *beta, float eps,
                                      float momentum, float *running_mean,
                                      float *running_var, float *mean, float *invstd,
                                      float *y)
{
    bn_train(be, 1, n, c, hw, x, gamma, beta, eps, momentum, running_mean, running_var,
             mean, invstd, y);
}

static void cpu_bn_gelu_forward_infer(backend_t *be, int n, int c, int hw, const float *x,
                                      const float *gamma, const float *beta, float eps,
                                      const float *running_mean, const float *running_var,
                                      float *y)
{
    bn_infer(be, 1, n, c, hw, x, gamma, beta, eps, running_mean, running_var, y);
}

static void cpu_bn_gelu_backward(backend_t *be, int n, int c, int hw, const float *x,
                                 const float *gamma, const float *beta, const float *mean,
                                 const float *invstd, const float *dy, float *dx,
                                 float *dgamma, float *dbeta)
{
    bn_backward(be, 1, n, c, hw, x, gamma, beta, mean, invstd, dy, dx, dgamma, dbeta);
}

/* ---- max pool ----------------------------------------------------------- */

typedef struct {
    int h, w, k, s, oh, ow;
    const float *x;
    float *y;
    int32_t *argmax;
    const int32_t *argmax_in;
    const float *dy;
    float *dx;
} pool_args_t;

/* one plane (h, w) -> (oh, ow); argmax flat into x, first max wins */
static void pool_plane(const pool_args_t *a, size_t pl)
{
    const size_t xbase = pl * a->h * a->w;
    const float *x = a->x;
    float *y = a->y + pl * a->oh * a->ow;
    int32_t *am = a->argmax + pl * a->oh * a->ow;
    for (int oy = 0; oy < a->oh; oy++) {
        for (int ox = 0; ox < a->ow; ox++) {
            size_t best = xbase + (size_t)(oy * a->s) * a->w + ox * a->s;
            for (int ky = 0; ky < a->k; ky++) {
                const size_t row = xbase + (size_t)(oy * a->s + ky) * a->w + ox * a->s;
                for (int kx = 0; kx < a->k; kx++)
                    if (x[row + kx] > x[best])
                        best = row + kx;
            }
            y[oy * a->ow + ox] = x[best];
            am[oy * a->ow + ox] = (int32_t)best;
        }
    }
}

/* The common 2x2 stride-2 window over planes [p0, p1): the same
 * comparisons in the same order as the reference (first max wins), eight
 * outputs at a time: even and odd columns of two rows are split with
 * shuffles, and the winner's position is tracked as 0..3. */
CLONES static void pool2_planes(const pool_args_t *a, size_t p0, size_t p1)
{
    const v8i lane = {0, 1, 2, 3, 4, 5, 6, 7};
    const int w = a->w;
    for (size_t pl = p0; pl < p1; pl++) {
        const size_t xbase = pl * a->h * w;
        float *y = a->y + pl * a->oh * a->ow;
        int32_t *am = a->argmax + pl * a->oh * a->ow;
        for (int oy = 0; oy < a->oh; oy++) {
            const size_t r0 = xbase + (size_t)(2 * oy) * w;
            const float *x0 = a->x + r0, *x1 = x0 + w;
            int ox = 0;
            for (; 2 * ox + 16 <= w; ox += V8) {
                v8f a0 = v8_load(x0 + 2 * ox), b0 = v8_load(x0 + 2 * ox + V8);
                v8f a1 = v8_load(x1 + 2 * ox), b1 = v8_load(x1 + 2 * ox + V8);
                v8f best = V8_EVEN(a0, b0);
                v8i at = {0};
                v8f c = V8_ODD(a0, b0);
                v8i m = c > best;
                best = v8_select(m, c, best), at = (m & 1) | (~m & at);
                c = V8_EVEN(a1, b1);
                m = c > best;
                best = v8_select(m, c, best), at = (m & 2) | (~m & at);
                c = V8_ODD(a1, b1);
                m = c > best;
                best = v8_select(m, c, best), at = (m & 3) | (~m & at);
                v8i flat = (int32_t)r0 + 2 * (ox + lane) + (at & 1) + (at >> 1) * w;
                v8_store(y + oy * a->ow + ox, best);
                memcpy(am + oy * a->ow + ox, &flat, sizeof flat);
            }
            for (; ox < a->ow; ox++) {
                int c = 2 * ox;
                float best = x0[c];
                size_t at = r0 + c;
                if (x0[c + 1] > best)
                    best = x0[c + 1], at = r0 + c + 1;
                if (x1[c] > best)
                    best = x1[c], at = r0 + w + c;
                if (x1[c + 1] > best)
                    best = x1[c + 1], at = r0 + w + c + 1;
                y[oy * a->ow + ox] = best;
                am[oy * a->ow + ox] = (int32_t)at;
            }
        }
    }
}

static void pool_range(const void *p, size_t lo, size_t hi)
{
    const pool_args_t *a = p;
    if (a->k == 2 && a->s == 2) {
        pool2_planes(a, lo, hi);
        return;
    }
    for (size_t pl = lo; pl < hi; pl++)
        pool_plane(a, pl);
}

/* Each plane's argmax points into the same plane, so planes are
 * independent: zero the plane, then add dy at the recorded positions in
 * order (measured faster than writing each element once). */
static void pool_grad_range(const void *p, size_t lo, size_t hi)
{
    const pool_args_t *a = p;
    const size_t in = (size_t)a->h * a->w, out = (size_t)a->oh * a->ow;
    if (hi > lo)
        memset(a->dx + lo * in, 0, (hi - lo) * in * sizeof(float));
    for (size_t o = lo * out; o < hi * out; o++)
        a->dx[a->argmax_in[o]] += a->dy[o];
}

static void cpu_maxpool_forward(backend_t *be, int n, int c, int h, int w, int k, int s,
                                const float *x, float *y, int32_t *argmax)
{
    pool_args_t a = {h, w, k, s, (h - k) / s + 1, (w - k) / s + 1, x, y, argmax, NULL, NULL,
                     NULL};
    size_t planes = (size_t)n * c, per_plane = (size_t)h * w;
    cpu_parallel(be, planes, MIN_SPAN / per_plane + 1, 1, pool_range, &a);
}

static void cpu_maxpool_backward(backend_t *be, int n, int c, int h, int w, int k, int s,
                                 const int32_t *argmax, const float *dy, float *dx)
{
    pool_args_t a = {h, w, k, s, (h - k) / s + 1, (w - k) / s + 1, NULL, NULL, NULL, argmax,
                     dy, dx};
    size_t planes = (size_t)n * c, per_plane = (size_t)h * w;
    cpu_parallel(be, planes, MIN_SPAN / per_plane + 1, 1, pool_grad_range, &a);
}

/* ---- SGD ---------------------------------------------------------------- */

typedef struct {
    float *param, *velocity;
    const float *grad;
    float lr, momentum, weight_decay;
    int nesterov;
} sgd_args_t;

CLONES static void sgd_span(size_t n, float *p, const float *grad, float *vel, float lr,
                            float mom, float wd, int nesterov)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float g = grad[i] + wd * p[i];
        float v = mom * vel[i] + g;
        vel[i] = v;
        p[i] -= lr * (nesterov ? g + mom * v : v);
    }
}

static void sgd_range(const void *p, size_t lo, size_t hi)
{
    const sgd_args_t *a = p;
    sgd_span(hi - lo, a->param + lo, a->grad + lo, a->velocity + lo, a->lr, a->momentum,
             a->weight_decay, a->nesterov);
}

static void cpu_sgd_step(backend_t *be, size_t count, float *param, const float *grad,
                         float *velocity, float lr, float momentum, float weight_decay,
                         int nesterov)
{
    sgd_args_t a = {param, velocity, grad, lr, momentum, weight_decay, nesterov};
    cpu_parallel(be, count, MIN_SPAN, 16, sgd_range, &a);
}

/* ---- table -------------------------------------------------------------- */

void cpu_ops_init(backend_t *be)
{
    be->relu_forward = cpu_relu_forward;
    be->relu_backward = cpu_relu_backward;
    be->gelu_forward = cpu_gelu_forward;
    be->gelu_backward = cpu_gelu_backward;
    be->mul = cpu_mul;
    be->scale = cpu_scale;
    be->dropout_mask = cpu_dropout_mask;
    be->bn_forward_train = cpu_bn_forward_train;
    be->bn_forward_infer = cpu_bn_forward_infer;
    be->bn_backward = cpu_bn_backward;
    be->bn_gelu_forward_train = cpu_bn_gelu_forward_train;
    be->bn_gelu_forward_infer = cpu_bn_gelu_forward_infer;
    be->bn_gelu_backward = cpu_bn_gelu_backward;
    be->maxpool_forward = cpu_maxpool_forward;
    be->maxpool_backward = cpu_maxpool_backward;
    be->sgd_step = cpu_sgd_step;
}

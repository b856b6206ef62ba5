/* backend_ref.c - the reference CPU backend: plain loops, PyTorch semantics.
 *
 * Every other backend is tested against this one, so clarity comes first;
 * loops still walk memory contiguously in the innermost dimension, and
 * reductions (bias/BN statistics, loss) accumulate in double.
 * All tensors are NCHW float32; shapes are noted on every buffer.
 */
#include "engine/backend.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/bf16.h"
#include "base/philox.h"
#include "base/util.h"
#include "engine/backend_ref.h"

#define SQRT1_2 0.70710678118654752440     /* 1 / sqrt(2) */
#define INV_SQRT_2PI 0.39894228040143267794 /* 1 / sqrt(2 pi) */

void conv_desc_init(conv_desc_t *d, int n, int cin, int h, int w, int cout,
                    int k, int pad, int stride)
{
    d->n = n;
    d->cin = cin;
    d->h = h;
    d->w = w;
    d->cout = cout;
    d->kh = k;
    d->kw = k;
    d->pad = pad;
    d->stride = stride;
    d->oh = (h + 2 * pad - k) / stride + 1;
    d->ow = (w + 2 * pad - k) / stride + 1;
}

/* ---- memory ------------------------------------------------------------ */

float *ref_alloc(backend_t *be, size_t count)
{
    (void)be;
    return afloat(count); /* zero-filled, 64-byte aligned */
}

int32_t *ref_alloc_i32(backend_t *be, size_t count)
{
    (void)be;
    return (int32_t *)afloat(count); /* the same zero-filled 4-byte slots */
}

void ref_free(backend_t *be, void *p)
{
    (void)be;
    afree(p);
}

/* Host memory on both sides: upload, download and copy are one memcpy. */
void ref_upload(backend_t *be, float *dst, const float *src, size_t count)
{
    (void)be;
    memcpy(dst, src, count * sizeof(float));
}

void ref_download(backend_t *be, float *dst, const float *src, size_t count)
{
    ref_upload(be, dst, src, count);
}

void ref_upload_i32(backend_t *be, int32_t *dst, const int32_t *src, size_t count)
{
    (void)be;
    memcpy(dst, src, count * sizeof(int32_t));
}

void ref_download_i32(backend_t *be, int32_t *dst, const int32_t *src, size_t count)
{
    ref_upload_i32(be, dst, src, count);
}

void ref_copy(backend_t *be, float *dst, const float *src, size_t count)
{
    ref_upload(be, dst, src, count);
}

void ref_copy_rows(backend_t *be, int rows, int width, const float *src, int src_stride,
                   float *dst, int dst_stride)
{
    (void)be;
    for (int r = 0; r < rows; r++)
        memcpy(dst + (size_t)r * dst_stride, src + (size_t)r * src_stride,
               (size_t)width * sizeof(float));
}

/* ---- conv2d ------------------------------------------------------------ */

/* For kernel offset kx: the output columns [*lo, *hi) whose input column
 * ix = ox * stride - pad + kx lies inside [0, in). Keeps the inner loops
 * free of bounds checks. */
static void valid_range(int kx, int pad, int stride, int in, int out, int *lo,
                        int *hi)
{
    int first = pad - kx; /* need ox * stride >= first */
    int last = in - 1 + pad - kx; /* need ox * stride <= last */
    *lo = first <= 0 ? 0 : (first + stride - 1) / stride;
    *hi = last < 0 ? 0 : last / stride + 1;
    if (*hi > out)
        *hi = out;
    if (*lo > *hi)
        *lo = *hi;
}

/* The operand a convolution reads: src itself, or in bf16 mode a copy
 * rounded to bf16 (released by operand_done). */
static const float *operand(const backend_t *be, const float *src, size_t count)
{
    if (!be->bf16 || !src)
        return src;
    float *r = afloat(count);
    for (size_t i = 0; i < count; i++)
        r[i] = bf16_round(src[i]);
    return r;
}

static void operand_done(const float *used, const float *src)
{
    if (used != src)
        afree((float *)used);
}

static size_t conv_x_count(const conv_desc_t *d) { return (size_t)d->n * d->cin * d->h * d->w; }
static size_t conv_w_count(const conv_desc_t *d)
{
    return (size_t)d->cout * d->cin * d->kh * d->kw;
}
static size_t conv_y_count(const conv_desc_t *d) { return (size_t)d->n * d->cout * d->oh * d->ow; }

static void conv_forward(const conv_desc_t *d, const float *x, const float *w, const float *b,
                         float *y)
{
    /* x (n, cin, h, w), w (cout, cin, kh, kw), b (cout), y (n, cout, oh, ow) */
    const int s = d->stride, p = d->pad;
    for (int n = 0; n < d->n; n++) {
        for (int co = 0; co < d->cout; co++) {
            float *yp = y + ((size_t)n * d->cout + co) * d->oh * d->ow; /* (oh, ow) */
            float bias = b ? b[co] : 0.0f;
            for (int i = 0; i < d->oh * d->ow; i++)
                yp[i] = bias;
            for (int ci = 0; ci < d->cin; ci++) {
                const float *xp = x + ((size_t)n * d->cin + ci) * d->h * d->w; /* (h, w) */
                const float *wp = w + ((size_t)co * d->cin + ci) * d->kh * d->kw; /* (kh, kw) */
                for (int ky = 0; ky < d->kh; ky++) {
                    int oy0, oy1;
                    valid_range(ky, p, s, d->h, d->oh, &oy0, &oy1);
                    for (int kx = 0; kx < d->kw; kx++) {
                        int ox0, ox1;
                        valid_range(kx, p, s, d->w, d->ow, &ox0, &ox1);
                        float wv = wp[ky * d->kw + kx];
                        for (int oy = oy0; oy < oy1; oy++) {
                            const float *xr = xp + (size_t)(oy * s - p + ky) * d->w; /* (w) */
                            float *yr = yp + (size_t)oy * d->ow;                    /* (ow) */
                            for (int ox = ox0; ox < ox1; ox++)
                                yr[ox] += wv * xr[ox * s - p + kx];
                        }
                    }
                }
            }
        }
    }
}

/* db (cout) = sum of dy (n, cout, oh, ow) over n, oh, ow */
static void conv_bias_grad(const conv_desc_t *d, const float *dy, float *db)
{
    const size_t plane = (size_t)d->oh * d->ow;
    for (int co = 0; co < d->cout; co++) {
        double acc = 0.0;
        for (int n = 0; n < d->n; n++) {
            const float *dyp = dy + ((size_t)n * d->cout + co) * plane;
            for (size_t i = 0; i < plane; i++)
                acc += dyp[i];
        }
        db[co] = (float)acc;
    }
}

/* dw (cout, cin, kh, kw)[co,ci,ky,kx] = sum_{n,oy,ox} dy[n,co,oy,ox] * x[n,ci,iy,ix] */
static void conv_weight_grad(const conv_desc_t *d, const float *x, const float *dy,
                             float *dw)
{
    const int s = d->stride, p = d->pad;
    for (int co = 0; co < d->cout; co++) {
        for (int ci = 0; ci < d->cin; ci++) {
            float *dwp = dw + ((size_t)co * d->cin + ci) * d->kh * d->kw; /* (kh, kw) */
            for (int ky = 0; ky < d->kh; ky++) {
                int oy0, oy1;
                valid_range(ky, p, s, d->h, d->oh, &oy0, &oy1);
                for (int kx = 0; kx < d->kw; kx++) {
                    int ox0, ox1;
                    valid_range(kx, p, s, d->w, d->ow, &ox0, &ox1);
                    double acc = 0.0;
                    for (int n = 0; n < d->n; n++) {
                        const float *xp = x + ((size_t)n * d->cin + ci) * d->h * d->w;
                        const float *dyp = dy + ((size_t)n * d->cout + co) * d->oh * d->ow;
                        for (int oy = oy0; oy < oy1; oy++) {
                            const float *xr = xp + (size_t)(oy * s - p + ky) * d->w;
                            const float *dyr = dyp + (size_t)oy * d->ow;
                            for (int ox = ox0; ox < ox1; ox++)
                                acc += (double)dyr[ox] * xr[ox * s - p + kx];
                        }
                    }
                    dwp[ky * d->kw + kx] = (float)acc;
                }
            }
        }
    }
}

/* dx (n, cin, h, w): zeroed, then every dy scatters back through w */
static void conv_input_grad(const conv_desc_t *d, const float *w, const float *dy,
                            float *dx)
{
    const int s = d->stride, p = d->pad;
    memset(dx, 0, (size_t)d->n * d->cin * d->h * d->w * sizeof(float));
    for (int n = 0; n < d->n; n++) {
        for (int co = 0; co < d->cout; co++) {
            const float *dyp = dy + ((size_t)n * d->cout + co) * d->oh * d->ow; /* (oh, ow) */
            for (int ci = 0; ci < d->cin; ci++) {
                float *dxp = dx + ((size_t)n * d->cin + ci) * d->h * d->w;        /* (h, w) */
                const float *wp = w + ((size_t)co * d->cin + ci) * d->kh * d->kw; /* (kh, kw) */
                for (int ky = 0; ky < d->kh; ky++) {
                    int oy0, oy1;
                    valid_range(ky, p, s, d->h, d->oh, &oy0, &oy1);
                    for (int kx = 0; kx < d->kw; kx++) {
                        int ox0, ox1;
                        valid_range(kx, p, s, d->w, d->ow, &ox0, &ox1);
                        float wv = wp[ky * d->kw + kx];
                        for (int oy = oy0; oy < oy1; oy++) {
                            float *dxr = dxp + (size_t)(oy * s - p + ky) * d->w;
                            const float *dyr = dyp + (size_t)oy * d->ow;
                            for (int ox = ox0; ox < ox1; ox++)
                                dxr[ox * s - p + kx] += wv * dyr[ox];
                        }
                    }
                }
            }
        }
    }
}

static void ref_conv2d_forward(backend_t *be, const conv_desc_t *d, const float *x,
                               const float *w, const float *b, float *y)
{
    const float *xr = operand(be, x, conv_x_count(d)), *wr = operand(be, w, conv_w_count(d));
    conv_forward(d, xr, wr, b, y);
    operand_done(xr, x), operand_done(wr, w);
}

static void ref_conv2d_backward(backend_t *be, const conv_desc_t *d, const float *x,
                                const float *w, const float *dy, float *dx,
                                float *dw, float *db)
{
    const float *dyr = operand(be, dy, conv_y_count(d));
    if (db)
        conv_bias_grad(d, dyr, db);
    if (dw) {
        const float *xr = operand(be, x, conv_x_count(d));
        conv_weight_grad(d, xr, dyr, dw);
        operand_done(xr, x);
    }
    if (dx) {
        const float *wr = operand(be, w, conv_w_count(d));
        conv_input_grad(d, wr, dyr, dx);
        operand_done(wr, w);
    }
    operand_done(dyr, dy);
}

/* conv then max pool through an unpooled (n, cout, oh, ow) temporary */
static void ref_maxpool_forward(backend_t *be, int n, int c, int h, int w, int k,
                                int s, const float *x, float *y, int32_t *argmax);
static void ref_maxpool_backward(backend_t *be, int n, int c, int h, int w, int k,
                                 int s, const int32_t *argmax, const float *dy,
                                 float *dx);

static void ref_conv2d_maxpool_forward(backend_t *be, const conv_desc_t *d, int k, int s,
                                       const float *x, const float *w, const float *b,
                                       float *y, int32_t *argmax)
{
    float *conv = afloat(conv_y_count(d));
    ref_conv2d_forward(be, d, x, w, b, conv);
    ref_maxpool_forward(be, d->n, d->cout, d->oh, d->ow, k, s, conv, y, argmax);
    afree(conv);
}

static void ref_conv2d_maxpool_backward(backend_t *be, const conv_desc_t *d, int k, int s,
                                        const float *x, const float *w,
                                        const int32_t *argmax, const float *dy, float *dx,
                                        float *dw, float *db)
{
    float *dconv = afloat(conv_y_count(d));
    ref_maxpool_backward(be, d->n, d->cout, d->oh, d->ow, k, s, argmax, dy, dconv);
    ref_conv2d_backward(be, d, x, w, dconv, dx, dw, db);
    afree(dconv);
}

/* ---- linear ------------------------------------------------------------ */

static void ref_linear_forward(backend_t *be, int n, int in, int out, const float *x,
                               const float *w, const float *b, float *y)
{
    (void)be;
    /* x (n, in), w (out, in), b (out), y (n, out) */
    for (int i = 0; i < n; i++) {
        const float *xr = x + (size_t)i * in;
        for (int o = 0; o < out; o++) {
            const float *wr = w + (size_t)o * in;
            float acc = b ? b[o] : 0.0f;
            for (int j = 0; j < in; j++)
                acc += xr[j] * wr[j];
            y[(size_t)i * out + o] = acc;
        }
    }
}

static void ref_linear_backward(backend_t *be, int n, int in, int out, const float *x,
                                const float *w, const float *dy, float *dx,
                                float *dw, float *db)
{
    (void)be;
    /* x (n, in), w (out, in), dy (n, out); dx (n, in), dw (out, in), db (out) */
    if (db) {
        for (int o = 0; o < out; o++) {
            double acc = 0.0;
            for (int i = 0; i < n; i++)
                acc += dy[(size_t)i * out + o];
            db[o] = (float)acc;
        }
    }
    if (dw) { /* dw = dy^T . x */
        memset(dw, 0, (size_t)out * in * sizeof(float));
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) {
                float g = dy[(size_t)i * out + o];
                const float *xr = x + (size_t)i * in;
                float *dwr = dw + (size_t)o * in;
                for (int j = 0; j < in; j++)
                    dwr[j] += g * xr[j];
            }
    }
    if (dx) { /* dx = dy . w */
        memset(dx, 0, (size_t)n * in * sizeof(float));
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) {
                float g = dy[(size_t)i * out + o];
                const float *wr = w + (size_t)o * in;
                float *dxr = dx + (size_t)i * in;
                for (int j = 0; j < in; j++)
                    dxr[j] += g * wr[j];
            }
    }
}

/* ---- batch norm -------------------------------------------------------- */

/* Mean and biased variance of channel ci of x (n, c, hw), in double. */
static void bn_channel_stats(int n, int c, int hw, const float *x, int ci,
                             double *mean, double *var)
{
    double m = (double)n * hw, sum = 0.0, sq = 0.0;
    for (int i = 0; i < n; i++) {
        const float *xp = x + ((size_t)i * c + ci) * hw;
        for (int j = 0; j < hw; j++)
            sum += xp[j];
    }
    *mean = sum / m;
    for (int i = 0; i < n; i++) {
        const float *xp = x + ((size_t)i * c + ci) * hw;
        for (int j = 0; j < hw; j++) {
            double dv = xp[j] - *mean;
            sq += dv * dv;
        }
    }
    *var = sq / m;
}

/* y = (x - mean) * scale + shift on channel ci of (n, c, hw) */
static void bn_apply(int n, int c, int hw, const float *x, int ci, float mean,
                     float scale, float shift, float *y)
{
    for (int i = 0; i < n; i++) {
        const float *xp = x + ((size_t)i * c + ci) * hw;
        float *yp = y + ((size_t)i * c + ci) * hw;
        for (int j = 0; j < hw; j++)
            yp[j] = (xp[j] - mean) * scale + shift;
    }
}

static void ref_bn_forward_train(backend_t *be, int n, int c, int hw, const float *x,
                                 const float *gamma, const float *beta, float eps,
                                 float momentum, float *running_mean,
                                 float *running_var, float *mean, float *invstd,
                                 float *y)
{
    (void)be;
    /* x, y (n, c, hw); gamma, beta, running_*, mean, invstd (c) */
    double m = (double)n * hw;
    for (int ci = 0; ci < c; ci++) {
        double mu, var;
        bn_channel_stats(n, c, hw, x, ci, &mu, &var);
        double is = 1.0 / sqrt(var + eps);
        mean[ci] = (float)mu;
        invstd[ci] = (float)is;
        double unbiased = m > 1 ? var * m / (m - 1) : var;
        running_mean[ci] = (float)((1.0 - momentum) * running_mean[ci] + momentum * mu);
        running_var[ci] = (float)((1.0 - momentum) * running_var[ci] + momentum * unbiased);
        double g = gamma ? gamma[ci] : 1.0, bt = beta ? beta[ci] : 0.0;
        bn_apply(n, c, hw, x, ci, (float)mu, (float)(g * is), (float)bt, y);
    }
}

static void ref_bn_forward_infer(backend_t *be, int n, int c, int hw, const float *x,
                                 const float *gamma, const float *beta, float eps,
                                 const float *running_mean, const float *running_var,
                                 float *y)
{
    (void)be;
    /* x, y (n, c, hw); gamma, beta, running_* (c) */
    for (int ci = 0; ci < c; ci++) {
        double is = 1.0 / sqrt((double)running_var[ci] + eps);
        double g = gamma ? gamma[ci] : 1.0, bt = beta ? beta[ci] : 0.0;
        bn_apply(n, c, hw, x, ci, running_mean[ci], (float)(g * is), (float)bt, y);
    }
}

static void ref_bn_backward(backend_t *be, int n, int c, int hw, const float *x,
                            const float *gamma, const float *mean,
                            const float *invstd, const float *dy, float *dx,
                            float *dgamma, float *dbeta)
{
    (void)be;
    /* x, dy, dx (n, c, hw); gamma, mean, invstd, dgamma, dbeta (c).
     * xhat = (x - mean) * invstd; dbeta = sum dy; dgamma = sum dy * xhat;
     * dx = gamma * invstd * (dy - dbeta / m - xhat * dgamma / m) */
    double m = (double)n * hw;
    for (int ci = 0; ci < c; ci++) {
        double mu = mean[ci], is = invstd[ci], sdy = 0.0, sdyx = 0.0;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ci) * hw;
            const float *dyp = dy + ((size_t)i * c + ci) * hw;
            for (int j = 0; j < hw; j++) {
                sdy += dyp[j];
                sdyx += dyp[j] * ((xp[j] - mu) * is);
            }
        }
        if (dbeta)
            dbeta[ci] = (float)sdy;
        if (dgamma)
            dgamma[ci] = (float)sdyx;
        if (!dx)
            continue;
        double g = gamma ? gamma[ci] : 1.0;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ci) * hw;
            const float *dyp = dy + ((size_t)i * c + ci) * hw;
            float *dxp = dx + ((size_t)i * c + ci) * hw;
            for (int j = 0; j < hw; j++) {
                double xhat = (xp[j] - mu) * is;
                dxp[j] = (float)(g * is * (dyp[j] - sdy / m - xhat * sdyx / m));
            }
        }
    }
}

/* ---- element-wise ------------------------------------------------------ */

static void ref_relu_forward(backend_t *be, size_t count, const float *x, float *y)
{
    (void)be;
    for (size_t i = 0; i < count; i++) /* x, y (count) */
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

static void ref_relu_backward(backend_t *be, size_t count, const float *x,
                              const float *dy, float *dx)
{
    (void)be;
    for (size_t i = 0; i < count; i++) /* x, dy, dx (count) */
        dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

static void ref_gelu_forward(backend_t *be, size_t count, const float *x, float *y)
{
    (void)be;
    for (size_t i = 0; i < count; i++) { /* x, y (count) */
        double v = x[i];
        y[i] = (float)(0.5 * v * (1.0 + erf(v * SQRT1_2)));
    }
}

static void ref_gelu_backward(backend_t *be, size_t count, const float *x,
                              const float *dy, float *dx)
{
    (void)be;
    /* d/dx x Phi(x) = Phi(x) + x phi(x); x, dy, dx (count) */
    for (size_t i = 0; i < count; i++) {
        double v = x[i];
        double cdf = 0.5 * (1.0 + erf(v * SQRT1_2));
        double pdf = INV_SQRT_2PI * exp(-0.5 * v * v);
        dx[i] = (float)(dy[i] * (cdf + v * pdf));
    }
}

static void ref_mul(backend_t *be, size_t count, const float *x, const float *mask,
                    float *y)
{
    (void)be;
    for (size_t i = 0; i < count; i++) /* x, mask, y (count) */
        y[i] = x[i] * mask[i];
}

static void ref_scale(backend_t *be, size_t count, float alpha, const float *x, float *y)
{
    (void)be;
    for (size_t i = 0; i < count; i++) /* x, y (count) */
        y[i] = alpha * x[i];
}

void ref_axpby(backend_t *be, size_t count, float a, const float *x, float b, float *y)
{
    (void)be;
    /* x, y (count) */
    if (b == 0.0f)
        for (size_t i = 0; i < count; i++)
            y[i] = a * x[i];
    else
        for (size_t i = 0; i < count; i++)
            y[i] = a * x[i] + b * y[i];
}

void ref_dropout_mask(backend_t *be, size_t count, float p, uint64_t seed, uint64_t stream,
                      float *mask)
{
    (void)be;
    /* mask (count) */
    philox_dropout_span(seed, stream, 0, count, p, mask);
}

/* ---- batch norm + GELU ------------------------------------------------- */

static void ref_bn_gelu_forward_train(backend_t *be, int n, int c, int hw,
                                      const float *x, const float *gamma,
                                      const float *beta, float eps, float momentum,
                                      float *running_mean, float *running_var,
                                      float *mean, float *invstd, float *y)
{
    /* x, y (n, c, hw): y = gelu(bn(x)), bn(x) computed into y first */
    ref_bn_forward_train(be, n, c, hw, x, gamma, beta, eps, momentum, running_mean,
                         running_var, mean, invstd, y);
    ref_gelu_forward(be, (size_t)n * c * hw, y, y);
}

static void ref_bn_gelu_forward_infer(backend_t *be, int n, int c, int hw,
                                      const float *x, const float *gamma,
                                      const float *beta, float eps,
                                      const float *running_mean,
                                      const float *running_var, float *y)
{
    ref_bn_forward_infer(be, n, c, hw, x, gamma, beta, eps, running_mean, running_var, y);
    ref_gelu_forward(be, (size_t)n * c * hw, y, y);
}

static void ref_bn_gelu_backward(backend_t *be, int n, int c, int hw, const float *x,
                                 const float *gamma, const float *beta,
                                 const float *mean, const float *invstd,
                                 const float *dy, float *dx, float *dgamma,
                                 float *dbeta)
{
    /* z = bn(x) recomputed (n, c, hw); dz = gelu'(z) dy; then bn backward */
    size_t count = (size_t)n * c * hw;
    float *z = afloat(count), *dz = afloat(count);
    for (int ci = 0; ci < c; ci++) {
        double g = gamma ? gamma[ci] : 1.0, bt = beta ? beta[ci] : 0.0;
        bn_apply(n, c, hw, x, ci, mean[ci], (float)(g * invstd[ci]), (float)bt, z);
    }
    ref_gelu_backward(be, count, z, dy, dz);
    ref_bn_backward(be, n, c, hw, x, gamma, mean, invstd, dz, dx, dgamma, dbeta);
    afree(z);
    afree(dz);
}

/* ---- max pool ---------------------------------------------------------- */

static void ref_maxpool_forward(backend_t *be, int n, int c, int h, int w, int k,
                                int s, const float *x, float *y, int32_t *argmax)
{
    (void)be;
    /* x (n, c, h, w); y, argmax (n, c, oh, ow); argmax is a flat index into x */
    const int oh = (h - k) / s + 1, ow = (w - k) / s + 1;
    for (size_t pl = 0; pl < (size_t)n * c; pl++) {
        const size_t xbase = pl * h * w;
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                size_t best = xbase + (size_t)(oy * s) * w + ox * s;
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        size_t at = xbase + (size_t)(oy * s + ky) * w + ox * s + kx;
                        if (x[at] > x[best]) /* strict: first max wins */
                            best = at;
                    }
                size_t o = (pl * oh + oy) * ow + ox;
                y[o] = x[best];
                argmax[o] = (int32_t)best;
            }
        }
    }
}

static void ref_maxpool_backward(backend_t *be, int n, int c, int h, int w, int k,
                                 int s, const int32_t *argmax, const float *dy,
                                 float *dx)
{
    (void)be;
    /* argmax, dy (n, c, oh, ow); dx (n, c, h, w) */
    const size_t out = (size_t)n * c * ((h - k) / s + 1) * ((w - k) / s + 1);
    memset(dx, 0, (size_t)n * c * h * w * sizeof(float));
    for (size_t o = 0; o < out; o++)
        dx[argmax[o]] += dy[o];
}

/* ---- loss -------------------------------------------------------------- */

void ref_softmax_xent(backend_t *be, int n, int k, const float *logits, const int32_t *labels,
                      float smoothing, float *probs, float *dlogits, float *stats)
{
    (void)be;
    /* logits, probs, dlogits (n, k); labels (n); stats (2).
     * target t_j = (1 - eps) [j == label] + eps / k;
     * loss_i = -sum_j t_j log p_j = logsumexp(z) - sum_j t_j z_j */
    double total = 0.0, off = smoothing / (double)k, on = 1.0 - smoothing + off;
    int hits = 0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * k;
        float *p = probs + (size_t)i * k;
        double zmax = z[0], sum = 0.0, tz = 0.0;
        for (int j = 1; j < k; j++)
            if (z[j] > zmax)
                zmax = z[j];
        for (int j = 0; j < k; j++) {
            sum += exp(z[j] - zmax);
            tz += (j == labels[i] ? on : off) * z[j];
        }
        int best = 0;
        for (int j = 0; j < k; j++) {
            p[j] = (float)(exp(z[j] - zmax) / sum);
            if (p[j] > p[best])
                best = j;
        }
        hits += best == labels[i];
        total += zmax + log(sum) - tz;
        if (dlogits)
            for (int j = 0; j < k; j++)
                dlogits[(size_t)i * k + j] =
                    (float)((p[j] - (j == labels[i] ? on : off)) / n);
    }
    if (stats) {
        stats[0] += (float)total;
        stats[1] += (float)hits;
    }
}

/* ---- optimiser --------------------------------------------------------- */

static void ref_sgd_step(backend_t *be, size_t count, float *param, const float *grad,
                         float *velocity, float lr, float momentum,
                         float weight_decay, int nesterov)
{
    (void)be;
    /* param, grad, velocity (count) */
    for (size_t i = 0; i < count; i++) {
        float g = grad[i] + weight_decay * param[i];
        float v = momentum * velocity[i] + g;
        velocity[i] = v;
        param[i] -= lr * (nesterov ? g + momentum * v : v);
    }
}

/* Fills the name and every op of the table; priv and threads are left to
 * the caller, so a backend may call this first and then override ops. */
void backend_ref_init(backend_t *be)
{
    be->name = "ref";
    be->bf16_support = BF16_EMULATED;
    snprintf(be->desc, sizeof be->desc, "ref: plain reference loops, 1 thread");
    be->alloc = ref_alloc;
    be->alloc_i32 = ref_alloc_i32;
    be->free = ref_free;
    be->upload = ref_upload;
    be->download = ref_download;
    be->upload_i32 = ref_upload_i32;
    be->download_i32 = ref_download_i32;
    be->copy = ref_copy;
    be->copy_rows = ref_copy_rows;
    be->conv2d_forward = ref_conv2d_forward;
    be->conv2d_backward = ref_conv2d_backward;
    be->conv2d_maxpool_forward = ref_conv2d_maxpool_forward;
    be->conv2d_maxpool_backward = ref_conv2d_maxpool_backward;
    be->linear_forward = ref_linear_forward;
    be->linear_backward = ref_linear_backward;
    be->bn_forward_train = ref_bn_forward_train;
    be->bn_forward_infer = ref_bn_forward_infer;
    be->bn_backward = ref_bn_backward;
    be->relu_forward = ref_relu_forward;
    be->relu_backward = ref_relu_backward;
    be->gelu_forward = ref_gelu_forward;
    be->gelu_backward = ref_gelu_backward;
    be->mul = ref_mul;
    be->scale = ref_scale;
    be->axpby = ref_axpby;
    be->dropout_mask = ref_dropout_mask;
    be->bn_gelu_forward_train = ref_bn_gelu_forward_train;
    be->bn_gelu_forward_infer = ref_bn_gelu_forward_infer;
    be->bn_gelu_backward = ref_bn_gelu_backward;
    be->maxpool_forward = ref_maxpool_forward;
    be->maxpool_backward = ref_maxpool_backward;
    be->softmax_xent = ref_softmax_xent;
    be->sgd_step = ref_sgd_step;
}

/* ---- the table's ops by name ------------------------------------------ */

#define OP(name) {#name, offsetof(backend_t, name)}
const backend_op_t backend_ops[] = {
    OP(alloc), OP(alloc_i32), OP(free), OP(upload), OP(download), OP(upload_i32),
    OP(download_i32), OP(copy), OP(copy_rows), OP(conv2d_forward), OP(conv2d_backward),
    OP(conv2d_maxpool_forward), OP(conv2d_maxpool_backward), OP(linear_forward),
    OP(linear_backward), OP(bn_forward_train), OP(bn_forward_infer), OP(bn_backward),
    OP(relu_forward), OP(relu_backward), OP(gelu_forward), OP(gelu_backward), OP(mul),
    OP(scale), OP(axpby), OP(dropout_mask), OP(bn_gelu_forward_train),
    OP(bn_gelu_forward_infer), OP(bn_gelu_backward), OP(maxpool_forward),
    OP(maxpool_backward), OP(softmax_xent), OP(sgd_step),
};
#undef OP

int backend_op_count(void) { return (int)(sizeof backend_ops / sizeof backend_ops[0]); }

int backend_has_op(const backend_t *be, size_t offset)
{
    void (*fn)(void);
    memcpy(&fn, (const char *)be + offset, sizeof fn);
    return fn != NULL;
}

const char *backend_missing_op(const backend_t *be)
{
    for (int i = 0; i < backend_op_count(); i++)
        if (!backend_has_op(be, backend_ops[i].offset))
            return backend_ops[i].name;
    return NULL;
}

/* backend_cpu.c - the fast CPU backend.
 *
 * Convolutions run as im2col + SGEMM and linear layers as SGEMM, through
 * OpenBLAS (threaded with be->threads). Everything else is the reference
 * implementation for now. tests/test_backend.c checks every op here
 * against the "ref" backend.
 */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "util.h"

typedef struct {
    float *col;       /* (cin*kh*kw, oh*ow) scratch for one image */
    size_t col_cap;   /* floats */
} cpu_priv_t;

static float *col_scratch(backend_t *be, size_t count)
{
    cpu_priv_t *p = be->priv;
    if (count > p->col_cap) {
        afree(p->col);
        p->col = afloat(count);
        p->col_cap = count;
    }
    return p->col;
}

/* x (cin, h, w) -> col (cin*kh*kw, oh*ow) */
static void im2col(const conv_desc_t *d, const float *x, float *col)
{
    int P = d->oh * d->ow;
    for (int ci = 0; ci < d->cin; ci++)
        for (int ky = 0; ky < d->kh; ky++)
            for (int kx = 0; kx < d->kw; kx++) {
                float *row = col + (size_t)((ci * d->kh + ky) * d->kw + kx) * P;
                const float *xc = x + (size_t)ci * d->h * d->w;
                for (int oy = 0; oy < d->oh; oy++) {
                    int iy = oy * d->stride - d->pad + ky;
                    float *r = row + oy * d->ow;
                    if (iy < 0 || iy >= d->h) {
                        memset(r, 0, sizeof(float) * d->ow);
                        continue;
                    }
                    const float *xr = xc + (size_t)iy * d->w;
                    for (int ox = 0; ox < d->ow; ox++) {
                        int ix = ox * d->stride - d->pad + kx;
                        r[ox] = (ix >= 0 && ix < d->w) ? xr[ix] : 0.0f;
                    }
                }
            }
}

/* col (cin*kh*kw, oh*ow) -> dx (cin, h, w), accumulated onto a zeroed dx */
static void col2im(const conv_desc_t *d, const float *col, float *dx)
{
    int P = d->oh * d->ow;
    memset(dx, 0, sizeof(float) * (size_t)d->cin * d->h * d->w);
    for (int ci = 0; ci < d->cin; ci++)
        for (int ky = 0; ky < d->kh; ky++)
            for (int kx = 0; kx < d->kw; kx++) {
                const float *row = col + (size_t)((ci * d->kh + ky) * d->kw + kx) * P;
                float *xc = dx + (size_t)ci * d->h * d->w;
                for (int oy = 0; oy < d->oh; oy++) {
                    int iy = oy * d->stride - d->pad + ky;
                    if (iy < 0 || iy >= d->h)
                        continue;
                    const float *r = row + oy * d->ow;
                    float *xr = xc + (size_t)iy * d->w;
                    for (int ox = 0; ox < d->ow; ox++) {
                        int ix = ox * d->stride - d->pad + kx;
                        if (ix >= 0 && ix < d->w)
                            xr[ix] += r[ox];
                    }
                }
            }
}

static int is_pointwise(const conv_desc_t *d)
{
    return d->kh == 1 && d->kw == 1 && d->pad == 0 && d->stride == 1;
}

static void cpu_conv2d_forward(backend_t *be, const conv_desc_t *d, const float *x,
                               const float *w, const float *b, float *y)
{
    int K = d->cin * d->kh * d->kw, P = d->oh * d->ow;
    float *col = is_pointwise(d) ? NULL : col_scratch(be, (size_t)K * P);
    for (int n = 0; n < d->n; n++) {
        const float *xn = x + (size_t)n * d->cin * d->h * d->w;
        float *yn = y + (size_t)n * d->cout * P;
        const float *src = xn;
        if (col) {
            im2col(d, xn, col);
            src = col;
        }
        for (int co = 0; co < d->cout; co++) {
            float bias = b ? b[co] : 0.0f;
            float *r = yn + (size_t)co * P;
            for (int i = 0; i < P; i++)
                r[i] = bias;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->cout, P, K,
                    1.0f, w, K, src, P, 1.0f, yn, P);
    }
}

static void cpu_conv2d_backward(backend_t *be, const conv_desc_t *d, const float *x,
                                const float *w, const float *dy, float *dx,
                                float *dw, float *db)
{
    int K = d->cin * d->kh * d->kw, P = d->oh * d->ow;
    int pw = is_pointwise(d);
    float *col = col_scratch(be, (size_t)K * P);
    if (db)
        memset(db, 0, sizeof(float) * d->cout);
    for (int n = 0; n < d->n; n++) {
        const float *xn = x + (size_t)n * d->cin * d->h * d->w;
        const float *dyn = dy + (size_t)n * d->cout * P;
        if (dw) {
            const float *src = xn;
            if (!pw) {
                im2col(d, xn, col);
                src = col;
            }
            /* dw (cout, K) += dy_n (cout, P) . col^T (P, K) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d->cout, K, P,
                        1.0f, dyn, P, src, P, n ? 1.0f : 0.0f, dw, K);
        }
        if (db)
            for (int co = 0; co < d->cout; co++) {
                const float *r = dyn + (size_t)co * P;
                float s = 0.0f;
                for (int i = 0; i < P; i++)
                    s += r[i];
                db[co] += s;
            }
        if (dx) {
            float *dxn = dx + (size_t)n * d->cin * d->h * d->w;
            /* dcol (K, P) = w^T (K, cout) . dy_n (cout, P) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, d->cout,
                        1.0f, w, K, dyn, P, 0.0f, pw ? dxn : col, P);
            if (!pw)
                col2im(d, col, dxn);
        }
    }
}

static void cpu_linear_forward(backend_t *be, int n, int in, int out, const float *x,
                               const float *w, const float *b, float *y)
{
    (void)be;
    for (int i = 0; i < n; i++)
        for (int o = 0; o < out; o++)
            y[(size_t)i * out + o] = b ? b[o] : 0.0f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in,
                1.0f, x, in, w, in, 1.0f, y, out);
}

static void cpu_linear_backward(backend_t *be, int n, int in, int out, const float *x,
                                const float *w, const float *dy, float *dx,
                                float *dw, float *db)
{
    (void)be;
    if (dx) /* dx (n, in) = dy (n, out) . w (out, in) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out,
                    1.0f, dy, out, w, in, 0.0f, dx, in);
    if (dw) /* dw (out, in) = dy^T (out, n) . x (n, in) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n,
                    1.0f, dy, out, x, in, 0.0f, dw, in);
    if (db) {
        memset(db, 0, sizeof(float) * out);
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++)
                db[o] += dy[(size_t)i * out + o];
    }
}

static void cpu_release(backend_t *be);

void backend_cpu_init(backend_t *be)
{
    backend_ref_init(be);
    be->name = "cpu";
    be->priv = xcalloc(1, sizeof(cpu_priv_t));
    openblas_set_num_threads(be->threads);
    be->conv2d_forward = cpu_conv2d_forward;
    be->conv2d_backward = cpu_conv2d_backward;
    be->linear_forward = cpu_linear_forward;
    be->linear_backward = cpu_linear_backward;
    be->release = cpu_release;
}

static void cpu_release(backend_t *be)
{
    cpu_priv_t *p = be->priv;
    if (p)
        afree(p->col);
    free(p);
    be->priv = NULL;
}

/* test_grad.c - the reference backend against central finite differences,
 * plus forward values checked against hand-computed numbers.
 *
 * Every backward op is checked on a scalar loss L = sum(y .* r) with a fixed
 * random r, so dL/dy = r is what the backward op receives. Numerical
 * gradients perturb one input element at a time by +-eps (in float, the
 * precision the ops run in) and difference L (summed in double). The error
 * metric is |a - n| / max(1e-2, |a| + |n|): a correct op stays around 1e-4,
 * a wrong one (transposed weight, missing term, flipped sign) lands near 1.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/backend.h"
#include "check.h"
#include "base/util.h"

#define GRAD_TOL 1e-2  /* relative error a correct op passes comfortably */
/* Finite-difference steps. conv, linear and mul are exactly linear in each
 * single input, so a large step costs no truncation error and keeps float
 * rounding noise down; the nonlinear ops use a small one. */
#define FD_EPS 1e-2f
#define FD_EPS_LINEAR 0.25f

static backend_t be;
static rng_t rng;

/* ---- helpers ----------------------------------------------------------- */

static float *buf(size_t count) { return be.alloc(&be, count); }

static void fill_normal(float *p, size_t count, float scale, float shift)
{
    for (size_t i = 0; i < count; i++)
        p[i] = scale * rng_normal(&rng) + shift;
}

/* Garbage in an output buffer, to prove a backward op overwrites it. */
static void fill_garbage(float *p, size_t count)
{
    for (size_t i = 0; i < count; i++)
        p[i] = 1234.5f;
}

static double dot(const float *a, const float *b, size_t count)
{
    double acc = 0.0;
    for (size_t i = 0; i < count; i++)
        acc += (double)a[i] * b[i];
    return acc;
}

typedef double (*loss_fn)(void *ctx);

/* dL/dp[i] by central differences; the step actually taken is measured
 * after rounding to float. */
static double numeric_grad(loss_fn f, void *ctx, float *p, float eps)
{
    float old = *p;
    *p = old + eps;
    float hi = *p;
    double lp = f(ctx);
    *p = old - eps;
    float lo = *p;
    double lm = f(ctx);
    *p = old;
    return (lp - lm) / ((double)hi - lo);
}

/* Compares analytic (count) against finite differences of f over param. */
static void compare_grad(const char *what, loss_fn f, void *ctx, float *param,
                         size_t count, const float *analytic, float eps)
{
    double worst = 0.0;
    size_t at = 0;
    double wa = 0.0, wn = 0.0;
    for (size_t i = 0; i < count; i++) {
        double n = numeric_grad(f, ctx, &param[i], eps);
        double a = analytic[i];
        double den = fabs(a) + fabs(n);
        double err = fabs(a - n) / (den > 1e-2 ? den : 1e-2);
        if (err > worst || i == 0) {
            worst = err;
            at = i;
            wa = a;
            wn = n;
        }
    }
    printf("  %-44s max rel err %.1e\n", what, worst);
    CHECK(worst <= GRAD_TOL, "%s: element %zu analytic %.6g numeric %.6g (rel err %.3g)",
          what, at, wa, wn, worst);
}

static void check_equal(const char *what, const float *a, const float *b, size_t count)
{
    size_t bad = 0;
    for (size_t i = 0; i < count; i++)
        if (a[i] != b[i])
            bad++;
    CHECK(bad == 0, "%s: %zu of %zu elements differ", what, bad, count);
}

/* ---- conv2d ------------------------------------------------------------ */

typedef struct {
    conv_desc_t d;
    float *x, *w, *b, *y, *r; /* x (n,cin,h,w) w (cout,cin,k,k) b (cout) y, r (n,cout,oh,ow) */
} conv_ctx;

static double conv_loss(void *p)
{
    conv_ctx *c = p;
    be.conv2d_forward(&be, &c->d, c->x, c->w, c->b, c->y);
    return dot(c->y, c->r, (size_t)c->d.n * c->d.cout * c->d.oh * c->d.ow);
}

static void test_conv_grad(int n, int cin, int h, int w, int cout, int k, int pad,
                           int stride)
{
    conv_ctx c;
    conv_desc_init(&c.d, n, cin, h, w, cout, k, pad, stride);
    size_t nx = (size_t)n * cin * h * w, nw = (size_t)cout * cin * k * k;
    size_t ny = (size_t)n * cout * c.d.oh * c.d.ow;
    c.x = buf(nx), c.w = buf(nw), c.b = buf(cout), c.y = buf(ny), c.r = buf(ny);
    float *dx = buf(nx), *dw = buf(nw), *db = buf(cout), *tmp = buf(nx > nw ? nx : nw);
    fill_normal(c.x, nx, 1.0f, 0.0f);
    fill_normal(c.w, nw, 0.5f, 0.0f);
    fill_normal(c.b, cout, 0.5f, 0.0f);
    fill_normal(c.r, ny, 1.0f, 0.0f);
    fill_garbage(dx, nx), fill_garbage(dw, nw), fill_garbage(db, cout);
    be.conv2d_backward(&be, &c.d, c.x, c.w, c.r, dx, dw, db);

    char name[128];
    snprintf(name, sizeof name, "conv n%d c%d %dx%d->%d k%d p%d s%d", n, cin, h, w, cout,
             k, pad, stride);
    char what[160];
    snprintf(what, sizeof what, "%s dx", name);
    compare_grad(what, conv_loss, &c, c.x, nx, dx, FD_EPS_LINEAR);
    snprintf(what, sizeof what, "%s dw", name);
    compare_grad(what, conv_loss, &c, c.w, nw, dw, FD_EPS_LINEAR);
    snprintf(what, sizeof what, "%s db", name);
    compare_grad(what, conv_loss, &c, c.b, cout, db, FD_EPS_LINEAR);

    /* NULL gradients are skipped; the others come out the same */
    fill_garbage(tmp, nx);
    be.conv2d_backward(&be, &c.d, c.x, c.w, c.r, tmp, NULL, NULL);
    check_equal("conv dx alone", tmp, dx, nx);
    fill_garbage(tmp, nw);
    be.conv2d_backward(&be, &c.d, c.x, c.w, c.r, NULL, tmp, NULL);
    check_equal("conv dw alone", tmp, dw, nw);
    fill_garbage(tmp, cout);
    be.conv2d_backward(&be, &c.d, c.x, c.w, c.r, NULL, NULL, tmp);
    check_equal("conv db alone", tmp, db, cout);

    float *ps[] = {c.x, c.w, c.b, c.y, c.r, dx, dw, db, tmp};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        be.free(&be, ps[i]);
}

static void test_conv_forward(void)
{
    conv_desc_t d;
    conv_desc_init(&d, 1, 1, 32, 32, 1, 3, 1, 1);
    CHECK(d.oh == 32 && d.ow == 32 && d.kh == 3 && d.kw == 3, "same conv oh %d ow %d", d.oh, d.ow);
    conv_desc_init(&d, 1, 1, 32, 32, 1, 3, 1, 2);
    CHECK(d.oh == 16 && d.ow == 16, "stride-2 conv oh %d ow %d", d.oh, d.ow);
    conv_desc_init(&d, 1, 1, 7, 6, 1, 3, 0, 2);
    CHECK(d.oh == 3 && d.ow == 2, "valid stride-2 conv oh %d ow %d", d.oh, d.ow);

    /* all-ones 3x3 image and kernel, pad 1: counts of in-bounds taps */
    float x[9], w[9], y[9];
    for (int i = 0; i < 9; i++)
        x[i] = w[i] = 1.0f;
    conv_desc_init(&d, 1, 1, 3, 3, 1, 3, 1, 1);
    be.conv2d_forward(&be, &d, x, w, NULL, y);
    const float ones[9] = {4, 6, 4, 6, 9, 6, 4, 6, 4};
    check_equal("conv ones pad 1", y, ones, 9);
    conv_desc_init(&d, 1, 1, 3, 3, 1, 3, 1, 2);
    be.conv2d_forward(&be, &d, x, w, NULL, y);
    const float ones_s2[4] = {4, 4, 4, 4};
    check_equal("conv ones pad 1 stride 2", y, ones_s2, 4);

    /* cross-correlation, not convolution: a tap at kernel (0,0) reads
     * x[oy - 1][ox - 1]; bias added to every output */
    for (int i = 0; i < 9; i++)
        x[i] = (float)(i + 1), w[i] = 0.0f;
    w[0] = 1.0f;
    float b = 0.5f;
    conv_desc_init(&d, 1, 1, 3, 3, 1, 3, 1, 1);
    be.conv2d_forward(&be, &d, x, w, &b, y);
    const float shift[9] = {0.5f, 0.5f, 0.5f, 0.5f, 1.5f, 2.5f, 0.5f, 4.5f, 5.5f};
    check_equal("conv is cross-correlation", y, shift, 9);

    /* a 1x1 conv is a per-pixel linear map: compare with linear_forward */
    enum { N = 2, CI = 3, CO = 4, H = 2, W = 3, HW = H * W };
    float cx[N * CI * HW], cw[CO * CI], cb[CO], cy[N * CO * HW];
    float lx[N * HW * CI], ly[N * HW * CO];
    fill_normal(cx, N * CI * HW, 1.0f, 0.0f);
    fill_normal(cw, CO * CI, 1.0f, 0.0f);
    fill_normal(cb, CO, 1.0f, 0.0f);
    conv_desc_init(&d, N, CI, H, W, CO, 1, 0, 1);
    be.conv2d_forward(&be, &d, cx, cw, cb, cy);
    for (int n = 0; n < N; n++) /* lx (n*hw, cin) = x transposed per image */
        for (int ci = 0; ci < CI; ci++)
            for (int p = 0; p < HW; p++)
                lx[(n * HW + p) * CI + ci] = cx[(n * CI + ci) * HW + p];
    be.linear_forward(&be, N * HW, CI, CO, lx, cw, cb, ly);
    double worst = 0.0;
    for (int n = 0; n < N; n++)
        for (int co = 0; co < CO; co++)
            for (int p = 0; p < HW; p++) {
                double e = fabs(cy[(n * CO + co) * HW + p] - ly[(n * HW + p) * CO + co]);
                worst = e > worst ? e : worst;
            }
    CHECK_NEAR(worst, 0.0, 1e-5, "1x1 conv vs linear");
}

/* ---- linear ------------------------------------------------------------ */

typedef struct {
    int n, in, out;
    float *x, *w, *b, *y, *r; /* x (n,in) w (out,in) b (out) y, r (n,out) */
} linear_ctx;

static double linear_loss(void *p)
{
    linear_ctx *c = p;
    be.linear_forward(&be, c->n, c->in, c->out, c->x, c->w, c->b, c->y);
    return dot(c->y, c->r, (size_t)c->n * c->out);
}

static void test_linear(int n, int in, int out)
{
    linear_ctx c = {.n = n, .in = in, .out = out};
    size_t nx = (size_t)n * in, nw = (size_t)out * in, ny = (size_t)n * out;
    c.x = buf(nx), c.w = buf(nw), c.b = buf(out), c.y = buf(ny), c.r = buf(ny);
    float *dx = buf(nx), *dw = buf(nw), *db = buf(out), *tmp = buf(nx);
    fill_normal(c.x, nx, 1.0f, 0.0f);
    fill_normal(c.w, nw, 0.5f, 0.0f);
    fill_normal(c.b, out, 0.5f, 0.0f);
    fill_normal(c.r, ny, 1.0f, 0.0f);
    fill_garbage(dx, nx), fill_garbage(dw, nw), fill_garbage(db, out);
    be.linear_backward(&be, n, in, out, c.x, c.w, c.r, dx, dw, db);

    char what[96];
    snprintf(what, sizeof what, "linear n%d %d->%d dx", n, in, out);
    compare_grad(what, linear_loss, &c, c.x, nx, dx, FD_EPS_LINEAR);
    snprintf(what, sizeof what, "linear n%d %d->%d dw", n, in, out);
    compare_grad(what, linear_loss, &c, c.w, nw, dw, FD_EPS_LINEAR);
    snprintf(what, sizeof what, "linear n%d %d->%d db", n, in, out);
    compare_grad(what, linear_loss, &c, c.b, out, db, FD_EPS_LINEAR);

    fill_garbage(tmp, nx);
    be.linear_backward(&be, n, in, out, c.x, c.w, c.r, tmp, NULL, NULL);
    check_equal("linear dx alone", tmp, dx, nx);

    float *ps[] = {c.x, c.w, c.b, c.y, c.r, dx, dw, db, tmp};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        be.free(&be, ps[i]);
}

static void test_linear_forward(void)
{
    const float x[2] = {1, 2}, w[4] = {1, 0, 3, 4}, b[2] = {0.5f, -1};
    float y[2];
    be.linear_forward(&be, 1, 2, 2, x, w, b, y);
    const float want[2] = {1.5f, 10.0f}; /* [1*1 + 2*0 + .5, 1*3 + 2*4 - 1] */
    check_equal("linear hand values", y, want, 2);
    be.linear_forward(&be, 1, 2, 2, x, w, NULL, y);
    const float want_nb[2] = {1.0f, 11.0f};
    check_equal("linear without bias", y, want_nb, 2);
}

/* ---- batch norm -------------------------------------------------------- */

typedef struct {
    int n, c, hw;
    int gelu;                                  /* the fused bn+gelu ops */
    float *x, *gamma, *beta, *y, *r;           /* x, y, r (n,c,hw) gamma, beta (c) */
    float *run_mean, *run_var, *mean, *invstd; /* (c) */
} bn_ctx;

static double bn_loss(void *p)
{
    bn_ctx *b = p;
    if (b->gelu)
        be.bn_gelu_forward_train(&be, b->n, b->c, b->hw, b->x, b->gamma, b->beta, 1e-12f,
                                 0.6f, b->run_mean, b->run_var, b->mean, b->invstd, b->y);
    else
        be.bn_forward_train(&be, b->n, b->c, b->hw, b->x, b->gamma, b->beta, 1e-5f, 0.1f,
                            b->run_mean, b->run_var, b->mean, b->invstd, b->y);
    return dot(b->y, b->r, (size_t)b->n * b->c * b->hw);
}

/* the backward matching bn_loss */
static void bn_grad(bn_ctx *b, float *dx, float *dgamma, float *dbeta)
{
    if (b->gelu)
        be.bn_gelu_backward(&be, b->n, b->c, b->hw, b->x, b->gamma, b->beta, b->mean,
                            b->invstd, b->r, dx, dgamma, dbeta);
    else
        be.bn_backward(&be, b->n, b->c, b->hw, b->x, b->gamma, b->mean, b->invstd, b->r, dx,
                       dgamma, dbeta);
}

static void test_bn_grad(int n, int c, int hw, int with_gamma, int gelu)
{
    bn_ctx b = {.n = n, .c = c, .hw = hw, .gelu = gelu};
    size_t nx = (size_t)n * c * hw;
    b.x = buf(nx), b.y = buf(nx), b.r = buf(nx);
    b.gamma = with_gamma ? buf(c) : NULL;
    b.beta = buf(c), b.run_mean = buf(c), b.run_var = buf(c), b.mean = buf(c),
    b.invstd = buf(c);
    float *dx = buf(nx), *dgamma = buf(c), *dbeta = buf(c);
    fill_normal(b.x, nx, 2.0f, 0.7f);
    if (b.gamma)
        fill_normal(b.gamma, c, 0.5f, 1.0f);
    fill_normal(b.beta, c, 0.5f, 0.0f);
    fill_normal(b.r, nx, 1.0f, 0.0f);
    bn_loss(&b); /* mean, invstd for backward */
    fill_garbage(dx, nx), fill_garbage(dgamma, c), fill_garbage(dbeta, c);
    bn_grad(&b, dx, dgamma, dbeta);

    char name[96], what[128];
    snprintf(name, sizeof name, "bn%s n%d c%d hw%d%s", gelu ? "+gelu" : "", n, c, hw,
             with_gamma ? "" : " gamma=NULL");
    snprintf(what, sizeof what, "%s dx", name);
    compare_grad(what, bn_loss, &b, b.x, nx, dx, FD_EPS);
    if (b.gamma) {
        snprintf(what, sizeof what, "%s dgamma", name);
        compare_grad(what, bn_loss, &b, b.gamma, c, dgamma, FD_EPS);
    } else { /* dgamma of a frozen scale is still sum(dy * xhat) */
        float *g1 = buf(c);
        for (int i = 0; i < c; i++)
            g1[i] = 1.0f;
        b.gamma = g1;
        snprintf(what, sizeof what, "%s dgamma (at gamma=1)", name);
        compare_grad(what, bn_loss, &b, b.gamma, c, dgamma, FD_EPS);
        b.gamma = NULL;
        be.free(&be, g1);
    }
    snprintf(what, sizeof what, "%s dbeta", name);
    compare_grad(what, bn_loss, &b, b.beta, c, dbeta, FD_EPS);

    bn_loss(&b); /* mean, invstd at the unperturbed x again */
    float *tmp = buf(nx);
    fill_garbage(tmp, nx);
    bn_grad(&b, tmp, NULL, NULL);
    check_equal("bn dx alone", tmp, dx, nx);
    fill_garbage(tmp, c);
    bn_grad(&b, NULL, NULL, tmp);
    check_equal("bn dbeta alone", tmp, dbeta, c);

    float *ps[] = {b.x, b.y, b.r, b.gamma, b.beta, b.run_mean, b.run_var,
                   b.mean, b.invstd, dx, dgamma, dbeta, tmp};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        if (ps[i])
            be.free(&be, ps[i]);
}

static void test_bn_forward(void)
{
    /* one channel, values 1 2 | 3 4 over n = 2, hw = 2:
     * mean 2.5, biased var 1.25, unbiased var 5/3 */
    const float x[4] = {1, 2, 3, 4}, gamma = 2.0f, beta = 0.5f, eps = 1e-5f;
    float rm = 0.0f, rv = 1.0f, mean, invstd, y[4];
    be.bn_forward_train(&be, 2, 1, 2, x, &gamma, &beta, eps, 0.1f, &rm, &rv, &mean,
                        &invstd, y);
    CHECK_NEAR(mean, 2.5, 1e-6, "bn batch mean");
    CHECK_NEAR(invstd, 1.0 / sqrt(1.25 + 1e-5), 1e-6, "bn invstd (biased var)");
    CHECK_NEAR(rm, 0.25, 1e-6, "bn running mean 0.9*0 + 0.1*2.5");
    CHECK_NEAR(rv, 0.9 + 0.1 * 5.0 / 3.0, 1e-6, "bn running var 0.9*1 + 0.1*5/3");
    for (int i = 0; i < 4; i++)
        CHECK_NEAR(y[i], 2.0 * (x[i] - 2.5) / sqrt(1.25 + 1e-5) + 0.5, 1e-5, "bn train y");

    /* gamma NULL: scale 1 */
    be.bn_forward_train(&be, 2, 1, 2, x, NULL, &beta, eps, 0.1f, &rm, &rv, &mean,
                        &invstd, y);
    CHECK_NEAR(y[0], (1 - 2.5) / sqrt(1.25 + 1e-5) + 0.5, 1e-5, "bn train y gamma=NULL");
    CHECK_NEAR(rm, 0.9 * 0.25 + 0.25, 1e-6, "bn running mean, second step");

    /* inference uses the running stats */
    const float rmean = 1.0f, rvar = 4.0f;
    be.bn_forward_infer(&be, 2, 1, 2, x, &gamma, &beta, eps, &rmean, &rvar, y);
    for (int i = 0; i < 4; i++)
        CHECK_NEAR(y[i], 2.0 * (x[i] - 1.0) / sqrt(4.0 + 1e-5) + 0.5, 1e-5, "bn infer y");
    be.bn_forward_infer(&be, 2, 1, 2, x, NULL, &beta, eps, &rmean, &rvar, y);
    CHECK_NEAR(y[3], (4.0 - 1.0) / sqrt(4.0 + 1e-5) + 0.5, 1e-5, "bn infer y gamma=NULL");
}

/* ---- element-wise ------------------------------------------------------ */

typedef void (*unary_fwd)(backend_t *, size_t, const float *, float *);
typedef void (*unary_bwd)(backend_t *, size_t, const float *, const float *, float *);

typedef struct {
    size_t count;
    unary_fwd fwd;
    const float *mask; /* for mul */
    float *x, *y, *r;  /* (count) */
} ew_ctx;

static double ew_loss(void *p)
{
    ew_ctx *c = p;
    if (c->mask)
        be.mul(&be, c->count, c->x, c->mask, c->y);
    else
        c->fwd(&be, c->count, c->x, c->y);
    return dot(c->y, c->r, c->count);
}

/* x away from the kink at 0 (|x| >= 0.1) when away_from_zero */
static void test_unary(const char *what, unary_fwd fwd, unary_bwd bwd, int away_from_zero)
{
    enum { COUNT = 97 };
    ew_ctx c = {.count = COUNT, .fwd = fwd};
    c.x = buf(COUNT), c.y = buf(COUNT), c.r = buf(COUNT);
    float *dx = buf(COUNT);
    fill_normal(c.x, COUNT, 2.0f, 0.0f);
    if (away_from_zero)
        for (int i = 0; i < COUNT; i++)
            c.x[i] = c.x[i] < 0 ? c.x[i] - 0.1f : c.x[i] + 0.1f;
    fill_normal(c.r, COUNT, 1.0f, 0.0f);
    fill_garbage(dx, COUNT);
    bwd(&be, COUNT, c.x, c.r, dx);
    compare_grad(what, ew_loss, &c, c.x, COUNT, dx, FD_EPS);
    float *ps[] = {c.x, c.y, c.r, dx};
    for (size_t i = 0; i < 4; i++)
        be.free(&be, ps[i]);
}

typedef struct {
    size_t count;
    float alpha;
    float *x, *y, *r; /* (count) */
} scale_ctx;

static double scale_loss(void *p)
{
    scale_ctx *c = p;
    be.scale(&be, c->count, c->alpha, c->x, c->y);
    return dot(c->y, c->r, c->count);
}

static void test_scale(void)
{
    enum { COUNT = 29 };
    scale_ctx c = {.count = COUNT, .alpha = 1.0f / 9.0f};
    c.x = buf(COUNT), c.y = buf(COUNT), c.r = buf(COUNT);
    float *dx = buf(COUNT);
    fill_normal(c.x, COUNT, 1.0f, 0.0f);
    fill_normal(c.r, COUNT, 1.0f, 0.0f);
    const float x3[3] = {9.0f, -18.0f, 0.5f}, want[3] = {1.0f, -2.0f, 0.5f / 9.0f};
    float y3[3];
    be.scale(&be, 3, 1.0f / 9.0f, x3, y3);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(y3[i], want[i], 1e-7, "scale forward");
    be.scale(&be, COUNT, c.alpha, c.r, dx); /* the backward is the same op */
    compare_grad("scale dx", scale_loss, &c, c.x, COUNT, dx, FD_EPS_LINEAR);
    float *ps[] = {c.x, c.y, c.r, dx};
    for (size_t i = 0; i < 4; i++)
        be.free(&be, ps[i]);
}

/* bn+gelu forward is gelu of bn's output */
static void test_bn_gelu_forward(void)
{
    const float x[6] = {1, 2, 3, 4, -1, 0.5f}, beta[1] = {0.25f};
    float rm[2] = {0, 0}, rv[2] = {1, 1}, mean[1], invstd[1], y[6], z[6], g[6];
    be.bn_forward_train(&be, 3, 1, 2, x, NULL, beta, 1e-12f, 0.6f, rm, rv, mean, invstd, z);
    be.gelu_forward(&be, 6, z, g);
    be.bn_gelu_forward_train(&be, 3, 1, 2, x, NULL, beta, 1e-12f, 0.6f, rm + 1, rv + 1, mean,
                             invstd, y);
    check_equal("bn+gelu = gelu(bn)", y, g, 6);
    CHECK_NEAR(rm[1], rm[0], 0.0, "bn+gelu running mean");
    CHECK_NEAR(rm[1], 0.6 * 1.5833333, 1e-6, "running mean with momentum 0.6");
}

static void test_mul_grad(void)
{
    enum { COUNT = 64 };
    ew_ctx c = {.count = COUNT};
    float *mask = buf(COUNT), *dx = buf(COUNT);
    c.x = buf(COUNT), c.y = buf(COUNT), c.r = buf(COUNT);
    for (int i = 0; i < COUNT; i++) /* dropout mask, p = 0.3 */
        mask[i] = rng_uniform(&rng) < 0.3f ? 0.0f : 1.0f / 0.7f;
    c.mask = mask;
    fill_normal(c.x, COUNT, 1.0f, 0.0f);
    fill_normal(c.r, COUNT, 1.0f, 0.0f);
    be.mul(&be, COUNT, c.r, mask, dx); /* the backward is the same op */
    compare_grad("mul (dropout) dx", ew_loss, &c, c.x, COUNT, dx, FD_EPS_LINEAR);
    float *ps[] = {c.x, c.y, c.r, mask, dx};
    for (size_t i = 0; i < 5; i++)
        be.free(&be, ps[i]);
}

static void test_elementwise_forward(void)
{
    const float x[5] = {-2.0f, -1.0f, 0.0f, 1.0f, 3.0f};
    float y[5];
    be.gelu_forward(&be, 5, x, y);
    CHECK_NEAR(y[0], -0.0455002639, 1e-6, "gelu(-2)");
    CHECK_NEAR(y[1], -0.1586552539, 1e-6, "gelu(-1)");
    CHECK_NEAR(y[2], 0.0, 0.0, "gelu(0)");
    CHECK_NEAR(y[3], 0.8413447461, 1e-6, "gelu(1)");
    CHECK_NEAR(y[4], 2.9959502039, 1e-6, "gelu(3)");
    const float one = 1.0f, dy = 1.0f;
    float d;
    be.gelu_backward(&be, 1, &one, &dy, &d); /* Phi(1) + phi(1) */
    CHECK_NEAR(d, 0.8413447461 + 0.2419707245, 1e-6, "gelu'(1)");

    be.relu_forward(&be, 5, x, y);
    const float want[5] = {0, 0, 0, 1, 3};
    check_equal("relu forward", y, want, 5);

    const float mask[5] = {0, 2, 2, 0, 2};
    be.mul(&be, 5, x, mask, y);
    const float want_mul[5] = {0, -2, 0, 0, 6};
    check_equal("mul forward", y, want_mul, 5);
}

/* ---- max pool ---------------------------------------------------------- */

typedef struct {
    int n, c, h, w, k, s;
    float *x, *y, *r; /* x (n,c,h,w) y, r (n,c,oh,ow) */
    int32_t *argmax;  /* (n,c,oh,ow) */
} pool_ctx;

static size_t pool_out(const pool_ctx *p)
{
    return (size_t)p->n * p->c * ((p->h - p->k) / p->s + 1) * ((p->w - p->k) / p->s + 1);
}

static double pool_loss(void *ctx)
{
    pool_ctx *p = ctx;
    be.maxpool_forward(&be, p->n, p->c, p->h, p->w, p->k, p->s, p->x, p->y, p->argmax);
    return dot(p->y, p->r, pool_out(p));
}

static void test_pool_grad(int n, int c, int h, int w, int k, int s)
{
    pool_ctx p = {.n = n, .c = c, .h = h, .w = w, .k = k, .s = s};
    size_t nx = (size_t)n * c * h * w, ny = pool_out(&p);
    p.x = buf(nx), p.y = buf(ny), p.r = buf(ny);
    p.argmax = xmalloc(ny * sizeof(int32_t));
    float *dx = buf(nx);
    /* distinct values 0.05 apart: no ties, and a step of FD_EPS never
     * changes which element is the max */
    int *perm = xmalloc(nx * sizeof(int));
    for (size_t i = 0; i < nx; i++)
        perm[i] = (int)i;
    rng_shuffle(&rng, perm, (int)nx);
    for (size_t i = 0; i < nx; i++)
        p.x[i] = 0.05f * ((float)perm[i] - (float)nx / 2);
    fill_normal(p.r, ny, 1.0f, 0.0f);
    pool_loss(&p);
    fill_garbage(dx, nx);
    be.maxpool_backward(&be, n, c, h, w, k, s, p.argmax, p.r, dx);

    char what[96];
    snprintf(what, sizeof what, "maxpool n%d c%d %dx%d k%d s%d dx", n, c, h, w, k, s);
    compare_grad(what, pool_loss, &p, p.x, nx, dx, FD_EPS);
    free(perm);
    free(p.argmax);
    float *ps[] = {p.x, p.y, p.r, dx};
    for (size_t i = 0; i < 4; i++)
        be.free(&be, ps[i]);
}

static void test_pool_forward(void)
{
    /* two planes of 2x4, k2 s2; ties: 7 at flat 6 and 7, 3 at 10 and 15 */
    const float x[16] = {1, 5, 0, 2,  /* plane 0 */
                         4, 2, 7, 7,
                         0, 3, 3, 1,  /* plane 1 */
                         2, 1, 0, 3};
    float y[4];
    int32_t am[4];
    be.maxpool_forward(&be, 1, 2, 2, 4, 2, 2, x, y, am);
    const float want[4] = {5, 7, 3, 3};
    check_equal("maxpool forward", y, want, 4);
    CHECK(am[0] == 1 && am[1] == 6 && am[2] == 9 && am[3] == 10,
          "argmax (first max wins, flat into x) %d %d %d %d, want 1 6 9 10",
          am[0], am[1], am[2], am[3]);
}

/* ---- softmax cross-entropy --------------------------------------------- */

typedef struct {
    int n, k;
    float smoothing;
    float *logits, *probs; /* (n,k) */
    int32_t *labels;       /* (n) */
} xent_ctx;

/* The mean loss of the op through its stats accumulator; *hits (may be
 * NULL) gets the rows it counted as right. */
static double xent_mean(int n, int k, const float *logits, const int32_t *labels,
                        float smoothing, float *probs, float *dlogits, double *hits)
{
    float stats[2] = {0.0f, 0.0f};
    be.softmax_xent(&be, n, k, logits, labels, smoothing, probs, dlogits, stats);
    if (hits)
        *hits = stats[1];
    return stats[0] / n;
}

static double xent_loss(void *p)
{
    xent_ctx *c = p;
    return xent_mean(c->n, c->k, c->logits, c->labels, c->smoothing, c->probs, NULL, NULL);
}

static void test_xent_grad(int n, int k, float smoothing)
{
    xent_ctx c = {.n = n, .k = k, .smoothing = smoothing};
    size_t nl = (size_t)n * k;
    c.logits = buf(nl), c.probs = buf(nl);
    c.labels = xmalloc(n * sizeof(int32_t));
    float *dl = buf(nl);
    fill_normal(c.logits, nl, 2.0f, 0.0f);
    for (int i = 0; i < n; i++)
        c.labels[i] = (int32_t)rng_below(&rng, k);
    fill_garbage(dl, nl);
    double loss = xent_mean(n, k, c.logits, c.labels, smoothing, c.probs, dl, NULL);
    CHECK_NEAR(loss, xent_loss(&c), 0.0, "xent loss independent of dlogits");

    double worst = 0.0; /* every row of probs sums to 1 */
    for (int i = 0; i < n; i++) {
        double sum = 0.0;
        for (int j = 0; j < k; j++)
            sum += c.probs[(size_t)i * k + j];
        worst = fmax(worst, fabs(sum - 1.0));
    }
    CHECK_NEAR(worst, 0.0, 1e-6, "softmax rows sum to 1");
    char what[96];
    snprintf(what, sizeof what, "softmax_xent n%d k%d smoothing %.1f dlogits", n, k,
             smoothing);
    compare_grad(what, xent_loss, &c, c.logits, nl, dl, FD_EPS);
    free(c.labels);
    be.free(&be, c.logits), be.free(&be, c.probs), be.free(&be, dl);
}

static void test_xent_forward(void)
{
    /* equal logits: p = 1/k and loss log k, whatever the smoothing */
    float z[5] = {0.3f, 0.3f, 0.3f, 0.3f, 0.3f}, p[5], dl[5];
    int32_t label = 2;
    double hits;
    double loss = xent_mean(1, 5, z, &label, 0.0f, p, dl, &hits);
    CHECK(hits == 0, "equal logits: the first class wins the tie, not the label 2");
    CHECK_NEAR(loss, log(5.0), 1e-6, "xent equal logits");
    CHECK_NEAR(p[0], 0.2, 1e-7, "softmax equal logits");
    CHECK_NEAR(dl[2], 0.2 - 1.0, 1e-6, "dlogits on the label");
    CHECK_NEAR(dl[0], 0.2, 1e-6, "dlogits off the label");
    loss = xent_mean(1, 5, z, &label, 0.2f, p, dl, NULL);
    CHECK_NEAR(loss, log(5.0), 1e-6, "xent equal logits, smoothing 0.2");
    CHECK_NEAR(dl[2], 0.2 - (0.8 + 0.04), 1e-6, "smoothed dlogits on the label");
    CHECK_NEAR(dl[0], 0.2 - 0.04, 1e-6, "smoothed dlogits off the label");

    /* logits 1 2 3, label 2, smoothing 0.3, batch of 2 (mean over rows):
     * lse = log(e + e^2 + e^3); target (0.1, 0.1, 0.8) */
    float z2[6] = {1, 2, 3, 1, 2, 3}, p2[6], dl2[6];
    int32_t labels[2] = {2, 0};
    double lse = log(exp(1.0) + exp(2.0) + exp(3.0));
    double l0 = lse - (0.1 * 1 + 0.1 * 2 + 0.8 * 3);
    double l1 = lse - (0.8 * 1 + 0.1 * 2 + 0.1 * 3);
    loss = xent_mean(2, 3, z2, labels, 0.3f, p2, dl2, &hits);
    CHECK_NEAR(loss, 0.5 * (l0 + l1), 1e-6, "xent hand value with smoothing");
    CHECK(hits == 1, "one of the two rows has its largest logit at the label (%g)", hits);
    float acc[2] = {1.5f, 2.0f}; /* stats accumulate, they are not overwritten */
    be.softmax_xent(&be, 2, 3, z2, labels, 0.3f, p2, NULL, acc);
    CHECK_NEAR(acc[0], 1.5 + l0 + l1, 1e-5, "stats[0] adds the summed loss");
    CHECK(acc[1] == 3.0f, "stats[1] adds the hits (%g)", acc[1]);
    CHECK_NEAR(p2[2], exp(3.0 - lse), 1e-6, "softmax hand value");
    CHECK_NEAR(dl2[3], (exp(1.0 - lse) - 0.8) / 2, 1e-6, "dlogits divided by n");

    /* large logits stay finite */
    float z3[2] = {1000.0f, 0.0f};
    label = 1;
    loss = xent_mean(1, 2, z3, &label, 0.0f, p, NULL, NULL);
    CHECK_NEAR(loss, 1000.0, 1e-3, "xent of large logits");
}

/* ---- sgd --------------------------------------------------------------- */

static void test_sgd(void)
{
    /* p = 1, grad 0.5 twice, lr 0.1, momentum 0.9, weight decay 0.01.
     * plain:    g1 = .51, v1 = .51, p1 = .949;
     *           g2 = .50949, v2 = .9*.51 + .50949 = .96849, p2 = .852151
     * nesterov: g1 = .51, v1 = .51, step .969, p1 = .9031;
     *           g2 = .509031, v2 = .968031, step 1.3802589, p2 = .76507411 */
    const float grad = 0.5f;
    for (int nesterov = 0; nesterov < 2; nesterov++) {
        float p = 1.0f, v = 0.0f;
        be.sgd_step(&be, 1, &p, &grad, &v, 0.1f, 0.9f, 0.01f, nesterov);
        CHECK_NEAR(v, 0.51, 1e-6, nesterov ? "nesterov v1" : "sgd v1");
        CHECK_NEAR(p, nesterov ? 0.9031 : 0.949, 1e-6, nesterov ? "nesterov p1" : "sgd p1");
        be.sgd_step(&be, 1, &p, &grad, &v, 0.1f, 0.9f, 0.01f, nesterov);
        CHECK_NEAR(v, nesterov ? 0.968031 : 0.96849, 1e-6, nesterov ? "nesterov v2" : "sgd v2");
        CHECK_NEAR(p, nesterov ? 0.76507411 : 0.852151, 1e-6,
                   nesterov ? "nesterov p2" : "sgd p2");
    }
    /* no momentum, no decay: plain gradient descent */
    float p = 2.0f, v = 0.0f;
    be.sgd_step(&be, 1, &p, &grad, &v, 0.5f, 0.0f, 0.0f, 0);
    CHECK_NEAR(p, 1.75, 1e-7, "sgd without momentum");
}

/* ---- memory ------------------------------------------------------------ */

static void test_memory(void)
{
    CHECK(strcmp(be.name, "ref") == 0, "name %s", be.name);
    float *a = be.alloc(&be, 33), host[33], back[33];
    size_t nonzero = 0;
    for (int i = 0; i < 33; i++)
        nonzero += a[i] != 0.0f;
    CHECK(nonzero == 0, "alloc is zero-filled (%zu nonzero)", nonzero);
    fill_normal(host, 33, 1.0f, 0.0f);
    be.upload(&be, a, host, 33);
    be.download(&be, back, a, 33);
    check_equal("upload/download round trip", back, host, 33);
    be.free(&be, a);
}

int main(void)
{
    memset(&be, 0, sizeof be);
    backend_ref_init(&be);
    rng_seed(&rng, 20240611);

    test_memory();
    test_conv_forward();
    test_linear_forward();
    test_bn_forward();
    test_bn_gelu_forward();
    test_elementwise_forward();
    test_pool_forward();
    test_xent_forward();
    test_sgd();

    printf("gradients (finite differences, tolerance %g):\n", GRAD_TOL);
    test_conv_grad(1, 3, 5, 5, 5, 3, 1, 1);
    test_conv_grad(2, 3, 6, 7, 5, 3, 0, 2);
    test_conv_grad(2, 5, 7, 6, 3, 3, 1, 2);
    test_conv_grad(1, 3, 5, 4, 5, 3, 0, 1);
    test_conv_grad(2, 3, 4, 5, 3, 1, 0, 1);
    test_conv_grad(1, 5, 6, 6, 3, 2, 1, 2);
    test_linear(3, 7, 5);
    test_linear(1, 4, 10);
    test_bn_grad(2, 3, 5, 1, 0);
    test_bn_grad(2, 3, 5, 0, 0);
    test_bn_grad(4, 5, 1, 1, 0);
    test_bn_grad(2, 3, 5, 1, 1);
    test_bn_grad(2, 3, 5, 0, 1);
    test_bn_grad(3, 2, 4, 0, 1);
    test_scale();
    test_unary("relu dx", be.relu_forward, be.relu_backward, 1);
    test_unary("gelu dx", be.gelu_forward, be.gelu_backward, 0);
    test_mul_grad();
    test_pool_grad(2, 3, 4, 4, 2, 2);
    test_pool_grad(1, 2, 5, 5, 2, 2);
    test_pool_grad(2, 1, 5, 6, 3, 2);
    test_xent_grad(3, 5, 0.0f);
    test_xent_grad(4, 10, 0.2f);

    return check_done("test_grad");
}

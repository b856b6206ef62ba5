/* test_backend.c - every op of the fast "cpu" backend against the "ref"
 * backend: forward and backward, odd shapes included (batch 1, channel
 * counts like 3, 5, 13 that are not multiples of the vector width, sizes
 * that leave a tail), with guard values after every output buffer to catch
 * overruns, and repeated calls that must agree bit for bit. Error is normalised as in
 * ggml's test-backend-ops: mse(a, b) / mse(a, 0). */
#include <string.h>

#include "engine/backend.h"
#include "check.h"
#include "base/util.h"

#define GUARD 16
#define GUARD_VALUE 12345.0f

static backend_t *ref, *cpu;
static rng_t rng;

static float *buf(size_t n, int random)
{
    float *p = afloat(n + GUARD);
    for (size_t i = 0; i < n; i++)
        p[i] = random ? rng_uniform(&rng) * 2.0f - 1.0f : 0.0f;
    for (size_t i = n; i < n + GUARD; i++)
        p[i] = GUARD_VALUE;
    return p;
}

static double nerr(const float *a, const float *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)a[i] * a[i];
    }
    return s > 0 ? d / s : d;
}

static int guard_ok(const float *p, size_t n)
{
    for (size_t i = n; i < n + GUARD; i++)
        if (p[i] != GUARD_VALUE)
            return 0;
    return 1;
}

static void compare(const char *what, const float *a, const float *b, size_t n)
{
    double e = nerr(a, b, n);
    CHECK(e < 1e-10, "%s: normalised error %.3g", what, e);
    CHECK(guard_ok(b, n), "%s: cpu backend wrote past the end", what);
}

static void test_conv(int n, int cin, int h, int w, int cout, int k, int pad, int stride,
                      int bias)
{
    conv_desc_t d;
    conv_desc_init(&d, n, cin, h, w, cout, k, pad, stride);
    size_t nx = (size_t)n * cin * h * w, nw = (size_t)cout * cin * k * k;
    size_t ny = (size_t)n * cout * d.oh * d.ow;
    float *x = buf(nx, 1), *wt = buf(nw, 1), *b = bias ? buf(cout, 1) : NULL;
    float *dy = buf(ny, 1);
    float *y0 = buf(ny, 0), *y1 = buf(ny, 0);
    float *dx0 = buf(nx, 0), *dx1 = buf(nx, 0), *dw0 = buf(nw, 0), *dw1 = buf(nw, 0);
    float *db0 = buf(cout, 0), *db1 = buf(cout, 0);
    char what[128];
    snprintf(what, sizeof what, "conv n%d c%d %dx%d -> %d k%d p%d s%d", n, cin, h, w, cout,
             k, pad, stride);
    ref->conv2d_forward(ref, &d, x, wt, b, y0);
    cpu->conv2d_forward(cpu, &d, x, wt, b, y1);
    compare(what, y0, y1, ny);
    ref->conv2d_backward(ref, &d, x, wt, dy, dx0, dw0, bias ? db0 : NULL);
    cpu->conv2d_backward(cpu, &d, x, wt, dy, dx1, dw1, bias ? db1 : NULL);
    compare(what, dx0, dx1, nx);
    compare(what, dw0, dw1, nw);
    if (bias)
        compare(what, db0, db1, cout);
    /* dx NULL (first layer) must still give the same weight gradient */
    cpu->conv2d_backward(cpu, &d, x, wt, dy, NULL, dw1, NULL);
    compare(what, dw0, dw1, nw);
    float *all[] = {x, wt, b, dy, y0, y1, dx0, dx1, dw0, dw1, db0, db1};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        afree(all[i]);
}

/* conv + max pool fused, against the reference's conv then pool */
static void test_conv_pool(int n, int cin, int h, int cout, int k, int pad, int pool,
                           int bias)
{
    conv_desc_t d;
    conv_desc_init(&d, n, cin, h, h, cout, k, pad, 1);
    int ph = (d.oh - pool) / pool + 1;
    size_t nx = (size_t)n * cin * h * h, nw = (size_t)cout * cin * k * k;
    size_t ny = (size_t)n * cout * ph * ph;
    float *x = buf(nx, 1), *wt = buf(nw, 1), *b = bias ? buf(cout, 1) : NULL;
    float *dy = buf(ny, 1), *y0 = buf(ny, 0), *y1 = buf(ny, 0);
    float *dx0 = buf(nx, 0), *dx1 = buf(nx, 0), *dw0 = buf(nw, 0), *dw1 = buf(nw, 0);
    float *db0 = buf(cout, 0), *db1 = buf(cout, 0);
    int32_t *a0 = xcalloc(ny, sizeof(int32_t)), *a1 = xcalloc(ny, sizeof(int32_t));
    char what[128];
    snprintf(what, sizeof what, "conv+pool n%d c%d %dx%d -> %d k%d p%d pool %d", n, cin, h, h,
             cout, k, pad, pool);
    ref->conv2d_maxpool_forward(ref, &d, pool, pool, x, wt, b, y0, a0);
    cpu->conv2d_maxpool_forward(cpu, &d, pool, pool, x, wt, b, y1, a1);
    compare(what, y0, y1, ny);
    CHECK(!memcmp(a0, a1, ny * sizeof(int32_t)), "%s: argmax differs", what);
    ref->conv2d_maxpool_backward(ref, &d, pool, pool, x, wt, a0, dy, dx0, dw0,
                                 bias ? db0 : NULL);
    cpu->conv2d_maxpool_backward(cpu, &d, pool, pool, x, wt, a0, dy, dx1, dw1,
                                 bias ? db1 : NULL);
    compare(what, dx0, dx1, nx);
    compare(what, dw0, dw1, nw);
    if (bias)
        compare(what, db0, db1, cout);
    /* weights only (the first layer), and input gradient only */
    cpu->conv2d_maxpool_backward(cpu, &d, pool, pool, x, wt, a0, dy, NULL, dw1, NULL);
    compare(what, dw0, dw1, nw);
    cpu->conv2d_maxpool_backward(cpu, &d, pool, pool, x, wt, a0, dy, dx1, NULL, NULL);
    compare(what, dx0, dx1, nx);
    float *all[] = {x, wt, b, dy, y0, y1, dx0, dx1, dw0, dw1, db0, db1};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        afree(all[i]);
    free(a0), free(a1);
}

static void test_linear(int n, int in, int out, int bias)
{
    float *x = buf((size_t)n * in, 1), *w = buf((size_t)out * in, 1);
    float *b = bias ? buf(out, 1) : NULL, *dy = buf((size_t)n * out, 1);
    float *y0 = buf((size_t)n * out, 0), *y1 = buf((size_t)n * out, 0);
    float *dx0 = buf((size_t)n * in, 0), *dx1 = buf((size_t)n * in, 0);
    float *dw0 = buf((size_t)out * in, 0), *dw1 = buf((size_t)out * in, 0);
    float *db0 = buf(out, 0), *db1 = buf(out, 0);
    char what[64];
    snprintf(what, sizeof what, "linear n%d %d -> %d", n, in, out);
    ref->linear_forward(ref, n, in, out, x, w, b, y0);
    cpu->linear_forward(cpu, n, in, out, x, w, b, y1);
    compare(what, y0, y1, (size_t)n * out);
    ref->linear_backward(ref, n, in, out, x, w, dy, dx0, dw0, bias ? db0 : NULL);
    cpu->linear_backward(cpu, n, in, out, x, w, dy, dx1, dw1, bias ? db1 : NULL);
    compare(what, dx0, dx1, (size_t)n * in);
    compare(what, dw0, dw1, (size_t)out * in);
    if (bias)
        compare(what, db0, db1, out);
    float *all[] = {x, w, b, dy, y0, y1, dx0, dx1, dw0, dw1, db0, db1};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        afree(all[i]);
}

/* ---- batch norm, alone and fused with GELU ----------------------------- */

static void test_bn(int n, int c, int hw, int with_gamma, int gelu)
{
    size_t nx = (size_t)n * c * hw;
    float *x = buf(nx, 1), *dy = buf(nx, 1), *gamma = with_gamma ? buf(c, 1) : NULL;
    float *beta = buf(c, 1);
    for (size_t i = 0; i < nx; i++) /* an offset and spread like a conv output */
        x[i] = 3.0f * x[i] + 0.5f;
    for (int i = 0; gamma && i < c; i++)
        gamma[i] += 1.5f;
    float *rm[2], *rv[2], *mean[2], *invstd[2], *y[2], *dx[2], *dg[2], *db[2];
    backend_t *bes[2] = {ref, cpu};
    for (int b = 0; b < 2; b++) {
        rm[b] = buf(c, 0), rv[b] = buf(c, 0), mean[b] = buf(c, 0), invstd[b] = buf(c, 0);
        y[b] = buf(nx, 0), dx[b] = buf(nx, 0), dg[b] = buf(c, 0), db[b] = buf(c, 0);
        for (int i = 0; i < c; i++)
            rv[b][i] = 1.0f;
        backend_t *be = bes[b];
        if (gelu) {
            be->bn_gelu_forward_train(be, n, c, hw, x, gamma, beta, 1e-12f, 0.6f, rm[b], rv[b],
                                      mean[b], invstd[b], y[b]);
            be->bn_gelu_backward(be, n, c, hw, x, gamma, beta, mean[b], invstd[b], dy, dx[b],
                                 dg[b], db[b]);
        } else {
            be->bn_forward_train(be, n, c, hw, x, gamma, beta, 1e-5f, 0.1f, rm[b], rv[b],
                                 mean[b], invstd[b], y[b]);
            be->bn_backward(be, n, c, hw, x, gamma, mean[b], invstd[b], dy, dx[b], dg[b],
                            db[b]);
        }
    }
    char what[128];
    snprintf(what, sizeof what, "bn%s n%d c%d hw%d%s", gelu ? "+gelu" : "", n, c, hw,
             with_gamma ? "" : " gamma=NULL");
    compare(what, y[0], y[1], nx);
    compare(what, mean[0], mean[1], c);
    compare(what, invstd[0], invstd[1], c);
    compare(what, rm[0], rm[1], c);
    compare(what, rv[0], rv[1], c);
    compare(what, dx[0], dx[1], nx);
    compare(what, dg[0], dg[1], c);
    compare(what, db[0], db[1], c);

    /* dx NULL: the parameter gradients alone, the same */
    float *db2 = buf(c, 0);
    if (gelu)
        cpu->bn_gelu_backward(cpu, n, c, hw, x, gamma, beta, mean[1], invstd[1], dy, NULL,
                              NULL, db2);
    else
        cpu->bn_backward(cpu, n, c, hw, x, gamma, mean[1], invstd[1], dy, NULL, NULL, db2);
    compare(what, db[0], db2, c);

    /* inference from the running statistics */
    for (int b = 0; b < 2; b++) {
        if (gelu)
            bes[b]->bn_gelu_forward_infer(bes[b], n, c, hw, x, gamma, beta, 1e-12f, rm[0],
                                          rv[0], y[b]);
        else
            bes[b]->bn_forward_infer(bes[b], n, c, hw, x, gamma, beta, 1e-5f, rm[0], rv[0],
                                     y[b]);
    }
    compare(what, y[0], y[1], nx);
    float *all[] = {x, dy, gamma, beta, db2, rm[0], rv[0], mean[0], invstd[0], y[0], dx[0],
                    dg[0], db[0], rm[1], rv[1], mean[1], invstd[1], y[1], dx[1], dg[1],
                    db[1]};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        afree(all[i]);
}

/* ---- element-wise ------------------------------------------------------ */

static void test_elementwise(size_t n)
{
    float *x = buf(n, 1), *x2 = buf(n, 1), *y0 = buf(n, 0), *y1 = buf(n, 0);
    for (size_t i = 0; i < n; i++) /* GELU's interesting range, and its tails */
        x[i] *= (i % 7 == 0) ? 12.0f : 4.0f;
    char what[64];
    snprintf(what, sizeof what, "relu forward %zu", n);
    ref->relu_forward(ref, n, x, y0), cpu->relu_forward(cpu, n, x, y1);
    compare(what, y0, y1, n);
    snprintf(what, sizeof what, "relu backward %zu", n);
    ref->relu_backward(ref, n, x, x2, y0), cpu->relu_backward(cpu, n, x, x2, y1);
    compare(what, y0, y1, n);
    snprintf(what, sizeof what, "gelu forward %zu", n);
    ref->gelu_forward(ref, n, x, y0), cpu->gelu_forward(cpu, n, x, y1);
    compare(what, y0, y1, n);
    snprintf(what, sizeof what, "gelu backward %zu", n);
    ref->gelu_backward(ref, n, x, x2, y0), cpu->gelu_backward(cpu, n, x, x2, y1);
    compare(what, y0, y1, n);
    snprintf(what, sizeof what, "mul %zu", n);
    ref->mul(ref, n, x, x2, y0), cpu->mul(cpu, n, x, x2, y1);
    compare(what, y0, y1, n);
    snprintf(what, sizeof what, "scale %zu", n);
    ref->scale(ref, n, 1.0f / 9.0f, x, y0), cpu->scale(cpu, n, 1.0f / 9.0f, x, y1);
    compare(what, y0, y1, n);
    memcpy(y1, x, n * sizeof(float)); /* in place, as a layer may run it */
    cpu->gelu_forward(cpu, n, y1, y1);
    ref->gelu_forward(ref, n, x, y0);
    compare("gelu forward in place", y0, y1, n);
    afree(x), afree(x2), afree(y0), afree(y1);
}

/* ---- max pool ---------------------------------------------------------- */

static void test_pool(int n, int c, int h, int w, int k, int s)
{
    int oh = (h - k) / s + 1, ow = (w - k) / s + 1;
    size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * oh * ow;
    float *x = buf(nx, 1), *dy = buf(ny, 1), *y0 = buf(ny, 0), *y1 = buf(ny, 0);
    float *dx0 = buf(nx, 0), *dx1 = buf(nx, 0);
    int32_t *a0 = xcalloc(ny, sizeof(int32_t)), *a1 = xcalloc(ny, sizeof(int32_t));
    for (size_t i = 0; i < nx; i += 5) /* some ties: the first max must win */
        x[i] = 0.25f;
    char what[96];
    snprintf(what, sizeof what, "maxpool n%d c%d %dx%d k%d s%d", n, c, h, w, k, s);
    ref->maxpool_forward(ref, n, c, h, w, k, s, x, y0, a0);
    cpu->maxpool_forward(cpu, n, c, h, w, k, s, x, y1, a1);
    compare(what, y0, y1, ny);
    CHECK(!memcmp(a0, a1, ny * sizeof(int32_t)), "%s: argmax differs", what);
    ref->maxpool_backward(ref, n, c, h, w, k, s, a0, dy, dx0);
    cpu->maxpool_backward(cpu, n, c, h, w, k, s, a1, dy, dx1);
    compare(what, dx0, dx1, nx);
    afree(x), afree(dy), afree(y0), afree(y1), afree(dx0), afree(dx1);
    free(a0), free(a1);
}

/* ---- SGD ---------------------------------------------------------------- */

static void test_sgd(size_t n, int nesterov)
{
    float *g = buf(n, 1), *p[2], *v[2];
    backend_t *bes[2] = {ref, cpu};
    for (int b = 0; b < 2; b++) {
        p[b] = buf(n, 0), v[b] = buf(n, 0);
        for (size_t i = 0; i < n; i++)
            p[b][i] = g[(i * 7) % n], v[b][i] = 0.5f * g[(i * 3) % n];
        for (int step = 0; step < 3; step++)
            bes[b]->sgd_step(bes[b], n, p[b], g, v[b], 0.1f, 0.85f, 5e-4f, nesterov);
    }
    char what[64];
    snprintf(what, sizeof what, "sgd %zu%s", n, nesterov ? " nesterov" : "");
    compare(what, p[0], p[1], n);
    compare(what, v[0], v[1], n);
    afree(g), afree(p[0]), afree(p[1]), afree(v[0]), afree(v[1]);
}

/* ---- determinism -------------------------------------------------------- */

/* The same call twice gives the same bits (no racy reductions). */
static void test_repeatable(void)
{
    enum { N = 9, C = 24, HW = 13, K = 40 };
    conv_desc_t d;
    conv_desc_init(&d, N, C, HW, HW, K, 3, 1, 1);
    size_t nx = (size_t)N * C * HW * HW, nw = (size_t)K * C * 9, ny = (size_t)N * K * HW * HW;
    float *x = buf(nx, 1), *w = buf(nw, 1), *dy = buf(ny, 1), *beta = buf(K, 1);
    float *mean = buf(K, 0), *invstd = buf(K, 0), *rm = buf(K, 0), *rv = buf(K, 0);
    float *y = buf(ny, 0), *dw[2], *dx[2], *dz[2], *db[2];
    for (int r = 0; r < 2; r++) {
        dw[r] = buf(nw, 0), dx[r] = buf(nx, 0), dz[r] = buf(ny, 0), db[r] = buf(K, 0);
        cpu->conv2d_backward(cpu, &d, x, w, dy, dx[r], dw[r], NULL);
        cpu->bn_gelu_forward_train(cpu, N, K, HW * HW, dy, NULL, beta, 1e-5f, 0.1f, rm, rv,
                                   mean, invstd, y);
        cpu->bn_gelu_backward(cpu, N, K, HW * HW, dy, NULL, beta, mean, invstd, y, dz[r],
                              NULL, db[r]);
    }
    CHECK(!memcmp(dw[0], dw[1], nw * sizeof(float)), "conv dw repeatable");
    CHECK(!memcmp(dx[0], dx[1], nx * sizeof(float)), "conv dx repeatable");
    CHECK(!memcmp(dz[0], dz[1], ny * sizeof(float)), "bn+gelu dx repeatable");
    CHECK(!memcmp(db[0], db[1], K * sizeof(float)), "bn+gelu dbeta repeatable");
    float *all[] = {x, w, dy, beta, mean, invstd, rm, rv, y, dw[0], dw[1], dx[0], dx[1],
                    dz[0], dz[1], db[0], db[1]};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        afree(all[i]);
}

int main(void)
{
    rng_seed(&rng, 7);
    ref = backend_new("ref", 1);
    cpu = backend_new("cpu", 2);
    CHECK(ref && cpu, "backends exist");
    CHECK(backend_new("nope", 1) == NULL, "unknown backend name refused");
    test_conv(1, 3, 8, 8, 5, 3, 1, 1, 1);
    test_conv(2, 5, 7, 9, 7, 3, 0, 1, 1);
    test_conv(3, 4, 9, 9, 6, 3, 1, 2, 0);
    test_conv(2, 7, 6, 6, 3, 1, 0, 1, 1);   /* pointwise */
    test_conv(1, 3, 5, 5, 2, 2, 0, 2, 0);   /* 2x2 stride 2 */
    test_conv(4, 32, 15, 15, 64, 3, 1, 1, 1); /* a layer of the basic net */
    /* the air net's shapes (Winograd where oneDNN has it), odd sizes */
    test_conv(2, 3, 32, 32, 24, 2, 0, 1, 0);  /* the whitening conv */
    test_conv(1, 24, 11, 11, 64, 3, 1, 1, 0);
    test_conv(3, 17, 9, 7, 19, 3, 1, 1, 0);   /* channels not a multiple of 8 */
    test_conv(2, 16, 7, 7, 16, 3, 0, 1, 1);   /* valid padding, bias */
    test_conv(1, 64, 3, 3, 32, 3, 1, 1, 0);
    test_conv(259, 16, 4, 4, 16, 3, 1, 1, 1); /* more than one chunk of images */
    test_repeatable();
    test_conv_pool(2, 24, 31, 64, 3, 1, 2, 0); /* air's first group */
    test_conv_pool(1, 3, 9, 13, 3, 1, 2, 1);   /* odd channels and sizes */
    test_conv_pool(3, 17, 8, 5, 3, 0, 3, 0);   /* pool 3 */
    test_conv_pool(2, 32, 7, 40, 3, 1, 2, 1);  /* Winograd, channels past a block */
    test_conv_pool(258, 16, 6, 16, 3, 1, 2, 0); /* more than one chunk */
    test_bn(1, 3, 5, 1, 0);
    test_bn(2, 5, 13, 0, 0);
    test_bn(3, 13, 1, 1, 0);
    test_bn(4, 64, 225, 0, 0);
    test_bn(1, 3, 5, 1, 1);
    test_bn(2, 5, 13, 0, 1);
    test_bn(3, 13, 9, 1, 1);
    test_bn(5, 40, 49, 0, 1);
    test_elementwise(1);
    test_elementwise(13);
    test_elementwise(100003);
    test_pool(1, 3, 4, 4, 2, 2);
    test_pool(2, 5, 31, 31, 2, 2);  /* odd size: the last row and column are dropped */
    test_pool(3, 13, 3, 3, 3, 3);   /* global over 3x3 */
    test_pool(2, 3, 7, 8, 3, 2);    /* overlapping windows */
    test_pool(4, 64, 15, 15, 2, 2);
    test_sgd(5, 0);
    test_sgd(100003, 1);
    test_linear(1, 17, 3, 1);
    test_linear(5, 64, 10, 1);
    test_linear(32, 2304, 512, 0);
    backend_free(ref);
    backend_free(cpu);
    return check_done("test_backend");
}

/* test_backend.c - every registered backend against the "ref" backend, op
 * by op: forward and backward, odd shapes included (batch 1, channel
 * counts like 3, 5, 13 that are not multiples of any vector width, sizes
 * that leave a tail).
 *
 * The backend under test gets only buffers it allocated itself, filled and
 * read through its own upload/download, so a GPU backend runs the same
 * cases. Every buffer carries guard values after its end, checked after
 * each op, to catch overruns. Error is normalised as in ggml's
 * test-backend-ops, mse(a, b) / mse(a, 0), with a limit per op. An op a
 * backend leaves NULL is reported as "skipped: op not supported", and a
 * backend that cannot open here (no device) as skipped with the reason:
 * neither is a failure. Adding a backend to the registry adds it here. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "backends/registry.h"
#include "base/philox.h"
#include "base/util.h"
#include "check.h"
#include "engine/backend.h"

#define GUARD 16
#define GUARD_VALUE 12345.0f

static backend_t *ref, *be; /* the reference, the backend under test */
static rng_t rng;

/* ---- buffers: a host copy and the same data in each backend ----------- */

typedef struct {
    size_t n;
    float *host;       /* (n) the values, or what was read back */
    float *r, *b;      /* (n + GUARD) in ref and in be */
} buf_t;

typedef struct {
    size_t n;
    int32_t *host;
    int32_t *r, *b;
} ibuf_t;

static void put(backend_t *x, float *dst, const float *src, size_t n)
{
    float *tmp = afloat(n + GUARD);
    memcpy(tmp, src, n * sizeof(float));
    for (size_t i = n; i < n + GUARD; i++)
        tmp[i] = GUARD_VALUE;
    x->upload(x, dst, tmp, n + GUARD);
    afree(tmp);
}

/* random in [-1, 1) when random, else zeros */
static buf_t mk(size_t n, int random)
{
    buf_t t = {n, afloat(n ? n : 1), ref->alloc(ref, n + GUARD), be->alloc(be, n + GUARD)};
    for (size_t i = 0; i < n; i++)
        t.host[i] = random ? rng_uniform(&rng) * 2.0f - 1.0f : 0.0f;
    put(ref, t.r, t.host, n);
    put(be, t.b, t.host, n);
    return t;
}

/* after editing t.host: both backends get it again */
static void reload(buf_t *t)
{
    put(ref, t->r, t->host, t->n);
    put(be, t->b, t->host, t->n);
}

static ibuf_t mki(size_t n, int below)
{
    ibuf_t t = {n, xcalloc(n ? n : 1, sizeof(int32_t)), ref->alloc_i32(ref, n),
                be->alloc_i32(be, n)};
    for (size_t i = 0; i < n; i++)
        t.host[i] = below ? (int32_t)rng_below(&rng, (uint32_t)below) : 0;
    ref->upload_i32(ref, t.r, t.host, n);
    be->upload_i32(be, t.b, t.host, n);
    return t;
}

static void drop(buf_t *t)
{
    afree(t->host);
    ref->free(ref, t->r);
    be->free(be, t->b);
}

static void dropi(ibuf_t *t)
{
    free(t->host);
    ref->free(ref, t->r);
    be->free(be, t->b);
}

/* The normalised-error limit of an op (float32 throughout). Convolutions
 * and GEMMs may sum in another order (Winograd, blocked GEMM); the
 * element-wise ops must agree to rounding. */
static double limit_of(const char *op)
{
    if (!strncmp(op, "conv", 4) || !strncmp(op, "linear", 6))
        return 1e-9;
    return 1e-10;
}

/* Reads t back from both backends, checks be's guard and compares. */
static void compare(const char *op, const char *what, buf_t *t)
{
    float *a = afloat(t->n + GUARD), *b = afloat(t->n + GUARD);
    ref->download(ref, a, t->r, t->n + GUARD);
    be->download(be, b, t->b, t->n + GUARD);
    double e = check_nerr(a, b, t->n), lim = limit_of(op);
    CHECK(e <= lim, "%s %s: %s: normalised error %.3g (limit %.0e)", be->name, op, what, e, lim);
    int guard = 1;
    for (size_t i = t->n; i < t->n + GUARD; i++)
        guard &= b[i] == GUARD_VALUE && a[i] == GUARD_VALUE;
    CHECK(guard, "%s %s: %s: wrote past the end of its buffer", be->name, op, what);
    memcpy(t->host, b, t->n * sizeof(float));
    afree(a), afree(b);
}

static void compare_i32(const char *op, const char *what, ibuf_t *t)
{
    int32_t *a = xcalloc(t->n ? t->n : 1, sizeof(int32_t));
    int32_t *b = xcalloc(t->n ? t->n : 1, sizeof(int32_t));
    ref->download_i32(ref, a, t->r, t->n);
    be->download_i32(be, b, t->b, t->n);
    CHECK(!memcmp(a, b, t->n * sizeof(int32_t)), "%s %s: %s: indices differ", be->name, op,
          what);
    free(a), free(b);
}

/* 1 when be has the op; otherwise says it is skipped */
#define HAS(op) has_op(#op, offsetof(backend_t, op))
static int has_op(const char *name, size_t offset)
{
    if (backend_has_op(be, offset))
        return 1;
    printf("  %s %s: skipped: op not supported\n", be->name, name);
    return 0;
}

/* ---- memory -------------------------------------------------------------- */

static void test_memory(void)
{
    enum { N = 1000 };
    float *z = be->alloc(be, N), host[N];
    be->download(be, host, z, N);
    int zero = 1;
    for (int i = 0; i < N; i++)
        zero &= host[i] == 0.0f;
    CHECK(zero, "%s: alloc is zero-filled", be->name);
    int32_t *zi = be->alloc_i32(be, N), ih[N];
    be->download_i32(be, ih, zi, N);
    zero = 1;
    for (int i = 0; i < N; i++)
        zero &= ih[i] == 0, ih[i] = i * 7 - 3;
    CHECK(zero, "%s: alloc_i32 is zero-filled", be->name);
    be->upload_i32(be, zi, ih, N);
    int32_t back[N];
    be->download_i32(be, back, zi, N);
    CHECK(!memcmp(ih, back, sizeof back), "%s: int32 upload/download round trip", be->name);
    be->free(be, zi);
    be->free(be, NULL);

    buf_t src = mk(7 * 13, 1), dst = mk(5 * 20, 0), cp = mk(7 * 13, 0);
    be->copy_rows(be, 5, 11, src.b, 13, dst.b, 20);
    ref->copy_rows(ref, 5, 11, src.r, 13, dst.r, 20);
    compare("copy_rows", "5 rows of 11 from stride 13 to 20", &dst);
    ref->copy(ref, cp.r, src.r, src.n);
    be->copy(be, cp.b, src.b, src.n);
    compare("copy", "91 floats", &cp);
    CHECK(!memcmp(cp.host, src.host, src.n * sizeof(float)), "%s: copy is exact", be->name);
    be->free(be, z);
    drop(&src), drop(&dst), drop(&cp);
}

/* ---- convolution ----------------------------------------------------------- */

static void test_conv(int n, int cin, int h, int w, int cout, int k, int pad, int stride,
                      int bias)
{
    if (!HAS(conv2d_forward) || !HAS(conv2d_backward))
        return;
    conv_desc_t d;
    conv_desc_init(&d, n, cin, h, w, cout, k, pad, stride);
    size_t nx = (size_t)n * cin * h * w, nw = (size_t)cout * cin * k * k;
    size_t ny = (size_t)n * cout * d.oh * d.ow;
    buf_t x = mk(nx, 1), wt = mk(nw, 1), b = mk(cout, 1), dy = mk(ny, 1), y = mk(ny, 0);
    buf_t dx = mk(nx, 0), dw = mk(nw, 0), db = mk(cout, 0);
    char what[128];
    snprintf(what, sizeof what, "n%d c%d %dx%d -> %d k%d p%d s%d%s", n, cin, h, w, cout, k,
             pad, stride, bias ? "" : " no bias");
    ref->conv2d_forward(ref, &d, x.r, wt.r, bias ? b.r : NULL, y.r);
    be->conv2d_forward(be, &d, x.b, wt.b, bias ? b.b : NULL, y.b);
    compare("conv2d_forward", what, &y);
    ref->conv2d_backward(ref, &d, x.r, wt.r, dy.r, dx.r, dw.r, bias ? db.r : NULL);
    be->conv2d_backward(be, &d, x.b, wt.b, dy.b, dx.b, dw.b, bias ? db.b : NULL);
    compare("conv2d_backward", what, &dx);
    compare("conv2d_backward", what, &dw);
    if (bias)
        compare("conv2d_backward", what, &db);
    /* dx NULL (the first layer) must still give the same weight gradient */
    be->conv2d_backward(be, &d, x.b, wt.b, dy.b, NULL, dw.b, NULL);
    compare("conv2d_backward", "dx NULL", &dw);
    buf_t *all[] = {&x, &wt, &b, &dy, &y, &dx, &dw, &db};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        drop(all[i]);
}

/* conv + max pool fused */
static void test_conv_pool(int n, int cin, int h, int cout, int k, int pad, int pool,
                           int bias)
{
    if (!HAS(conv2d_maxpool_forward) || !HAS(conv2d_maxpool_backward))
        return;
    conv_desc_t d;
    conv_desc_init(&d, n, cin, h, h, cout, k, pad, 1);
    int ph = (d.oh - pool) / pool + 1;
    size_t nx = (size_t)n * cin * h * h, nw = (size_t)cout * cin * k * k;
    size_t ny = (size_t)n * cout * ph * ph;
    buf_t x = mk(nx, 1), wt = mk(nw, 1), b = mk(cout, 1), dy = mk(ny, 1), y = mk(ny, 0);
    buf_t dx = mk(nx, 0), dw = mk(nw, 0), db = mk(cout, 0);
    ibuf_t am = mki(ny, 0);
    char what[128];
    snprintf(what, sizeof what, "n%d c%d %dx%d -> %d k%d p%d pool %d", n, cin, h, h, cout, k,
             pad, pool);
    ref->conv2d_maxpool_forward(ref, &d, pool, pool, x.r, wt.r, bias ? b.r : NULL, y.r, am.r);
    be->conv2d_maxpool_forward(be, &d, pool, pool, x.b, wt.b, bias ? b.b : NULL, y.b, am.b);
    compare("conv2d_maxpool_forward", what, &y);
    compare_i32("conv2d_maxpool_forward", what, &am);
    ref->conv2d_maxpool_backward(ref, &d, pool, pool, x.r, wt.r, am.r, dy.r, dx.r, dw.r,
                                 bias ? db.r : NULL);
    be->conv2d_maxpool_backward(be, &d, pool, pool, x.b, wt.b, am.b, dy.b, dx.b, dw.b,
                                bias ? db.b : NULL);
    compare("conv2d_maxpool_backward", what, &dx);
    compare("conv2d_maxpool_backward", what, &dw);
    if (bias)
        compare("conv2d_maxpool_backward", what, &db);
    /* weights only (the first layer), and input gradient only */
    be->conv2d_maxpool_backward(be, &d, pool, pool, x.b, wt.b, am.b, dy.b, NULL, dw.b, NULL);
    compare("conv2d_maxpool_backward", "dx NULL", &dw);
    be->conv2d_maxpool_backward(be, &d, pool, pool, x.b, wt.b, am.b, dy.b, dx.b, NULL, NULL);
    compare("conv2d_maxpool_backward", "dw NULL", &dx);
    buf_t *all[] = {&x, &wt, &b, &dy, &y, &dx, &dw, &db};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        drop(all[i]);
    dropi(&am);
}

static void test_linear(int n, int in, int out, int bias)
{
    if (!HAS(linear_forward) || !HAS(linear_backward))
        return;
    buf_t x = mk((size_t)n * in, 1), w = mk((size_t)out * in, 1), b = mk(out, 1);
    buf_t dy = mk((size_t)n * out, 1), y = mk((size_t)n * out, 0), dx = mk((size_t)n * in, 0);
    buf_t dw = mk((size_t)out * in, 0), db = mk(out, 0);
    char what[64];
    snprintf(what, sizeof what, "n%d %d -> %d%s", n, in, out, bias ? "" : " no bias");
    ref->linear_forward(ref, n, in, out, x.r, w.r, bias ? b.r : NULL, y.r);
    be->linear_forward(be, n, in, out, x.b, w.b, bias ? b.b : NULL, y.b);
    compare("linear_forward", what, &y);
    ref->linear_backward(ref, n, in, out, x.r, w.r, dy.r, dx.r, dw.r, bias ? db.r : NULL);
    be->linear_backward(be, n, in, out, x.b, w.b, dy.b, dx.b, dw.b, bias ? db.b : NULL);
    compare("linear_backward", what, &dx);
    compare("linear_backward", what, &dw);
    if (bias)
        compare("linear_backward", what, &db);
    buf_t *all[] = {&x, &w, &b, &dy, &y, &dx, &dw, &db};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        drop(all[i]);
}

/* ---- batch norm, alone and fused with GELU -------------------------------- */

typedef struct {
    buf_t x, dy, gamma, beta, rm, rv, mean, invstd, y, dx, dg, db;
} bn_bufs_t;

static void bn_bufs(bn_bufs_t *t, int n, int c, int hw, int with_gamma)
{
    size_t nx = (size_t)n * c * hw;
    t->x = mk(nx, 1), t->dy = mk(nx, 1), t->gamma = mk(c, 1), t->beta = mk(c, 1);
    for (size_t i = 0; i < nx; i++) /* an offset and spread like a conv output */
        t->x.host[i] = 3.0f * t->x.host[i] + 0.5f;
    for (int i = 0; with_gamma && i < c; i++)
        t->gamma.host[i] += 1.5f;
    reload(&t->x), reload(&t->gamma);
    t->rm = mk(c, 0), t->rv = mk(c, 0), t->mean = mk(c, 0), t->invstd = mk(c, 0);
    for (int i = 0; i < c; i++)
        t->rv.host[i] = 1.0f;
    reload(&t->rv);
    t->y = mk(nx, 0), t->dx = mk(nx, 0), t->dg = mk(c, 0), t->db = mk(c, 0);
}

static void test_bn(int n, int c, int hw, int with_gamma, int gelu)
{
    const char *fw = gelu ? "bn_gelu_forward_train" : "bn_forward_train";
    const char *bw = gelu ? "bn_gelu_backward" : "bn_backward";
    const char *inf = gelu ? "bn_gelu_forward_infer" : "bn_forward_infer";
    if (gelu ? !HAS(bn_gelu_forward_train) || !HAS(bn_gelu_backward) ||
                   !HAS(bn_gelu_forward_infer)
             : !HAS(bn_forward_train) || !HAS(bn_backward) || !HAS(bn_forward_infer))
        return;
    bn_bufs_t t;
    bn_bufs(&t, n, c, hw, with_gamma);
    backend_t *bes[2] = {ref, be};
    for (int i = 0; i < 2; i++) {
        backend_t *x = bes[i];
#define P(f) (i ? t.f.b : t.f.r)
        float *g = with_gamma ? P(gamma) : NULL;
        if (gelu) {
            x->bn_gelu_forward_train(x, n, c, hw, P(x), g, P(beta), 1e-12f, 0.6f, P(rm),
                                     P(rv), P(mean), P(invstd), P(y));
            x->bn_gelu_backward(x, n, c, hw, P(x), g, P(beta), P(mean), P(invstd), P(dy),
                                P(dx), P(dg), P(db));
        } else {
            x->bn_forward_train(x, n, c, hw, P(x), g, P(beta), 1e-5f, 0.1f, P(rm), P(rv),
                                P(mean), P(invstd), P(y));
            x->bn_backward(x, n, c, hw, P(x), g, P(mean), P(invstd), P(dy), P(dx), P(dg),
                           P(db));
        }
    }
    char what[96];
    snprintf(what, sizeof what, "n%d c%d hw%d%s", n, c, hw, with_gamma ? "" : " gamma=NULL");
    buf_t *fwd[] = {&t.y, &t.mean, &t.invstd, &t.rm, &t.rv};
    for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++)
        compare(fw, what, fwd[i]);
    compare(bw, what, &t.dx);
    if (with_gamma)
        compare(bw, what, &t.dg);
    compare(bw, what, &t.db);
    /* dx NULL: the parameter gradients alone, the same */
    float *g = with_gamma ? t.gamma.b : NULL;
    if (gelu)
        be->bn_gelu_backward(be, n, c, hw, t.x.b, g, t.beta.b, t.mean.b, t.invstd.b, t.dy.b,
                             NULL, NULL, t.db.b);
    else
        be->bn_backward(be, n, c, hw, t.x.b, g, t.mean.b, t.invstd.b, t.dy.b, NULL, NULL,
                        t.db.b);
    compare(bw, "dx NULL", &t.db);
    /* inference from the running statistics */
    for (int i = 0; i < 2; i++) {
        backend_t *x = bes[i];
        float *gi = with_gamma ? P(gamma) : NULL;
        if (gelu)
            x->bn_gelu_forward_infer(x, n, c, hw, P(x), gi, P(beta), 1e-12f, P(rm), P(rv),
                                     P(y));
        else
            x->bn_forward_infer(x, n, c, hw, P(x), gi, P(beta), 1e-5f, P(rm), P(rv), P(y));
#undef P
    }
    compare(inf, what, &t.y);
    buf_t *all[] = {&t.x, &t.dy, &t.gamma, &t.beta, &t.rm, &t.rv, &t.mean, &t.invstd,
                    &t.y, &t.dx, &t.dg, &t.db};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        drop(all[i]);
}

/* ---- element-wise ------------------------------------------------------------ */

static void test_elementwise(size_t n)
{
    buf_t x = mk(n, 1), x2 = mk(n, 1), y = mk(n, 0);
    for (size_t i = 0; i < n; i++) /* GELU's interesting range, and its tails */
        x.host[i] *= (i % 7 == 0) ? 12.0f : 4.0f;
    reload(&x);
    char what[64];
    snprintf(what, sizeof what, "%zu values", n);
    if (HAS(relu_forward)) {
        ref->relu_forward(ref, n, x.r, y.r), be->relu_forward(be, n, x.b, y.b);
        compare("relu_forward", what, &y);
    }
    if (HAS(relu_backward)) {
        ref->relu_backward(ref, n, x.r, x2.r, y.r), be->relu_backward(be, n, x.b, x2.b, y.b);
        compare("relu_backward", what, &y);
    }
    if (HAS(gelu_forward)) {
        ref->gelu_forward(ref, n, x.r, y.r), be->gelu_forward(be, n, x.b, y.b);
        compare("gelu_forward", what, &y);
        be->copy(be, y.b, x.b, n); /* in place, as a layer may run it */
        be->gelu_forward(be, n, y.b, y.b);
        ref->gelu_forward(ref, n, x.r, y.r);
        compare("gelu_forward", "in place", &y);
    }
    if (HAS(gelu_backward)) {
        ref->gelu_backward(ref, n, x.r, x2.r, y.r), be->gelu_backward(be, n, x.b, x2.b, y.b);
        compare("gelu_backward", what, &y);
    }
    if (HAS(mul)) {
        ref->mul(ref, n, x.r, x2.r, y.r), be->mul(be, n, x.b, x2.b, y.b);
        compare("mul", what, &y);
    }
    if (HAS(scale)) {
        ref->scale(ref, n, 1.0f / 9.0f, x.r, y.r), be->scale(be, n, 1.0f / 9.0f, x.b, y.b);
        compare("scale", what, &y);
    }
    if (HAS(axpby)) {
        ref->axpby(ref, n, 0.3f, x.r, 0.7f, x2.r), be->axpby(be, n, 0.3f, x.b, 0.7f, x2.b);
        compare("axpby", what, &x2);
        for (size_t i = 0; i < n; i++) /* b = 0: y is written, never read */
            y.host[i] = i % 3 ? 0.0f / 0.0f : 1.0f / 0.0f;
        reload(&y);
        ref->axpby(ref, n, -2.0f, x.r, 0.0f, y.r), be->axpby(be, n, -2.0f, x.b, 0.0f, y.b);
        compare("axpby", "b = 0 over NaN and inf", &y);
        int exact = 1;
        for (size_t i = 0; i < n; i++)
            exact &= y.host[i] == -2.0f * x.host[i];
        CHECK(exact, "%s axpby: b = 0 gives a * x exactly", be->name);
    }
    drop(&x), drop(&x2), drop(&y);
}

/* ---- dropout masks --------------------------------------------------------- */

static void test_philox_known_answers(void)
{
    /* Salmon et al.'s published test vectors for Philox-4x32-10 */
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int t = 0; t < 3; t++) {
        philox4_t c = {{kat[t][0], kat[t][1], kat[t][2], kat[t][3]}};
        philox4_t r = philox4x32_10(c, kat[t][4], kat[t][5]);
        CHECK(!memcmp(r.v, kat[t] + 6, sizeof r.v), "philox4x32-10 known answer %d", t);
    }
}

static void test_dropout(size_t n, float p)
{
    if (!HAS(dropout_mask))
        return;
    buf_t m = mk(n, 0), m2 = mk(n, 0);
    ref->dropout_mask(ref, n, p, 42, 7, m.r);
    be->dropout_mask(be, n, p, 42, 7, m.b);
    char what[64];
    snprintf(what, sizeof what, "%zu values, p %.2f", n, p);
    compare("dropout_mask", what, &m);
    size_t kept = 0, bad = 0, formula = 0;
    for (size_t i = 0; i < n; i++) {
        float v = m.host[i];
        kept += v != 0.0f;
        bad += v != 0.0f && v != 1.0f / (1.0f - p);
        formula += v != philox_dropout(42, 7, i, p);
    }
    CHECK(!bad, "%s dropout_mask: %zu values neither 0 nor 1/(1-p)", be->name, bad);
    CHECK(!formula, "%s dropout_mask: %zu values differ from philox_dropout()", be->name,
          formula);
    double share = (double)kept / n, sd = sqrt((1.0 - p) * p / n);
    CHECK(fabs(share - (1.0 - p)) < 5 * sd + 1e-12, "%s dropout_mask: kept %.4f, expected %.4f",
          be->name, share, 1.0 - p);
    be->dropout_mask(be, n, p, 42, 8, m2.b); /* another stream: another mask */
    ref->dropout_mask(ref, n, p, 42, 8, m2.r);
    compare("dropout_mask", "stream 8", &m2);
    CHECK(n < 64 || memcmp(m.host, m2.host, n * sizeof(float)),
          "%s dropout_mask: streams 7 and 8 give different masks", be->name);
    drop(&m), drop(&m2);
}

/* ---- max pool --------------------------------------------------------------- */

static void test_pool(int n, int c, int h, int w, int k, int s)
{
    if (!HAS(maxpool_forward) || !HAS(maxpool_backward))
        return;
    int oh = (h - k) / s + 1, ow = (w - k) / s + 1;
    size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * oh * ow;
    buf_t x = mk(nx, 1), dy = mk(ny, 1), y = mk(ny, 0), dx = mk(nx, 0);
    ibuf_t am = mki(ny, 0);
    for (size_t i = 0; i < nx; i += 5) /* some ties: the first max must win */
        x.host[i] = 0.25f;
    reload(&x);
    char what[96];
    snprintf(what, sizeof what, "n%d c%d %dx%d k%d s%d", n, c, h, w, k, s);
    ref->maxpool_forward(ref, n, c, h, w, k, s, x.r, y.r, am.r);
    be->maxpool_forward(be, n, c, h, w, k, s, x.b, y.b, am.b);
    compare("maxpool_forward", what, &y);
    compare_i32("maxpool_forward", what, &am);
    ref->maxpool_backward(ref, n, c, h, w, k, s, am.r, dy.r, dx.r);
    be->maxpool_backward(be, n, c, h, w, k, s, am.b, dy.b, dx.b);
    compare("maxpool_backward", what, &dx);
    drop(&x), drop(&dy), drop(&y), drop(&dx);
    dropi(&am);
}

/* ---- loss and optimiser ------------------------------------------------------- */

static void test_xent(int n, int k, float smoothing)
{
    if (!HAS(softmax_xent))
        return;
    buf_t z = mk((size_t)n * k, 1), p = mk((size_t)n * k, 0), dl = mk((size_t)n * k, 0);
    buf_t st = mk(2, 0);
    ibuf_t lab = mki(n, k);
    for (size_t i = 0; i < z.n; i++)
        z.host[i] *= 6.0f;
    reload(&z);
    st.host[0] = 1.25f, st.host[1] = 3.0f; /* stats accumulate onto what is there */
    reload(&st);
    char what[64];
    snprintf(what, sizeof what, "n%d k%d smoothing %.1f", n, k, smoothing);
    ref->softmax_xent(ref, n, k, z.r, lab.r, smoothing, p.r, dl.r, st.r);
    be->softmax_xent(be, n, k, z.b, lab.b, smoothing, p.b, dl.b, st.b);
    compare("softmax_xent", what, &p);
    compare("softmax_xent", what, &dl);
    compare("softmax_xent", what, &st);
    int hits = 0;
    for (int i = 0; i < n; i++) {
        const float *r = p.host + (size_t)i * k;
        int best = 0;
        for (int j = 1; j < k; j++)
            best = r[j] > r[best] ? j : best;
        hits += best == lab.host[i];
    }
    CHECK(st.host[1] == 3.0f + hits, "%s softmax_xent: hits %g, expected %d", be->name,
          st.host[1] - 3.0f, hits);
    be->softmax_xent(be, n, k, z.b, lab.b, smoothing, p.b, NULL, NULL); /* no dlogits, stats */
    ref->softmax_xent(ref, n, k, z.r, lab.r, smoothing, p.r, NULL, NULL);
    compare("softmax_xent", "dlogits and stats NULL", &p);
    drop(&z), drop(&p), drop(&dl), drop(&st);
    dropi(&lab);
}

static void test_sgd(size_t n, int nesterov)
{
    if (!HAS(sgd_step))
        return;
    buf_t g = mk(n, 1), p = mk(n, 0), v = mk(n, 0);
    for (size_t i = 0; i < n; i++)
        p.host[i] = g.host[(i * 7) % n], v.host[i] = 0.5f * g.host[(i * 3) % n];
    reload(&p), reload(&v);
    for (int step = 0; step < 3; step++) {
        ref->sgd_step(ref, n, p.r, g.r, v.r, 0.1f, 0.85f, 5e-4f, nesterov);
        be->sgd_step(be, n, p.b, g.b, v.b, 0.1f, 0.85f, 5e-4f, nesterov);
    }
    char what[64];
    snprintf(what, sizeof what, "%zu values%s", n, nesterov ? " nesterov" : "");
    compare("sgd_step", what, &p);
    compare("sgd_step", what, &v);
    drop(&g), drop(&p), drop(&v);
}

/* ---- determinism ---------------------------------------------------------------- */

/* The same call twice gives the same bits (no racy reductions). */
static void test_repeatable(void)
{
    if (!HAS(conv2d_backward) || !HAS(bn_gelu_forward_train) || !HAS(bn_gelu_backward))
        return;
    enum { N = 9, C = 24, HW = 13, K = 40 };
    conv_desc_t d;
    conv_desc_init(&d, N, C, HW, HW, K, 3, 1, 1);
    size_t nx = (size_t)N * C * HW * HW, nw = (size_t)K * C * 9, ny = (size_t)N * K * HW * HW;
    buf_t x = mk(nx, 1), w = mk(nw, 1), dy = mk(ny, 1), beta = mk(K, 1), mean = mk(K, 0);
    buf_t invstd = mk(K, 0), rm = mk(K, 0), rv = mk(K, 0), y = mk(ny, 0);
    buf_t dw[2], dx[2], dz[2], db[2];
    for (int r = 0; r < 2; r++) {
        dw[r] = mk(nw, 0), dx[r] = mk(nx, 0), dz[r] = mk(ny, 0), db[r] = mk(K, 0);
        be->conv2d_backward(be, &d, x.b, w.b, dy.b, dx[r].b, dw[r].b, NULL);
        be->bn_gelu_forward_train(be, N, K, HW * HW, dy.b, NULL, beta.b, 1e-5f, 0.1f, rm.b,
                                  rv.b, mean.b, invstd.b, y.b);
        be->bn_gelu_backward(be, N, K, HW * HW, dy.b, NULL, beta.b, mean.b, invstd.b, y.b,
                             dz[r].b, NULL, db[r].b);
        buf_t *out[] = {&dw[r], &dx[r], &dz[r], &db[r]};
        for (int i = 0; i < 4; i++)
            be->download(be, out[i]->host, out[i]->b, out[i]->n);
    }
    CHECK(!memcmp(dw[0].host, dw[1].host, nw * sizeof(float)), "%s: conv dw repeatable",
          be->name);
    CHECK(!memcmp(dx[0].host, dx[1].host, nx * sizeof(float)), "%s: conv dx repeatable",
          be->name);
    CHECK(!memcmp(dz[0].host, dz[1].host, ny * sizeof(float)), "%s: bn+gelu dx repeatable",
          be->name);
    CHECK(!memcmp(db[0].host, db[1].host, K * sizeof(float)), "%s: bn+gelu dbeta repeatable",
          be->name);
    buf_t *all[] = {&x, &w, &dy, &beta, &mean, &invstd, &rm, &rv, &y, &dw[0], &dw[1],
                    &dx[0], &dx[1], &dz[0], &dz[1], &db[0], &db[1]};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        drop(all[i]);
}

/* ---- the cases, for one backend ------------------------------------------------- */

/* ---- bf16 ---------------------------------------------------------------- */

static void set_precision(backend_t *x, const char *precision)
{
    char warning[256];
    err_t e;
    CHECK(!backend_set_precision(x, precision, 0, warning, sizeof warning, &e),
          "%s: --precision %s is accepted", x->name, precision);
}

/* The reference's bf16 emulation against its own fp32: different (the
 * operands were rounded) by about what bf16's 8-bit significand allows,
 * a relative rounding error of at most 2^-9 per operand. */
static void test_bf16_error(void)
{
    conv_desc_t d;
    conv_desc_init(&d, 2, 24, 11, 11, 32, 3, 1, 1);
    size_t nx = (size_t)2 * 24 * 11 * 11, nw = (size_t)32 * 24 * 9, ny = (size_t)2 * 32 * 121;
    float *x = ref->alloc(ref, nx), *w = ref->alloc(ref, nw), *y32 = ref->alloc(ref, ny);
    float *y16 = ref->alloc(ref, ny), *hx = afloat(nx), *hw = afloat(nw);
    for (size_t i = 0; i < nx; i++)
        hx[i] = rng_uniform(&rng) * 2.0f - 1.0f;
    for (size_t i = 0; i < nw; i++)
        hw[i] = rng_uniform(&rng) * 2.0f - 1.0f;
    ref->upload(ref, x, hx, nx);
    ref->upload(ref, w, hw, nw);
    ref->conv2d_forward(ref, &d, x, w, NULL, y16); /* ref is in bf16 mode here */
    ref->bf16 = 0;
    ref->conv2d_forward(ref, &d, x, w, NULL, y32);
    ref->bf16 = 1;
    double e = check_nerr(y32, y16, ny);
    CHECK(e > 1e-9 && e < 1e-4,
          "ref bf16 conv against fp32: normalised error %.3g (expected 1e-9 to 1e-4)", e);
    ref->free(ref, x), ref->free(ref, w), ref->free(ref, y32), ref->free(ref, y16);
    afree(hx), afree(hw);
}

/* The backend's bf16 convolutions against the reference's emulation, which
 * rounds the same operands to bf16 (products of two bf16 values are exact
 * in fp32, so only the order of the fp32 sums differs): the fp32 limits. */
static void test_bf16(void)
{
    if (be->bf16_support == BF16_NONE) {
        printf("  %s bf16: skipped: the backend computes in fp32 only here (%s)\n", be->name,
               be->desc);
        return;
    }
    set_precision(be, "bf16");
    set_precision(ref, "bf16");
    CHECK(be->bf16 && ref->bf16 && strstr(be->desc, ", bf16"), "%s: bf16 is set and named",
          be->name);
    printf("  %s bf16 (%s)\n", be->name,
           be->bf16_support == BF16_NATIVE ? "this CPU's bf16 instructions"
                                           : "emulated: this CPU has no bf16 instructions");
    test_conv(1, 3, 8, 8, 5, 3, 1, 1, 1);
    test_conv(3, 4, 9, 9, 6, 3, 1, 2, 0);
    test_conv(2, 3, 32, 32, 24, 2, 0, 1, 0);  /* the whitening conv */
    test_conv(3, 17, 9, 7, 19, 3, 1, 1, 0);   /* channels not a multiple of 8 */
    test_conv(4, 32, 15, 15, 64, 3, 1, 1, 1);
    test_conv(259, 16, 4, 4, 16, 3, 1, 1, 1); /* more than one chunk of images */
    test_conv_pool(2, 24, 31, 64, 3, 1, 2, 0); /* air's first group */
    test_conv_pool(1, 3, 9, 13, 3, 1, 2, 1);
    test_conv_pool(2, 32, 7, 40, 3, 1, 2, 1);
    test_conv_pool(258, 16, 6, 16, 3, 1, 2, 0);
    set_precision(be, "fp32");
    set_precision(ref, "fp32");
    CHECK(!be->bf16 && strstr(be->desc, ", fp32") && !strstr(be->desc, "bf16, "),
          "%s: back to fp32, named once", be->name);
}

static void test_precision_choice(void)
{
    char warning[256];
    err_t e;
    CHECK(backend_set_precision(be, "fp16", 0, warning, sizeof warning, &e) == -1 &&
              strstr(e.msg, "fp16") && strstr(e.msg, "auto, fp32 or bf16"),
          "%s: an unknown precision is refused, naming it", be->name);
    CHECK(!backend_set_precision(be, "auto", 0, warning, sizeof warning, &e) && !be->bf16,
          "%s: auto is fp32 where the recipe does not ask for bf16", be->name);
    CHECK(!backend_set_precision(be, "auto", 1, warning, sizeof warning, &e) &&
              be->bf16 == (be->bf16_support == BF16_NATIVE),
          "%s: auto with a bf16 recipe is bf16 exactly where it is native", be->name);
    if (be->bf16_support == BF16_NONE)
        CHECK(backend_set_precision(be, "bf16", 0, warning, sizeof warning, &e) == -1 &&
                  strstr(e.msg, "--precision bf16") && strstr(e.msg, "--precision fp32") &&
                  !be->bf16,
              "%s: bf16 where it has none is refused, saying what to use (%s)", be->name,
              e.msg);
    set_precision(be, "fp32");
}

static void test_one_backend(void)
{
    test_memory();
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
    test_dropout(1, 0.5f);
    test_dropout(1003, 0.25f);
    test_dropout(100003, 0.5f);
    test_pool(1, 3, 4, 4, 2, 2);
    test_pool(2, 5, 31, 31, 2, 2);  /* odd size: the last row and column are dropped */
    test_pool(3, 13, 3, 3, 3, 3);   /* global over 3x3 */
    test_pool(2, 3, 7, 8, 3, 2);    /* overlapping windows */
    test_pool(4, 64, 15, 15, 2, 2);
    test_xent(1, 2, 0.0f);
    test_xent(7, 10, 0.2f);
    test_xent(33, 100, 0.0f);
    test_sgd(5, 0);
    test_sgd(100003, 1);
    test_linear(1, 17, 3, 1);
    test_linear(5, 64, 10, 1);
    test_linear(32, 2304, 512, 0);
    test_precision_choice();
    test_bf16();
}

int main(void)
{
    err_t e;
    ref = backend_open("ref", 1, &e);
    CHECK(ref != NULL, "the reference opens");
    if (!ref)
        return check_done("test_backend");
    CHECK(backend_missing_op(ref) == NULL, "the reference has every op");
    CHECK(backend_open("nope", 1, &e) == NULL && strstr(e.msg, "nope"),
          "an unknown device is refused, naming it");
    test_philox_known_answers();
    rng_seed(&rng, 5);
    set_precision(ref, "bf16");
    test_bf16_error(); /* the emulation every machine has */
    set_precision(ref, "fp32");
    int tested = 0;
    for (int i = 1; backend_registered(i); i++) {
        const char *name = backend_registered(i);
        rng_seed(&rng, 7);
        be = backend_open(name, 2, &e);
        if (!be) {
            printf("%s: skipped: %s\n", name, e.msg);
            continue;
        }
        printf("%s (%s) against ref\n", name, be->desc);
        int before = check_failures;
        test_one_backend();
        printf("%s: %s\n", name, check_failures == before ? "ok" : "FAILED");
        backend_free(be);
        tested++;
    }
    CHECK(tested >= 1, "at least the CPU backend was tested");
    backend_free(ref);
    return check_done("test_backend");
}

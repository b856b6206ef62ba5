/* test_backend.c - every op of the fast "cpu" backend against the "ref"
 * backend: forward and backward, odd shapes included, with guard values
 * after every output buffer to catch overruns. Error is normalised as in
 * ggml's test-backend-ops: mse(a, b) / mse(a, 0). */
#include <string.h>

#include "backend.h"
#include "check.h"
#include "util.h"

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
    test_linear(1, 17, 3, 1);
    test_linear(5, 64, 10, 1);
    test_linear(32, 2304, 512, 0);
    backend_free(ref);
    backend_free(cpu);
    return check_done("test_backend");
}

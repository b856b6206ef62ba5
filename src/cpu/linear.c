/* cpu/linear.c - fully connected layers of the fast CPU backend.
 *
 * The products go to oneDNN's SGEMM (row-major, JIT-compiled for the CPU,
 * threaded on the same OpenMP runtime as the convolutions, so no second
 * thread pool competes for the cores). Bias sums are plain loops.
 */
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/priv.h"

static void sgemm(char ta, char tb, int m, int n, int k, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc)
{
    dnnl_status_t s = dnnl_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
    if (s != dnnl_success) {
        fprintf(stderr, "mscnn: %s:%d: oneDNN sgemm %c%c %dx%dx%d failed (status %d)\n",
                __FILE__, __LINE__, ta, tb, m, n, k, (int)s);
        abort();
    }
}

void cpu_linear_forward(backend_t *be, int n, int in, int out, const float *x,
                        const float *w, const float *b, float *y)
{
    /* y (n, out) = x (n, in) . w^T (in, out) + b (out) */
    if (b)
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++)
                y[(size_t)i * out + o] = b[o];
    cpu_guard_t g;
    cpu_enter(be, &g);
    sgemm('N', 'T', n, out, in, x, in, w, in, b ? 1.0f : 0.0f, y, out);
    cpu_leave(&g);
}

void cpu_linear_backward(backend_t *be, int n, int in, int out, const float *x,
                         const float *w, const float *dy, float *dx, float *dw,
                         float *db)
{
    cpu_guard_t g;
    cpu_enter(be, &g);
    if (dx) /* dx (n, in) = dy (n, out) . w (out, in) */
        sgemm('N', 'N', n, in, out, dy, out, w, in, 0.0f, dx, in);
    if (dw) /* dw (out, in) = dy^T (out, n) . x (n, in) */
        sgemm('T', 'N', out, in, n, dy, out, x, in, 0.0f, dw, in);
    cpu_leave(&g);
    if (db) /* db (out) = column sums of dy, in double like the reference */
        for (int o = 0; o < out; o++) {
            double s = 0.0;
            for (int i = 0; i < n; i++)
                s += dy[(size_t)i * out + o];
            db[o] = (float)s;
        }
}

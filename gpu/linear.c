/* linear.c - linear layers on cuBLAS SGEMM.
 *
 * The table is row-major (x (n, in), w (out, in), y (n, out)) and cuBLAS
 * column-major: a row-major (r, c) matrix is the column-major (c, r)
 * matrix of its transpose with leading dimension c, so each product is
 * written for the transposes:
 *   y  = x w^T + b   ->  y^T (out, n)  = w^T' x^T      gemm(T, N, out, n, in)
 *                         plus b 1^T, a rank-one gemm written first
 *   dx = dy w        ->  dx^T (in, n)  = w^T dy^T       gemm(N, N, in, n, out)
 *   dw = dy^T x      ->  dw^T (in, out) = x^T dy        gemm(N, T, in, out, n)
 *   db = 1^T dy      ->  db (out)      = dy^T 1         gemv(N, out, n)
 * where w^T' is the column-major view of w (in, out) transposed. The sums
 * of the bias terms use a buffer of ones in priv, grown on demand.
 *
 * The handle's math mode is CUBLAS_DEFAULT_MATH with float compute: plain
 * fp32 FMA kernels, no TF32 Tensor Cores (those need
 * CUBLAS_TF32_TENSOR_OP_MATH or a *_FAST_TF32 compute type), so results
 * match the reference up to summation order. cuBLAS gives the same bits
 * run to run on one stream and one GPU model. */
#include <stdlib.h>

#include "gpu/host.h"
#include "gpu/priv.h"

/* priv->ones with at least count ones */
static const float *ones(backend_t *be, size_t count)
{
    gpu_priv_t *p = gpu_priv(be);
    size_t grown = gpu_grow(p->ones_count, count, 4096);
    if (grown) {
        float *host = malloc(grown * sizeof(float));
        if (!host)
            gpu_fail(__FILE__, __LINE__, "malloc", "out of memory for the ones vector");
        for (size_t i = 0; i < grown; i++)
            host[i] = 1.0f;
        void *d = p->ones;
        gpu_realloc(be, &d, grown * sizeof(float));
        p->ones = d;
        p->ones_count = grown;
        /* pageable source: staged before cudaMemcpyAsync returns */
        CHECK_CUDA(cudaMemcpyAsync(p->ones, host, grown * sizeof(float),
                                   cudaMemcpyHostToDevice, p->stream));
        free(host);
    }
    return p->ones;
}

static const float one = 1.0f, zero = 0.0f;

static void gpu_linear_forward(backend_t *be, int n, int in, int out, const float *x,
                               const float *w, const float *b, float *y)
{
    gpu_enter(be);
    if (n <= 0 || out <= 0)
        return;
    cublasHandle_t h = gpu_priv(be)->cublas;
    const float *beta = &zero;
    if (b) { /* y^T = b 1^T: every column of y^T (row of y) is b */
        CHECK_CUBLAS(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, out, n, 1, &one, b, out,
                                 ones(be, (size_t)n), 1, &zero, y, out));
        beta = &one;
    }
    if (in <= 0) {
        if (!b)
            CHECK_CUDA(cudaMemsetAsync(y, 0, (size_t)n * out * sizeof(float),
                                       gpu_stream(be)));
        return;
    }
    CHECK_CUBLAS(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, &one, w, in, x, in, beta,
                             y, out));
}

static void gpu_linear_backward(backend_t *be, int n, int in, int out, const float *x,
                                const float *w, const float *dy, float *dx, float *dw,
                                float *db)
{
    gpu_enter(be);
    cublasHandle_t h = gpu_priv(be)->cublas;
    cudaStream_t st = gpu_stream(be);
    if (n <= 0 || in <= 0 || out <= 0) { /* empty sums: zero gradients */
        if (db && out > 0)
            CHECK_CUDA(cudaMemsetAsync(db, 0, (size_t)out * sizeof(float), st));
        if (dw && out > 0 && in > 0)
            CHECK_CUDA(cudaMemsetAsync(dw, 0, (size_t)out * in * sizeof(float), st));
        if (dx && n > 0 && in > 0)
            CHECK_CUDA(cudaMemsetAsync(dx, 0, (size_t)n * in * sizeof(float), st));
        return;
    }
    if (db)
        CHECK_CUBLAS(cublasSgemv(h, CUBLAS_OP_N, out, n, &one, dy, out, ones(be, (size_t)n), 1,
                                 &zero, db, 1));
    if (dw)
        CHECK_CUBLAS(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_T, in, out, n, &one, x, in, dy, out,
                                 &zero, dw, in));
    if (dx)
        CHECK_CUBLAS(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, in, n, out, &one, w, in, dy, out,
                                 &zero, dx, in));
}

void gpu_linear_init(backend_t *be)
{
    be->linear_forward = gpu_linear_forward;
    be->linear_backward = gpu_linear_backward;
}

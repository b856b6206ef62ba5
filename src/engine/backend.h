/* backend.h - the table of operations a compute backend provides.
 *
 * All tensors are float32, contiguous, NCHW. Every op takes the backend
 * itself first (for its private scratch and thread settings). Backward ops
 * OVERWRITE their outputs (dx, dw, db); a NULL gradient pointer means "not
 * needed" and the op skips that work. Buffers passed to ops come from
 * be->alloc() (host memory for CPU backends, device memory for GPU ones).
 *
 * Backends: "ref" (plain loops, the reference every other backend is tested
 * against) and "cpu" (the fast CPU backend: oneDNN convolutions and GEMM,
 * OpenMP kernels for the rest). The model and training code
 * only ever call through this table.
 */
#ifndef MSCNN_BACKEND_H
#define MSCNN_BACKEND_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n, cin, h, w;  /* input  x (n, cin, h, w) */
    int cout, kh, kw;  /* weight w (cout, cin, kh, kw), bias (cout) */
    int pad, stride;   /* zero padding on every side, stride */
    int oh, ow;        /* output y (n, cout, oh, ow), set by conv_desc_init */
} conv_desc_t;

void conv_desc_init(conv_desc_t *d, int n, int cin, int h, int w, int cout,
                    int k, int pad, int stride);

typedef struct backend backend_t;

struct backend {
    const char *name;
    void *priv;        /* backend-owned scratch/state */
    int threads;

    /* memory */
    float *(*alloc)(backend_t *be, size_t count);           /* zero-filled */
    void (*free)(backend_t *be, float *p);
    void (*upload)(backend_t *be, float *dst, const float *src, size_t count);
    void (*download)(backend_t *be, float *dst, const float *src, size_t count);
    void (*copy)(backend_t *be, float *dst, const float *src, size_t count); /* within backend memory */
    /* 2-D copy within backend memory: for r < rows, copies width floats
     * from src + r * src_stride to dst + r * dst_stride */
    void (*copy_rows)(backend_t *be, int rows, int width, const float *src,
                      int src_stride, float *dst, int dst_stride);

    /* y = conv(x, w) + b; b may be NULL */
    void (*conv2d_forward)(backend_t *be, const conv_desc_t *d, const float *x,
                           const float *w, const float *b, float *y);
    void (*conv2d_backward)(backend_t *be, const conv_desc_t *d, const float *x,
                            const float *w, const float *dy, float *dx,
                            float *dw, float *db);

    /* Convolution then max pool (window k, stride s, no padding), fused:
     * y (n, cout, ph, pw) = maxpool(conv(x, w) + b) with ph = (oh - k) / s
     * + 1. The conv output (n, cout, oh, ow) is not stored; argmax
     * (n, cout, ph, pw) holds flat indices into it, as maxpool_forward's
     * would. The backward takes dy (n, cout, ph, pw) and gives what
     * conv2d_backward gives for the unpooled gradient. */
    void (*conv2d_maxpool_forward)(backend_t *be, const conv_desc_t *d, int k, int s,
                                   const float *x, const float *w, const float *b,
                                   float *y, int32_t *argmax);
    void (*conv2d_maxpool_backward)(backend_t *be, const conv_desc_t *d, int k, int s,
                                    const float *x, const float *w,
                                    const int32_t *argmax, const float *dy, float *dx,
                                    float *dw, float *db);

    /* y (n, out) = x (n, in) . w^T (w is (out, in)) + b; b may be NULL */
    void (*linear_forward)(backend_t *be, int n, int in, int out, const float *x,
                           const float *w, const float *b, float *y);
    void (*linear_backward)(backend_t *be, int n, int in, int out, const float *x,
                            const float *w, const float *dy, float *dx,
                            float *dw, float *db);

    /* Batch norm over (n, c, hw): per-channel statistics over n*hw values.
     * gamma NULL means a scale frozen at 1. Training mode uses the batch
     * mean and biased variance, writes mean/invstd (c) for backward and
     * updates running stats: r = (1 - momentum) * r + momentum * batch
     * (running_var gets the unbiased batch variance). */
    void (*bn_forward_train)(backend_t *be, int n, int c, int hw, const float *x,
                             const float *gamma, const float *beta, float eps,
                             float momentum, float *running_mean,
                             float *running_var, float *mean, float *invstd,
                             float *y);
    void (*bn_forward_infer)(backend_t *be, int n, int c, int hw, const float *x,
                             const float *gamma, const float *beta, float eps,
                             const float *running_mean, const float *running_var,
                             float *y);
    void (*bn_backward)(backend_t *be, int n, int c, int hw, const float *x,
                        const float *gamma, const float *mean,
                        const float *invstd, const float *dy, float *dx,
                        float *dgamma, float *dbeta);

    /* element-wise; backward takes the forward INPUT x */
    void (*relu_forward)(backend_t *be, size_t count, const float *x, float *y);
    void (*relu_backward)(backend_t *be, size_t count, const float *x,
                          const float *dy, float *dx);
    /* exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) */
    void (*gelu_forward)(backend_t *be, size_t count, const float *x, float *y);
    void (*gelu_backward)(backend_t *be, size_t count, const float *x,
                          const float *dy, float *dx);
    /* y = x * mask (dropout forward with mask in {0, 1/(1-p)}; also its
     * backward: dx = dy * mask) */
    void (*mul)(backend_t *be, size_t count, const float *x, const float *mask,
                float *y);
    /* y = alpha * x (a fixed output scale; also its backward) */
    void (*scale)(backend_t *be, size_t count, float alpha, const float *x,
                  float *y);

    /* Batch norm followed by exact GELU, fused: y = gelu(bn(x)), with the
     * same statistics, running-stat updates and arguments as the bn_ ops.
     * The normalised value bn(x) is not stored: the backward recomputes it
     * from x, mean, invstd, gamma and beta, so it also takes beta. */
    void (*bn_gelu_forward_train)(backend_t *be, int n, int c, int hw,
                                  const float *x, const float *gamma,
                                  const float *beta, float eps, float momentum,
                                  float *running_mean, float *running_var,
                                  float *mean, float *invstd, float *y);
    void (*bn_gelu_forward_infer)(backend_t *be, int n, int c, int hw,
                                  const float *x, const float *gamma,
                                  const float *beta, float eps,
                                  const float *running_mean,
                                  const float *running_var, float *y);
    void (*bn_gelu_backward)(backend_t *be, int n, int c, int hw, const float *x,
                             const float *gamma, const float *beta,
                             const float *mean, const float *invstd,
                             const float *dy, float *dx, float *dgamma,
                             float *dbeta);

    /* max pool, window k, stride s, no padding: oh = (h - k) / s + 1.
     * argmax (n, c, oh, ow) records the flat index into x of each max
     * (first max wins on ties). */
    void (*maxpool_forward)(backend_t *be, int n, int c, int h, int w, int k,
                            int s, const float *x, float *y, int32_t *argmax);
    /* dx zero except the recorded positions (sums if windows overlap) */
    void (*maxpool_backward)(backend_t *be, int n, int c, int h, int w, int k,
                             int s, const int32_t *argmax, const float *dy,
                             float *dx);

    /* Softmax cross-entropy with label smoothing eps: target is
     * (1 - eps) on the label plus eps / k on every class. Writes probs
     * (n, k) and, if dlogits is not NULL, dloss/dlogits of the MEAN loss.
     * Returns the mean loss. labels are int32 in [0, k). */
    double (*softmax_xent)(backend_t *be, int n, int k, const float *logits,
                           const int32_t *labels, float smoothing, float *probs,
                           float *dlogits);

    /* SGD with momentum as PyTorch: g = grad + wd * p; v = mom * v + g;
     * step = nesterov ? g + mom * v : v; p -= lr * step. */
    void (*sgd_step)(backend_t *be, size_t count, float *param, const float *grad,
                     float *velocity, float lr, float momentum,
                     float weight_decay, int nesterov);

    /* frees priv; NULL when there is nothing to free */
    void (*release)(backend_t *be);
};

/* Creates a backend by name ("ref" or "cpu"); NULL for an unknown name.
 * threads <= 0 means all online cores. Free with backend_free(). */
backend_t *backend_new(const char *name, int threads);
void backend_free(backend_t *be);

/* The plain reference implementations, for other backends to reuse. */
void backend_ref_init(backend_t *be);

#endif

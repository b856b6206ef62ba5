/* backend.h - the table of operations a compute backend provides.
 *
 * All tensors are float32 (labels and pool indices int32), contiguous,
 * NCHW. Every op takes the backend itself first (for its private scratch
 * and thread settings). Backward ops OVERWRITE their outputs (dx, dw, db);
 * a NULL gradient pointer means "not needed" and the op skips that work.
 *
 * Ownership: every pointer an op reads or writes is backend memory, from
 * be->alloc() or be->alloc_i32() (host memory for CPU backends, device
 * memory for GPU ones), owned by whoever allocated it and released with
 * be->free(). Host memory reaches an op only through upload/download; the
 * host never reads or writes backend memory directly, so the same caller
 * works on every backend. Ops keep no pointer to their arguments.
 *
 * A backend that lacks an op leaves it NULL; backend_missing_op() names
 * the first missing one, and the registry (backends/registry.h), the only
 * code that names backends, refuses to open a backend that lacks one.
 * The model and training code only ever call through this table.
 */
#ifndef MSCNN_BACKEND_H
#define MSCNN_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int n, cin, h, w;  /* input  x (n, cin, h, w) */
    int cout, kh, kw;  /* weight w (cout, cin, kh, kw), bias (cout) */
    int pad, stride;   /* zero padding on every side, stride */
    int oh, ow;        /* output y (n, cout, oh, ow), set by conv_desc_init */
} conv_desc_t;

void conv_desc_init(conv_desc_t *d, int n, int cin, int h, int w, int cout,
                    int k, int pad, int stride);

typedef struct backend backend_t;

/* What a backend can do with bf16 (backend_t.bf16_support): nothing, the
 * arithmetic in fp32 on rounded operands (correct, not faster), or the
 * hardware's own bf16 instructions. */
enum { BF16_NONE = 0, BF16_EMULATED, BF16_NATIVE };

#define BACKEND_DESC_LEN 160

struct backend {
    const char *name;  /* "ref", "cpu", ... as the registry knows it */
    char desc[BACKEND_DESC_LEN]; /* for headers and reports, e.g.
                                    "cpu: 2 threads, AVX-512 + AMX, bf16" */
    char note[BACKEND_DESC_LEN]; /* why the registry chose it, when that is
                                    news ("auto: ..."); else empty */
    void *priv;        /* backend-owned scratch/state */
    int threads;       /* CPU threads the backend uses */

    /* Precision. With bf16 set, every convolution reads its operands (x
     * and w forward; dy and w for dx; x and dy for dw and db) rounded to
     * bf16 (round to nearest even), accumulates in fp32 and writes fp32:
     * the tensors between ops, the weights, batch-norm statistics, the
     * loss and the optimizer stay fp32. Linear layers stay fp32. Set it
     * through backend_set_precision() (backends/registry.h), which checks
     * bf16_support. */
    int bf16;
    int bf16_support;  /* BF16_NONE (0), BF16_EMULATED, BF16_NATIVE */

    /* memory: zero-filled backend buffers of count elements; free takes
     * either kind (and NULL) */
    float *(*alloc)(backend_t *be, size_t count);
    int32_t *(*alloc_i32)(backend_t *be, size_t count);
    void (*free)(backend_t *be, void *p);
    void (*upload)(backend_t *be, float *dst, const float *src, size_t count);
    void (*download)(backend_t *be, float *dst, const float *src, size_t count);
    void (*upload_i32)(backend_t *be, int32_t *dst, const int32_t *src, size_t count);
    void (*download_i32)(backend_t *be, int32_t *dst, const int32_t *src, size_t count);
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
    /* y = a * x + b * y; when b is 0, y is only written (BLAS semantics):
     * TTA logit sums, the lookahead blend of weights */
    void (*axpby)(backend_t *be, size_t count, float a, const float *x, float b,
                  float *y);
    /* The dropout mask of drop probability p: mask[i] = 1 / (1 - p) when
     * uniform_i < 1 - p, else 0, with uniform_i drawn by Philox-4x32-10
     * keyed by seed at counter (i / 4, stream): see base/philox.h. Every
     * backend draws the same mask for the same (seed, stream). */
    void (*dropout_mask)(backend_t *be, size_t count, float p, uint64_t seed,
                         uint64_t stream, float *mask);

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
     * labels (n) are int32 in [0, k). If stats (2 floats) is not NULL it
     * accumulates there, in backend memory, so that nothing crosses to
     * the host per step: stats[0] += the summed loss of the n rows,
     * stats[1] += the rows whose largest probability (the first on ties)
     * is at the label. */
    void (*softmax_xent)(backend_t *be, int n, int k, const float *logits,
                         const int32_t *labels, float smoothing, float *probs,
                         float *dlogits, float *stats);

    /* SGD with momentum as PyTorch: g = grad + wd * p; v = mom * v + g;
     * step = nesterov ? g + mom * v : v; p -= lr * step. */
    void (*sgd_step)(backend_t *be, size_t count, float *param, const float *grad,
                     float *velocity, float lr, float momentum,
                     float weight_decay, int nesterov);

    /* frees priv; NULL when there is nothing to free */
    void (*release)(backend_t *be);
};

/* The ops of the table by name, for checks and tests: backend_op_count()
 * entries, each a name and the op's offset in backend_t. */
typedef struct {
    const char *name;
    size_t offset;
} backend_op_t;
extern const backend_op_t backend_ops[];
int backend_op_count(void);
/* 1 when the op at that offset is present */
int backend_has_op(const backend_t *be, size_t offset);
/* The name of the first op be lacks, or NULL when it has them all. */
const char *backend_missing_op(const backend_t *be);

/* Fills the table with the plain reference ops (engine/backend_ref.c):
 * the "ref" backend. Other backends fill their own tables; one that wants
 * a reference op takes it by name from engine/backend_ref.h. */
void backend_ref_init(backend_t *be);

#ifdef __cplusplus
}
#endif

#endif

/* ops.cu - the CUDA backend's own kernels: element-wise ops, dropout
 * masks, batch norm (alone and fused with GELU), max pooling, softmax
 * cross-entropy and the SGD step. Convolutions are cuDNN's (gpu/conv.c),
 * linear layers cuBLAS's (gpu/linear.c).
 *
 * The work of every element, channel or row is a function of gpu/elem.h,
 * shared with the CPU test tests/test_gpu_elem.c; here are only the
 * launches around them. All launches go to the backend's stream
 * (gpu_stream), each followed by CHECK_LAUNCH(); nothing synchronises.
 *
 * Shapes (ELEM_BLOCK threads a block throughout):
 *   element-wise, dropout, SGD, max pool: a grid-stride loop over the
 *     elements (pool forward: the outputs; backward: the inputs, each
 *     gathering its gradient), elem_grid() blocks;
 *   batch norm: one block per channel; two passes of per-thread double
 *     sums reduced by a fixed tree for the statistics, then the outputs;
 *   softmax cross-entropy: a thread per row; with stats, a single block
 *     whose threads' loss and hit sums are reduced by the same tree.
 * No float atomics anywhere: every result is the same run to run. */
extern "C" {
#include "engine/backend.h"
}
#include "gpu/priv.h"
#include "gpu/elem.h"

/* ---- launching ----------------------------------------------------------- */

/* Runs op(i) for every i < count: a grid-stride loop. */
template <class Op> static __global__ void map_kernel(size_t count, Op op)
{
    size_t step = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step)
        op(i);
}

template <class Op> static void launch_map(backend_t *be, size_t count, Op op)
{
    if (!count)
        return;
    gpu_enter(be); /* the calling thread launches on the backend's device */
    map_kernel<<<elem_grid(count), ELEM_BLOCK, 0, gpu_stream(be)>>>(count, op);
    CHECK_LAUNCH();
}

/* The block's sum of v, the same on every thread: the tree of
 * elem_pair_level over ELEM_BLOCK slots. All threads must call it. */
__device__ static elem_pair_t block_sum(elem_pair_t v)
{
    __shared__ elem_pair_t slot[ELEM_BLOCK];
    int t = threadIdx.x;
    __syncthreads(); /* every thread has read the previous sum from slot 0 */
    slot[t] = v;
    __syncthreads();
    for (int half = ELEM_BLOCK / 2; half > 0; half /= 2) {
        elem_pair_level(slot, t, half);
        __syncthreads();
    }
    return slot[0];
}

/* ---- element-wise ops --------------------------------------------------- */

struct relu_op {
    const float *x;
    float *y;
    __device__ void operator()(size_t i) const { y[i] = elem_relu(x[i]); }
};
struct relu_grad_op {
    const float *x, *dy;
    float *dx;
    __device__ void operator()(size_t i) const { dx[i] = elem_relu_grad(x[i], dy[i]); }
};
struct gelu_op {
    const float *x;
    float *y;
    __device__ void operator()(size_t i) const { y[i] = elem_gelu(x[i]); }
};
struct gelu_grad_op {
    const float *x, *dy;
    float *dx;
    __device__ void operator()(size_t i) const { dx[i] = elem_gelu_grad(x[i], dy[i]); }
};
struct mul_op {
    const float *x, *mask;
    float *y;
    __device__ void operator()(size_t i) const { y[i] = elem_mul(x[i], mask[i]); }
};
struct scale_op {
    float alpha;
    const float *x;
    float *y;
    __device__ void operator()(size_t i) const { y[i] = elem_scale(alpha, x[i]); }
};
struct axpby_op {
    float a, b;
    const float *x;
    float *y;
    __device__ void operator()(size_t i) const { y[i] = elem_axpby(a, x[i], b, y + i); }
};
struct dropout_op {
    uint64_t seed, stream;
    float p;
    float *mask;
    __device__ void operator()(size_t i) const { mask[i] = elem_dropout(seed, stream, i, p); }
};
struct sgd_op {
    float *param, *velocity;
    const float *grad;
    float lr, momentum, weight_decay;
    int nesterov;
    __device__ void operator()(size_t i) const
    {
        elem_sgd(param + i, velocity + i, grad[i], lr, momentum, weight_decay, nesterov);
    }
};

static void gpu_relu_forward(backend_t *be, size_t count, const float *x, float *y)
{
    launch_map(be, count, relu_op{x, y});
}

static void gpu_relu_backward(backend_t *be, size_t count, const float *x, const float *dy,
                              float *dx)
{
    launch_map(be, count, relu_grad_op{x, dy, dx});
}

static void gpu_gelu_forward(backend_t *be, size_t count, const float *x, float *y)
{
    launch_map(be, count, gelu_op{x, y});
}

static void gpu_gelu_backward(backend_t *be, size_t count, const float *x, const float *dy,
                              float *dx)
{
    launch_map(be, count, gelu_grad_op{x, dy, dx});
}

static void gpu_mul(backend_t *be, size_t count, const float *x, const float *mask, float *y)
{
    launch_map(be, count, mul_op{x, mask, y});
}

static void gpu_scale(backend_t *be, size_t count, float alpha, const float *x, float *y)
{
    launch_map(be, count, scale_op{alpha, x, y});
}

static void gpu_axpby(backend_t *be, size_t count, float a, const float *x, float b, float *y)
{
    launch_map(be, count, axpby_op{a, b, x, y});
}

static void gpu_dropout_mask(backend_t *be, size_t count, float p, uint64_t seed,
                             uint64_t stream, float *mask)
{
    launch_map(be, count, dropout_op{seed, stream, p, mask});
}

static void gpu_sgd_step(backend_t *be, size_t count, float *param, const float *grad,
                         float *velocity, float lr, float momentum, float weight_decay,
                         int nesterov)
{
    launch_map(be, count, sgd_op{param, velocity, grad, lr, momentum, weight_decay, nesterov});
}

/* ---- batch norm (+ GELU): one block per channel --------------------------- */

typedef struct {
    int n, c, hw, gelu;
    const float *x, *gamma, *beta;
    float eps, momentum;
    float *running_mean, *running_var, *mean, *invstd; /* (c) */
    const float *dy;
    float *y, *dx, *dgamma, *dbeta;
} bn_args_t;

static __global__ void bn_train_kernel(bn_args_t a)
{
    const int ci = blockIdx.x, t = threadIdx.x;
    const elem_chan_t s = elem_chan(a.n, a.c, a.hw);
    double sum = elem_bn_part(&s, a.x, ci, 0, 0.0, t, ELEM_BLOCK);
    double mu = block_sum(elem_pair(sum, 0.0)).a / (double)s.m;
    double sq = elem_bn_part(&s, a.x, ci, 1, mu, t, ELEM_BLOCK);
    double var = block_sum(elem_pair(sq, 0.0)).a / (double)s.m;
    if (t == 0)
        elem_bn_store(mu, var, s.m, a.eps, a.momentum, ci, a.mean, a.invstd, a.running_mean,
                      a.running_var);
    elem_bn_chan_t p =
        elem_bn_chan(a.gamma, a.beta, ci, (float)mu, elem_bn_invstd(var, a.eps), a.gelu);
    elem_bn_apply_part(&s, &p, ci, a.x, a.y, t, ELEM_BLOCK);
}

static __global__ void bn_infer_kernel(bn_args_t a)
{
    const int ci = blockIdx.x;
    const elem_chan_t s = elem_chan(a.n, a.c, a.hw);
    elem_bn_chan_t p = elem_bn_chan(a.gamma, a.beta, ci, a.running_mean[ci],
                                    elem_bn_invstd(a.running_var[ci], a.eps), a.gelu);
    elem_bn_apply_part(&s, &p, ci, a.x, a.y, threadIdx.x, ELEM_BLOCK);
}

static __global__ void bn_backward_kernel(bn_args_t a)
{
    const int ci = blockIdx.x, t = threadIdx.x;
    const elem_chan_t s = elem_chan(a.n, a.c, a.hw);
    elem_bn_chan_t p = elem_bn_chan(a.gamma, a.beta, ci, a.mean[ci], a.invstd[ci], a.gelu);
    elem_pair_t sums = block_sum(elem_bn_grad_part(&s, &p, ci, a.x, a.dy, t, ELEM_BLOCK));
    if (t == 0)
        elem_bn_grad_store(sums, ci, a.dgamma, a.dbeta);
    if (a.dx)
        elem_bn_dx_part(&s, &p, ci, a.x, a.dy, sums, a.dx, t, ELEM_BLOCK);
}

static void bn_launch(backend_t *be, void (*kernel)(bn_args_t), const bn_args_t *a)
{
    if (a->c <= 0)
        return;
    gpu_enter(be);
    kernel<<<a->c, ELEM_BLOCK, 0, gpu_stream(be)>>>(*a);
    CHECK_LAUNCH();
}

/* the arguments every batch-norm launch has */
static bn_args_t bn_args(int gelu, int n, int c, int hw, const float *x, const float *gamma,
                         const float *beta)
{
    bn_args_t a = {};
    a.n = n, a.c = c, a.hw = hw, a.gelu = gelu, a.x = x, a.gamma = gamma, a.beta = beta;
    return a;
}

/* bn_forward_train (GELU 0) and bn_gelu_forward_train (GELU 1) */
template <int GELU>
static void gpu_bn_train(backend_t *be, int n, int c, int hw, const float *x,
                         const float *gamma, const float *beta, float eps, float momentum,
                         float *running_mean, float *running_var, float *mean, float *invstd,
                         float *y)
{
    bn_args_t a = bn_args(GELU, n, c, hw, x, gamma, beta);
    a.eps = eps, a.momentum = momentum, a.running_mean = running_mean;
    a.running_var = running_var, a.mean = mean, a.invstd = invstd, a.y = y;
    bn_launch(be, bn_train_kernel, &a);
}

/* bn_forward_infer and bn_gelu_forward_infer */
template <int GELU>
static void gpu_bn_infer(backend_t *be, int n, int c, int hw, const float *x,
                         const float *gamma, const float *beta, float eps,
                         const float *running_mean, const float *running_var, float *y)
{
    bn_args_t a = bn_args(GELU, n, c, hw, x, gamma, beta);
    a.eps = eps, a.running_mean = (float *)running_mean;
    a.running_var = (float *)running_var, a.y = y;
    bn_launch(be, bn_infer_kernel, &a);
}

static void bn_backward(backend_t *be, int gelu, int n, int c, int hw, const float *x,
                        const float *gamma, const float *beta, const float *mean,
                        const float *invstd, const float *dy, float *dx, float *dgamma,
                        float *dbeta)
{
    bn_args_t a = bn_args(gelu, n, c, hw, x, gamma, beta);
    a.mean = (float *)mean, a.invstd = (float *)invstd, a.dy = dy, a.dx = dx;
    a.dgamma = dgamma, a.dbeta = dbeta;
    bn_launch(be, bn_backward_kernel, &a);
}

static void gpu_bn_backward(backend_t *be, int n, int c, int hw, const float *x,
                            const float *gamma, const float *mean, const float *invstd,
                            const float *dy, float *dx, float *dgamma, float *dbeta)
{
    bn_backward(be, 0, n, c, hw, x, gamma, NULL, mean, invstd, dy, dx, dgamma, dbeta);
}

static void gpu_bn_gelu_backward(backend_t *be, int n, int c, int hw, const float *x,
                                 const float *gamma, const float *beta, const float *mean,
                                 const float *invstd, const float *dy, float *dx,
                                 float *dgamma, float *dbeta)
{
    bn_backward(be, 1, n, c, hw, x, gamma, beta, mean, invstd, dy, dx, dgamma, dbeta);
}

/* ---- max pool --------------------------------------------------------------- */

struct pool_op {
    elem_pool_t g;
    const float *x;
    float *y;
    int32_t *argmax;
    __device__ void operator()(size_t o) const
    {
        size_t best = elem_pool_argmax(&g, x, o);
        y[o] = x[best];
        argmax[o] = (int32_t)best;
    }
};
struct pool_grad_op {
    elem_pool_t g;
    const int32_t *argmax;
    const float *dy;
    float *dx;
    __device__ void operator()(size_t i) const { dx[i] = elem_pool_grad(&g, argmax, dy, i); }
};

static void gpu_maxpool_forward(backend_t *be, int n, int c, int h, int w, int k, int s,
                                const float *x, float *y, int32_t *argmax)
{
    elem_pool_t g = elem_pool(h, w, k, s);
    if (g.oh <= 0 || g.ow <= 0)
        return;
    launch_map(be, (size_t)n * c * g.oh * g.ow, pool_op{g, x, y, argmax});
}

static void gpu_maxpool_backward(backend_t *be, int n, int c, int h, int w, int k, int s,
                                 const int32_t *argmax, const float *dy, float *dx)
{
    launch_map(be, (size_t)n * c * h * w, pool_grad_op{elem_pool(h, w, k, s), argmax, dy, dx});
}

/* ---- softmax cross-entropy ---------------------------------------------------- */

/* A thread per row. With stats, launched as one block: its threads' sums
 * of loss and hits go through the block's tree, and thread 0 adds them. */
static __global__ void xent_kernel(int n, int k, const float *logits, const int32_t *labels,
                            float smoothing, float *probs, float *dlogits, float *stats)
{
    size_t first = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    size_t step = (size_t)gridDim.x * blockDim.x;
    elem_pair_t part = elem_xent_part(n, k, logits, labels, smoothing, probs, dlogits,
                                      first, step);
    if (!stats)
        return;
    elem_pair_t sums = block_sum(part);
    if (threadIdx.x == 0)
        elem_xent_store(sums, stats);
}

static void gpu_softmax_xent(backend_t *be, int n, int k, const float *logits,
                             const int32_t *labels, float smoothing, float *probs,
                             float *dlogits, float *stats)
{
    if (n <= 0)
        return;
    unsigned blocks = stats ? 1 : elem_grid((size_t)n);
    gpu_enter(be);
    xent_kernel<<<blocks, ELEM_BLOCK, 0, gpu_stream(be)>>>(n, k, logits, labels, smoothing,
                                                            probs, dlogits, stats);
    CHECK_LAUNCH();
}

/* ---- table ---------------------------------------------------------------------- */

extern "C" void gpu_ops_init(backend_t *be)
{
    be->relu_forward = gpu_relu_forward;
    be->relu_backward = gpu_relu_backward;
    be->gelu_forward = gpu_gelu_forward;
    be->gelu_backward = gpu_gelu_backward;
    be->mul = gpu_mul;
    be->scale = gpu_scale;
    be->axpby = gpu_axpby;
    be->dropout_mask = gpu_dropout_mask;
    be->bn_forward_train = gpu_bn_train<0>;
    be->bn_forward_infer = gpu_bn_infer<0>;
    be->bn_backward = gpu_bn_backward;
    be->bn_gelu_forward_train = gpu_bn_train<1>;
    be->bn_gelu_forward_infer = gpu_bn_infer<1>;
    be->bn_gelu_backward = gpu_bn_gelu_backward;
    be->maxpool_forward = gpu_maxpool_forward;
    be->maxpool_backward = gpu_maxpool_backward;
    be->softmax_xent = gpu_softmax_xent;
    be->sgd_step = gpu_sgd_step;
}

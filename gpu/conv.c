/* conv.c - convolutions on cuDNN: forward, the gradients of input, weight
 * and bias, and convolution followed by max pooling.
 *
 * cuDNN's legacy convolution API (cudnnConvolutionForward,
 * cudnnConvolutionBackwardData/Filter/Bias, cudnnAddTensor), deprecated in
 * cuDNN 9 but shipped and supported there; gpu/README.md says why it and
 * not the graph API. NCHW float32, cross-correlation as PyTorch's Conv2d.
 *
 * Per shape (conv_desc_t) a plan holds the tensor, filter and convolution
 * descriptors and, once each direction is first needed, its algorithm
 * and workspace size; plans live in a small cache (gpu/host.h) in
 * priv->conv. Algorithms come from cuDNN's heuristics
 * (cudnnGetConvolution*Algorithm_v7, no timing runs: the same choice on
 * every run of the same machine), filtered by gpu_algo_choose(): it must
 * be deterministic and plain fp32. The convolution descriptor's math type
 * is CUDNN_FMA_MATH: on Ampere and later CUDNN_DEFAULT_MATH lets cuDNN use
 * TF32 Tensor Cores for float data, which rounds the inputs to 10 bits of
 * mantissa; FMA_MATH keeps the reference's fp32.
 *
 * The workspace (priv->workspace) is shared by every plan and grows on
 * demand (gpu_grow); growing it waits for the stream first. */
#include <stdlib.h>

#include "gpu/host.h"
#include "gpu/priv.h"

typedef struct {
    cudnnTensorDescriptor_t x, y, bias;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    int have_fwd, have_bwd_data, have_bwd_filter; /* algorithm chosen */
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_data;
    cudnnConvolutionBwdFilterAlgo_t bwd_filter;
    size_t fwd_ws, bwd_data_ws, bwd_filter_ws; /* their workspace bytes */
} conv_plan_t;

struct gpu_conv_plans {
    gpu_conv_cache_t cache;
    conv_plan_t plan[GPU_CONV_CACHE];
    int made[GPU_CONV_CACHE]; /* the slot's descriptors exist */
};

/* The workspace grows in steps of 4 MiB. */
#define WORKSPACE_QUANTUM ((size_t)4 << 20)

static void plan_create(conv_plan_t *p)
{
    CHECK_CUDNN(cudnnCreateTensorDescriptor(&p->x));
    CHECK_CUDNN(cudnnCreateTensorDescriptor(&p->y));
    CHECK_CUDNN(cudnnCreateTensorDescriptor(&p->bias));
    CHECK_CUDNN(cudnnCreateFilterDescriptor(&p->w));
    CHECK_CUDNN(cudnnCreateConvolutionDescriptor(&p->conv));
}

static void plan_destroy(conv_plan_t *p)
{
    cudnnDestroyTensorDescriptor(p->x);
    cudnnDestroyTensorDescriptor(p->y);
    cudnnDestroyTensorDescriptor(p->bias);
    cudnnDestroyFilterDescriptor(p->w);
    cudnnDestroyConvolutionDescriptor(p->conv);
}

/* Sets p's descriptors for d; no algorithm is chosen yet. */
static void plan_set(conv_plan_t *p, const conv_desc_t *d)
{
    gpu_conv_shape_t s;
    if (gpu_conv_shape(d, &s)) {
        fflush(stdout);
        fprintf(stderr,
                "mscnn: gpu conv: no convolution for n %d, %d x %dx%d -> %d, kernel %dx%d, "
                "pad %d, stride %d, output %dx%d\n",
                d->n, d->cin, d->h, d->w, d->cout, d->kh, d->kw, d->pad, d->stride, d->oh,
                d->ow);
        abort();
    }
    const cudnnTensorFormat_t f = CUDNN_TENSOR_NCHW;
    const cudnnDataType_t t = CUDNN_DATA_FLOAT;
    CHECK_CUDNN(cudnnSetTensor4dDescriptor(p->x, f, t, s.x[0], s.x[1], s.x[2], s.x[3]));
    CHECK_CUDNN(cudnnSetTensor4dDescriptor(p->y, f, t, s.y[0], s.y[1], s.y[2], s.y[3]));
    CHECK_CUDNN(cudnnSetTensor4dDescriptor(p->bias, f, t, s.bias[0], s.bias[1], s.bias[2],
                                           s.bias[3]));
    CHECK_CUDNN(cudnnSetFilter4dDescriptor(p->w, t, f, s.w[0], s.w[1], s.w[2], s.w[3]));
    CHECK_CUDNN(cudnnSetConvolution2dDescriptor(p->conv, s.pad_h, s.pad_w, s.stride_h,
                                                s.stride_w, s.dil_h, s.dil_w,
                                                CUDNN_CROSS_CORRELATION, t));
    CHECK_CUDNN(cudnnSetConvolutionMathType(p->conv, CUDNN_FMA_MATH));
    int n, c, h, w;
    CHECK_CUDNN(cudnnGetConvolution2dForwardOutputDim(p->conv, p->x, p->w, &n, &c, &h, &w));
    if (n != s.y[0] || c != s.y[1] || h != s.y[2] || w != s.y[3])
        gpu_fail(__FILE__, __LINE__, "cudnnGetConvolution2dForwardOutputDim",
                 "cuDNN's output shape differs from conv_desc_init's");
    p->have_fwd = p->have_bwd_data = p->have_bwd_filter = 0;
}

/* The plan for d, from the cache or built now. */
static conv_plan_t *plan_for(backend_t *be, const conv_desc_t *d)
{
    gpu_priv_t *priv = gpu_priv(be);
    struct gpu_conv_plans *c = priv->conv;
    int fresh;
    int slot = gpu_conv_cache_slot(&c->cache, d, &fresh);
    conv_plan_t *p = &c->plan[slot];
    if (fresh) {
        if (!c->made[slot]) {
            plan_create(p);
            c->made[slot] = 1;
        }
        plan_set(p, d);
    }
    return p;
}

static int fp32_math(cudnnMathType_t m) { return m == CUDNN_FMA_MATH || m == CUDNN_DEFAULT_MATH; }

/* cuDNN's count candidates perf[] (any of the three *AlgoPerf_t, which
 * share these fields) as gpu_algo_t, for gpu_algo_choose */
#define CANDIDATES(perf, count, cand)                                               \
    for (int c_ = 0; c_ < (count); c_++)                                           \
        (cand)[c_] = (gpu_algo_t){(int)(perf)[c_].algo,                            \
                                  (perf)[c_].status == CUDNN_STATUS_SUCCESS,       \
                                  (perf)[c_].determinism == CUDNN_DETERMINISTIC,   \
                                  fp32_math((perf)[c_].mathType), (perf)[c_].memory}

/* Chooses each direction's algorithm the first time it is needed. The
 * fallbacks always exist, are deterministic and need little or no
 * workspace: implicit GEMM forward, ALGO_1 for both gradients. */
static void choose_fwd(backend_t *be, conv_plan_t *p)
{
    cudnnHandle_t h = gpu_priv(be)->cudnn;
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    gpu_algo_t cand[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    CHECK_CUDNN(cudnnGetConvolutionForwardAlgorithm_v7(h, p->x, p->w, p->conv, p->y,
                                                       CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                       &count, perf));
    CANDIDATES(perf, count, cand);
    int i = gpu_algo_choose(cand, count, GPU_WORKSPACE_LIMIT);
    p->fwd = i >= 0 ? perf[i].algo : CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
    CHECK_CUDNN(cudnnGetConvolutionForwardWorkspaceSize(h, p->x, p->w, p->conv, p->y, p->fwd,
                                                        &p->fwd_ws));
    p->have_fwd = 1;
}

static void choose_bwd_data(backend_t *be, conv_plan_t *p)
{
    cudnnHandle_t h = gpu_priv(be)->cudnn;
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    gpu_algo_t cand[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    CHECK_CUDNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        h, p->w, p->y, p->conv, p->x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf));
    CANDIDATES(perf, count, cand);
    int i = gpu_algo_choose(cand, count, GPU_WORKSPACE_LIMIT);
    p->bwd_data = i >= 0 ? perf[i].algo : CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
    CHECK_CUDNN(cudnnGetConvolutionBackwardDataWorkspaceSize(h, p->w, p->y, p->conv, p->x,
                                                             p->bwd_data, &p->bwd_data_ws));
    p->have_bwd_data = 1;
}

static void choose_bwd_filter(backend_t *be, conv_plan_t *p)
{
    cudnnHandle_t h = gpu_priv(be)->cudnn;
    cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    gpu_algo_t cand[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    CHECK_CUDNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        h, p->x, p->y, p->conv, p->w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perf));
    CANDIDATES(perf, count, cand);
    int i = gpu_algo_choose(cand, count, GPU_WORKSPACE_LIMIT);
    p->bwd_filter = i >= 0 ? perf[i].algo : CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
    CHECK_CUDNN(cudnnGetConvolutionBackwardFilterWorkspaceSize(
        h, p->x, p->y, p->conv, p->w, p->bwd_filter, &p->bwd_filter_ws));
    p->have_bwd_filter = 1;
}

/* The shared workspace, at least bytes long. */
static void *workspace(backend_t *be, size_t bytes)
{
    gpu_priv_t *p = gpu_priv(be);
    size_t grown = gpu_grow(p->workspace_size, bytes, WORKSPACE_QUANTUM);
    if (grown) {
        gpu_realloc(be, &p->workspace, grown);
        p->workspace_size = grown;
    }
    return p->workspace;
}

/* ---- the ops ---------------------------------------------------------------- */

static const float one = 1.0f, zero = 0.0f;

static void conv_forward(backend_t *be, const conv_desc_t *d, const float *x, const float *w,
                         const float *b, float *y)
{
    conv_plan_t *p = plan_for(be, d);
    if (!p->have_fwd)
        choose_fwd(be, p);
    cudnnHandle_t h = gpu_priv(be)->cudnn;
    void *ws = workspace(be, p->fwd_ws);
    CHECK_CUDNN(cudnnConvolutionForward(h, &one, p->x, x, p->w, w, p->conv, p->fwd, ws,
                                        p->fwd_ws, &zero, p->y, y));
    if (b)
        CHECK_CUDNN(cudnnAddTensor(h, &one, p->bias, b, &one, p->y, y));
}

/* beta 0: cuDNN writes dx, dw and db without reading them (they are
 * overwritten, as backend.h asks, even if they held NaN) */
static void conv_backward(backend_t *be, const conv_desc_t *d, const float *x,
                          const float *w, const float *dy, float *dx, float *dw, float *db)
{
    if (!dx && !dw && !db)
        return;
    conv_plan_t *p = plan_for(be, d);
    cudnnHandle_t h = gpu_priv(be)->cudnn;
    if (db)
        CHECK_CUDNN(cudnnConvolutionBackwardBias(h, &one, p->y, dy, &zero, p->bias, db));
    if (dw) {
        if (!p->have_bwd_filter)
            choose_bwd_filter(be, p);
        void *ws = workspace(be, p->bwd_filter_ws);
        CHECK_CUDNN(cudnnConvolutionBackwardFilter(h, &one, p->x, x, p->y, dy, p->conv,
                                                   p->bwd_filter, ws, p->bwd_filter_ws,
                                                   &zero, p->w, dw));
    }
    if (dx) {
        if (!p->have_bwd_data)
            choose_bwd_data(be, p);
        void *ws = workspace(be, p->bwd_data_ws);
        CHECK_CUDNN(cudnnConvolutionBackwardData(h, &one, p->w, w, p->y, dy, p->conv,
                                                 p->bwd_data, ws, p->bwd_data_ws, &zero,
                                                 p->x, dx));
    }
}

static void gpu_conv2d_forward(backend_t *be, const conv_desc_t *d, const float *x,
                               const float *w, const float *b, float *y)
{
    gpu_enter(be);
    conv_forward(be, d, x, w, b, y);
}

static void gpu_conv2d_backward(backend_t *be, const conv_desc_t *d, const float *x,
                                const float *w, const float *dy, float *dx, float *dw,
                                float *db)
{
    gpu_enter(be);
    conv_backward(be, d, x, w, dy, dx, dw, db);
}

/* priv->scratch holding at least count floats: the unpooled conv output
 * (forward) or its gradient (backward), used within one op only. */
static float *scratch(backend_t *be, size_t count)
{
    gpu_priv_t *p = gpu_priv(be);
    size_t grown = gpu_grow(p->scratch_count, count, (size_t)1 << 18);
    if (grown) {
        void *s = p->scratch;
        gpu_realloc(be, &s, grown * sizeof(float));
        p->scratch = s;
        p->scratch_count = grown;
    }
    return p->scratch;
}

/* Conv into scratch, then the table's max pool over it: argmax holds flat
 * indices into the (n, cout, oh, ow) conv output, as the reference's. */
static void gpu_conv2d_maxpool_forward(backend_t *be, const conv_desc_t *d, int k, int s,
                                       const float *x, const float *w, const float *b,
                                       float *y, int32_t *argmax)
{
    gpu_enter(be);
    float *conv = scratch(be, (size_t)d->n * d->cout * d->oh * d->ow);
    conv_forward(be, d, x, w, b, conv);
    be->maxpool_forward(be, d->n, d->cout, d->oh, d->ow, k, s, conv, y, argmax);
}

static void gpu_conv2d_maxpool_backward(backend_t *be, const conv_desc_t *d, int k, int s,
                                        const float *x, const float *w,
                                        const int32_t *argmax, const float *dy, float *dx,
                                        float *dw, float *db)
{
    gpu_enter(be);
    if (!dx && !dw && !db)
        return;
    float *dconv = scratch(be, (size_t)d->n * d->cout * d->oh * d->ow);
    be->maxpool_backward(be, d->n, d->cout, d->oh, d->ow, k, s, argmax, dy, dconv);
    conv_backward(be, d, x, w, dconv, dx, dw, db);
}

void gpu_conv_release(backend_t *be)
{
    struct gpu_conv_plans *c = gpu_priv(be)->conv;
    if (!c)
        return;
    for (int i = 0; i < GPU_CONV_CACHE; i++)
        if (c->made[i])
            plan_destroy(&c->plan[i]);
    free(c);
    gpu_priv(be)->conv = NULL;
}

void gpu_conv_init(backend_t *be)
{
    struct gpu_conv_plans *c = calloc(1, sizeof *c);
    if (!c)
        gpu_fail(__FILE__, __LINE__, "calloc", "out of memory for the convolution plans");
    gpu_priv(be)->conv = c;
    be->conv2d_forward = gpu_conv2d_forward;
    be->conv2d_backward = gpu_conv2d_backward;
    be->conv2d_maxpool_forward = gpu_conv2d_maxpool_forward;
    be->conv2d_maxpool_backward = gpu_conv2d_maxpool_backward;
}

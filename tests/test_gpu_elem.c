/* test_gpu_elem.c - the CUDA backend's kernel work (gpu/elem.h) on the
 * CPU, against the "ref" backend. Needs no GPU and no CUDA.
 *
 * Each case drives the elem.h functions the way the kernel of gpu/ops.cu
 * does: every element of a grid-stride loop over elem_grid() blocks, every
 * thread of one block per channel with the block's sums taken through the
 * same elem_pair_level tree, every row. Odd shapes throughout: batch 1,
 * channels 3, 5, 13, sizes that leave a tail of a block, reductions wider
 * than a block.
 *
 * Where the kernel computes what the reference does in the same order,
 * the results must be equal bit for bit (limit 0). Where a sum runs in
 * the block's order instead of the reference's serial one (batch-norm
 * statistics and gradient sums, the summed loss) the normalised error
 * mse(a, b) / mse(a, 0) must stay within LIMIT_SUM. */
#include <stddef.h>
#include <string.h>

#include "backends/registry.h"
#include "base/util.h"
#include "check.h"
#include "engine/backend.h"
#include "gpu/elem.h"

/* double sums in another order, rounded to float: a last-bit difference
 * in a few elements at most */
#define LIMIT_SUM 1e-14

static backend_t *ref;
static rng_t rng;

/* ---- buffers: a host copy for elem.h and the same data in ref ------------ */

typedef struct {
    size_t n;
    float *h;  /* (n) what the elem.h functions read and write */
    float *r;  /* (n) the same in the reference backend */
} buf_t;

/* uniform in [-scale, scale) + offset, or zeros when scale is 0 */
static buf_t mk(size_t n, float scale, float offset)
{
    buf_t b = {n, afloat(n ? n : 1), ref->alloc(ref, n ? n : 1)};
    for (size_t i = 0; scale != 0.0f && i < n; i++)
        b.h[i] = (rng_uniform(&rng) * 2.0f - 1.0f) * scale + offset;
    ref->upload(ref, b.r, b.h, n);
    return b;
}

/* after editing b->h: ref gets it again */
static void reload(buf_t *b) { ref->upload(ref, b->r, b->h, b->n); }

static void drop(buf_t *b)
{
    afree(b->h);
    ref->free(ref, b->r);
}

/* ref's result against the host copy: bit for bit when limit is 0, else
 * within the normalised-error limit */
static void compare(const char *op, const char *what, const buf_t *b, double limit)
{
    float *want = afloat(b->n ? b->n : 1);
    ref->download(ref, want, b->r, b->n);
    if (limit == 0.0) {
        size_t bad = 0, first = 0;
        for (size_t i = 0; i < b->n; i++)
            if (memcmp(&want[i], &b->h[i], sizeof(float)) && !bad++)
                first = i;
        CHECK(!bad, "%s %s: %zu of %zu values differ, the first at %zu: %.9g vs ref %.9g", op,
              what, bad, b->n, first, b->h[first], want[first]);
    } else {
        double e = check_nerr(want, b->h, b->n);
        CHECK(e <= limit, "%s %s: normalised error %.3g (limit %.0e)", op, what, e, limit);
    }
    afree(want);
}

/* ---- the kernels' shapes, on the CPU ------------------------------------------ */

typedef void (*map_fn)(size_t i, const void *arg);

/* map_kernel: thread (b, t) of `blocks` takes i = b * ELEM_BLOCK + t, then
 * steps by the whole grid */
static void run_map(size_t count, unsigned blocks, map_fn fn, const void *arg)
{
    size_t step = (size_t)blocks * ELEM_BLOCK;
    for (unsigned b = 0; b < blocks; b++)
        for (int t = 0; t < ELEM_BLOCK; t++)
            for (size_t i = (size_t)b * ELEM_BLOCK + t; i < count; i += step)
                fn(i, arg);
}

static void map(size_t count, map_fn fn, const void *arg)
{
    if (count)
        run_map(count, elem_grid(count), fn, arg);
}

/* block_sum: the tree over the block's slots, level by level */
static elem_pair_t tree(elem_pair_t *slot)
{
    for (int half = ELEM_BLOCK / 2; half > 0; half /= 2)
        for (int t = 0; t < ELEM_BLOCK; t++)
            elem_pair_level(slot, t, half);
    return slot[0];
}

static void count_visit(size_t i, const void *arg) { ((unsigned char *)arg)[i]++; }

/* Every element of a grid-stride launch is visited once, tails and grids
 * capped at ELEM_MAX_GRID included. */
static void test_grid(void)
{
    const size_t counts[] = {1, 13, ELEM_BLOCK - 1, ELEM_BLOCK, ELEM_BLOCK + 1, 100003,
                             (size_t)ELEM_MAX_GRID * ELEM_BLOCK + 3};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        size_t n = counts[c], once = 0;
        unsigned char *seen = xcalloc(n, 1);
        map(n, count_visit, seen);
        for (size_t i = 0; i < n; i++)
            once += seen[i] == 1;
        CHECK(once == n, "grid over %zu: %zu visited exactly once", n, once);
        free(seen);
    }
    CHECK(elem_grid(1) == 1 && elem_grid(ELEM_BLOCK + 1) == 2, "elem_grid rounds up");
    CHECK(elem_grid((size_t)1 << 40) == ELEM_MAX_GRID, "elem_grid is capped");
    elem_pair_t slot[ELEM_BLOCK];
    for (int t = 0; t < ELEM_BLOCK; t++)
        slot[t] = elem_pair(t, 1.0);
    elem_pair_t s = tree(slot);
    CHECK(s.a == ELEM_BLOCK * (ELEM_BLOCK - 1) / 2 && s.b == ELEM_BLOCK, "the tree sums");
}

/* ---- element-wise ------------------------------------------------------------ */

typedef struct {
    const float *x, *x2;
    float *y;
    float a, b;
} ew_t;

/* the map kernels' per-element bodies: y[i] from x[i], x2[i], a, b */
#define EW_FN(name, expr)                                                     \
    static void name(size_t i, const void *p)                                 \
    {                                                                         \
        const ew_t *e = p;                                                    \
        e->y[i] = (expr);                                                     \
    }
EW_FN(do_relu, elem_relu(e->x[i]))
EW_FN(do_relu_grad, elem_relu_grad(e->x[i], e->x2[i]))
EW_FN(do_gelu, elem_gelu(e->x[i]))
EW_FN(do_gelu_grad, elem_gelu_grad(e->x[i], e->x2[i]))
EW_FN(do_mul, elem_mul(e->x[i], e->x2[i]))
EW_FN(do_scale, elem_scale(e->a, e->x[i]))
EW_FN(do_axpby, elem_axpby(e->a, e->x[i], e->b, e->y + i))
#undef EW_FN

/* y = f(x, x2) by map and by ref's op (unary ops ignore x2) */
#define EW_CASE(name, fn, ref_call)                                           \
    do {                                                                      \
        ew_t e_ = {x.h, x2.h, y.h, 1.0f / 9.0f, 0.0f};                        \
        map(n, fn, &e_);                                                      \
        ref_call;                                                             \
        compare(name, what, &y, 0);                                           \
    } while (0)

static void test_elementwise(size_t n)
{
    buf_t x = mk(n, 4.0f, 0.0f), x2 = mk(n, 1.0f, 0.0f), y = mk(n, 0, 0);
    for (size_t i = 0; i < n; i += 7) /* GELU's tails too */
        x.h[i] *= 3.0f;
    x.h[0] = 0.0f; /* relu's edge */
    reload(&x);
    char what[64];
    snprintf(what, sizeof what, "%zu values", n);
    EW_CASE("relu_forward", do_relu, ref->relu_forward(ref, n, x.r, y.r));
    EW_CASE("relu_backward", do_relu_grad, ref->relu_backward(ref, n, x.r, x2.r, y.r));
    EW_CASE("gelu_forward", do_gelu, ref->gelu_forward(ref, n, x.r, y.r));
    EW_CASE("gelu_backward", do_gelu_grad, ref->gelu_backward(ref, n, x.r, x2.r, y.r));
    EW_CASE("mul", do_mul, ref->mul(ref, n, x.r, x2.r, y.r));
    EW_CASE("scale", do_scale, ref->scale(ref, n, 1.0f / 9.0f, x.r, y.r));
    ew_t e = {x.h, NULL, x2.h, 0.3f, 0.7f}; /* axpby onto x2, b = 0.7 */
    map(n, do_axpby, &e);
    ref->axpby(ref, n, 0.3f, x.r, 0.7f, x2.r);
    compare("axpby", what, &x2, 0);
    for (size_t i = 0; i < n; i++) /* b = 0: y is written, never read */
        y.h[i] = i % 3 ? 0.0f / 0.0f : 1.0f / 0.0f;
    reload(&y);
    e = (ew_t){x.h, NULL, y.h, -2.0f, 0.0f};
    map(n, do_axpby, &e);
    ref->axpby(ref, n, -2.0f, x.r, 0.0f, y.r);
    compare("axpby", "b = 0 over NaN and inf", &y, 0);
    drop(&x), drop(&x2), drop(&y);
}

/* ---- dropout masks and SGD --------------------------------------------------- */

typedef struct {
    uint64_t seed, stream;
    float p;
    float *mask;
} drop_t;

static void do_dropout(size_t i, const void *p)
{
    const drop_t *d = p;
    d->mask[i] = elem_dropout(d->seed, d->stream, i, d->p);
}

static void test_dropout(size_t n, float p)
{
    buf_t m = mk(n, 0, 0);
    char what[64];
    snprintf(what, sizeof what, "%zu values, p %.2f", n, p);
    for (uint64_t stream = 7; stream <= 8; stream++) {
        drop_t d = {42, stream, p, m.h};
        map(n, do_dropout, &d);
        ref->dropout_mask(ref, n, p, 42, stream, m.r);
        compare("dropout_mask", what, &m, 0);
    }
    drop(&m);
}

typedef struct {
    float *param, *velocity;
    const float *grad;
    float lr, mom, wd;
    int nesterov;
} sgd_t;

static void do_sgd(size_t i, const void *p)
{
    const sgd_t *s = p;
    elem_sgd(s->param + i, s->velocity + i, s->grad[i], s->lr, s->mom, s->wd, s->nesterov);
}

static void test_sgd(size_t n, int nesterov)
{
    buf_t g = mk(n, 1.0f, 0.0f), p = mk(n, 1.0f, 0.0f), v = mk(n, 0.5f, 0.0f);
    sgd_t s = {p.h, v.h, g.h, 0.1f, 0.85f, 5e-4f, nesterov};
    for (int step = 0; step < 3; step++) {
        map(n, do_sgd, &s);
        ref->sgd_step(ref, n, p.r, g.r, v.r, 0.1f, 0.85f, 5e-4f, nesterov);
    }
    char what[64];
    snprintf(what, sizeof what, "%zu values%s, 3 steps", n, nesterov ? " nesterov" : "");
    compare("sgd_step", what, &p, 0);
    compare("sgd_step", what, &v, 0);
    drop(&g), drop(&p), drop(&v);
}

/* ---- batch norm (+ GELU) ------------------------------------------------------- */

typedef struct {
    int n, c, hw, gelu, with_gamma;
    float eps, momentum;
    buf_t x, dy, gamma, beta, rm, rv, mean, invstd, y, dx, dg, db;
} bn_t;

/* bn_train_kernel, block ci for ci < c */
static void emu_bn_train(bn_t *b)
{
    elem_chan_t s = elem_chan(b->n, b->c, b->hw);
    const float *gamma = b->with_gamma ? b->gamma.h : NULL;
    elem_pair_t slot[ELEM_BLOCK];
    for (int ci = 0; ci < b->c; ci++) {
        for (int t = 0; t < ELEM_BLOCK; t++)
            slot[t] = elem_pair(elem_bn_part(&s, b->x.h, ci, 0, 0.0, t, ELEM_BLOCK), 0.0);
        double mu = tree(slot).a / (double)s.m;
        for (int t = 0; t < ELEM_BLOCK; t++)
            slot[t] = elem_pair(elem_bn_part(&s, b->x.h, ci, 1, mu, t, ELEM_BLOCK), 0.0);
        double var = tree(slot).a / (double)s.m;
        elem_bn_store(mu, var, s.m, b->eps, b->momentum, ci, b->mean.h, b->invstd.h, b->rm.h,
                      b->rv.h);
        elem_bn_chan_t p = elem_bn_chan(gamma, b->beta.h, ci, (float)mu,
                                        elem_bn_invstd(var, b->eps), b->gelu);
        for (int t = 0; t < ELEM_BLOCK; t++)
            elem_bn_apply_part(&s, &p, ci, b->x.h, b->y.h, t, ELEM_BLOCK);
    }
}

/* bn_infer_kernel */
static void emu_bn_infer(bn_t *b)
{
    elem_chan_t s = elem_chan(b->n, b->c, b->hw);
    for (int ci = 0; ci < b->c; ci++) {
        elem_bn_chan_t p = elem_bn_chan(b->with_gamma ? b->gamma.h : NULL, b->beta.h, ci,
                                        b->rm.h[ci], elem_bn_invstd(b->rv.h[ci], b->eps),
                                        b->gelu);
        for (int t = 0; t < ELEM_BLOCK; t++)
            elem_bn_apply_part(&s, &p, ci, b->x.h, b->y.h, t, ELEM_BLOCK);
    }
}

/* bn_backward_kernel; dx NULL skips the input gradient */
static void emu_bn_backward(bn_t *b, float *dx)
{
    elem_chan_t s = elem_chan(b->n, b->c, b->hw);
    elem_pair_t slot[ELEM_BLOCK];
    for (int ci = 0; ci < b->c; ci++) {
        elem_bn_chan_t p = elem_bn_chan(b->with_gamma ? b->gamma.h : NULL, b->beta.h, ci,
                                        b->mean.h[ci], b->invstd.h[ci], b->gelu);
        for (int t = 0; t < ELEM_BLOCK; t++)
            slot[t] = elem_bn_grad_part(&s, &p, ci, b->x.h, b->dy.h, t, ELEM_BLOCK);
        elem_pair_t sums = tree(slot);
        elem_bn_grad_store(sums, ci, b->with_gamma ? b->dg.h : NULL, b->db.h);
        for (int t = 0; dx && t < ELEM_BLOCK; t++)
            elem_bn_dx_part(&s, &p, ci, b->x.h, b->dy.h, sums, dx, t, ELEM_BLOCK);
    }
}

/* the buffers of test_backend's batch-norm cases: x offset and spread
 * like a conv output, gamma around 1.5, running variance 1 */
static void bn_make(bn_t *b)
{
    size_t nx = (size_t)b->n * b->c * b->hw;
    b->x = mk(nx, 3.0f, 0.5f), b->dy = mk(nx, 1.0f, 0.0f);
    b->gamma = mk(b->c, 1.0f, 1.5f), b->beta = mk(b->c, 1.0f, 0.0f);
    b->rm = mk(b->c, 0, 0), b->rv = mk(b->c, 0, 0), b->mean = mk(b->c, 0, 0);
    b->invstd = mk(b->c, 0, 0), b->dg = mk(b->c, 0, 0), b->db = mk(b->c, 0, 0);
    for (int i = 0; i < b->c; i++)
        b->rv.h[i] = 1.0f;
    reload(&b->rv);
    b->y = mk(nx, 0, 0), b->dx = mk(nx, 0, 0);
}

static void bn_ref(bn_t *b)
{
    const float *g = b->with_gamma ? b->gamma.r : NULL;
    if (b->gelu) {
        ref->bn_gelu_forward_train(ref, b->n, b->c, b->hw, b->x.r, g, b->beta.r, b->eps,
                                   b->momentum, b->rm.r, b->rv.r, b->mean.r, b->invstd.r,
                                   b->y.r);
        ref->bn_gelu_backward(ref, b->n, b->c, b->hw, b->x.r, g, b->beta.r, b->mean.r,
                              b->invstd.r, b->dy.r, b->dx.r, b->dg.r, b->db.r);
    } else {
        ref->bn_forward_train(ref, b->n, b->c, b->hw, b->x.r, g, b->beta.r, b->eps,
                              b->momentum, b->rm.r, b->rv.r, b->mean.r, b->invstd.r, b->y.r);
        ref->bn_backward(ref, b->n, b->c, b->hw, b->x.r, g, b->mean.r, b->invstd.r, b->dy.r,
                         b->dx.r, b->dg.r, b->db.r);
    }
}

static void bn_ref_infer(bn_t *b)
{
    const float *g = b->with_gamma ? b->gamma.r : NULL;
    if (b->gelu)
        ref->bn_gelu_forward_infer(ref, b->n, b->c, b->hw, b->x.r, g, b->beta.r, b->eps,
                                   b->rm.r, b->rv.r, b->y.r);
    else
        ref->bn_forward_infer(ref, b->n, b->c, b->hw, b->x.r, g, b->beta.r, b->eps, b->rm.r,
                              b->rv.r, b->y.r);
}

static void test_bn(int n, int c, int hw, int with_gamma, int gelu)
{
    bn_t b = {.n = n, .c = c, .hw = hw, .gelu = gelu, .with_gamma = with_gamma,
              .eps = gelu ? 1e-12f : 1e-5f, .momentum = gelu ? 0.6f : 0.1f};
    bn_make(&b);
    const char *fw = gelu ? "bn_gelu_forward_train" : "bn_forward_train";
    const char *bw = gelu ? "bn_gelu_backward" : "bn_backward";
    char what[96];
    snprintf(what, sizeof what, "n%d c%d hw%d%s", n, c, hw, with_gamma ? "" : " gamma=NULL");
    emu_bn_train(&b);
    emu_bn_backward(&b, b.dx.h);
    bn_ref(&b);
    buf_t *fwd[] = {&b.y, &b.mean, &b.invstd, &b.rm, &b.rv};
    for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++)
        compare(fw, what, fwd[i], LIMIT_SUM);
    compare(bw, what, &b.dx, LIMIT_SUM);
    compare(bw, what, &b.db, LIMIT_SUM);
    if (with_gamma)
        compare(bw, what, &b.dg, LIMIT_SUM);
    memset(b.db.h, 0, c * sizeof(float)); /* dx NULL: the same parameter gradients */
    emu_bn_backward(&b, NULL);
    compare(bw, "dx NULL", &b.db, LIMIT_SUM);
    /* inference from the running statistics: both sides start from ref's,
     * and the per-element work is the reference's exactly */
    ref->download(ref, b.rm.h, b.rm.r, c), ref->download(ref, b.rv.h, b.rv.r, c);
    emu_bn_infer(&b);
    bn_ref_infer(&b);
    compare(gelu ? "bn_gelu_forward_infer" : "bn_forward_infer", what, &b.y, 0);
    buf_t *all[] = {&b.x, &b.dy, &b.gamma, &b.beta, &b.rm, &b.rv, &b.mean, &b.invstd,
                    &b.y, &b.dx, &b.dg, &b.db};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        drop(all[i]);
}

/* ---- max pool ------------------------------------------------------------------ */

typedef struct {
    elem_pool_t g;
    const float *x, *dy;
    float *y, *dx;
    int32_t *argmax;
} pool_t;

static void do_pool(size_t o, const void *p)
{
    const pool_t *a = p;
    size_t best = elem_pool_argmax(&a->g, a->x, o);
    a->y[o] = a->x[best];
    a->argmax[o] = (int32_t)best;
}

static void do_pool_grad(size_t i, const void *p)
{
    const pool_t *a = p;
    a->dx[i] = elem_pool_grad(&a->g, a->argmax, a->dy, i);
}

/* ties: every 5th value equal, or (ties 2) all of them: the first max wins */
static void test_pool(int n, int c, int h, int w, int k, int s, int ties)
{
    elem_pool_t g = elem_pool(h, w, k, s);
    size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * g.oh * g.ow;
    buf_t x = mk(nx, 1.0f, 0.0f), dy = mk(ny, 1.0f, 0.0f), y = mk(ny, 0, 0), dx = mk(nx, 0, 0);
    for (size_t i = 0; i < nx; i += ties == 2 ? 1 : 5)
        x.h[i] = 0.25f;
    reload(&x);
    int32_t *am = xcalloc(ny, sizeof(int32_t)), *want = xcalloc(ny, sizeof(int32_t));
    int32_t *am_r = ref->alloc_i32(ref, ny);
    pool_t a = {g, x.h, dy.h, y.h, dx.h, am};
    map(ny, do_pool, &a);
    map(nx, do_pool_grad, &a);
    ref->maxpool_forward(ref, n, c, h, w, k, s, x.r, y.r, am_r);
    ref->maxpool_backward(ref, n, c, h, w, k, s, am_r, dy.r, dx.r);
    ref->download_i32(ref, want, am_r, ny);
    char what[96];
    snprintf(what, sizeof what, "n%d c%d %dx%d k%d s%d%s", n, c, h, w, k, s,
             ties == 2 ? " all equal" : "");
    compare("maxpool_forward", what, &y, 0);
    CHECK(!memcmp(am, want, ny * sizeof(int32_t)), "maxpool_forward %s: argmax differs", what);
    compare("maxpool_backward", what, &dx, 0);
    drop(&x), drop(&dy), drop(&y), drop(&dx);
    free(am), free(want);
    ref->free(ref, am_r);
}

/* ---- softmax cross-entropy ---------------------------------------------------- */

/* xent_kernel: with stats one block, the threads' sums through the tree;
 * without, elem_grid(n) blocks */
static void emu_xent(int n, int k, const float *z, const int32_t *lab, float smoothing,
                     float *p, float *dl, float *stats)
{
    unsigned blocks = stats ? 1 : elem_grid((size_t)n);
    size_t step = (size_t)blocks * ELEM_BLOCK;
    elem_pair_t slot[ELEM_BLOCK];
    for (unsigned b = 0; b < blocks; b++)
        for (int t = 0; t < ELEM_BLOCK; t++)
            slot[t] = elem_xent_part(n, k, z, lab, smoothing, p, dl,
                                     (size_t)b * ELEM_BLOCK + t, step);
    if (stats)
        elem_xent_store(tree(slot), stats);
}

static void test_xent(int n, int k, float smoothing)
{
    buf_t z = mk((size_t)n * k, 6.0f, 0.0f), p = mk(z.n, 0, 0), dl = mk(z.n, 0, 0);
    buf_t st = mk(2, 0, 0);
    int32_t *lab = xcalloc(n, sizeof(int32_t)), *lab_r = ref->alloc_i32(ref, n);
    for (int i = 0; i < n; i++)
        lab[i] = (int32_t)rng_below(&rng, (uint32_t)k);
    for (int i = 0; i < n; i += 3) /* a tie for the largest logit */
        z.h[(size_t)i * k + (k - 1)] = z.h[(size_t)i * k];
    ref->upload_i32(ref, lab_r, lab, n);
    st.h[0] = 1.25f, st.h[1] = 3.0f; /* stats accumulate onto what is there */
    reload(&z), reload(&st);
    char what[64];
    snprintf(what, sizeof what, "n%d k%d smoothing %.1f", n, k, smoothing);
    emu_xent(n, k, z.h, lab, smoothing, p.h, dl.h, st.h);
    ref->softmax_xent(ref, n, k, z.r, lab_r, smoothing, p.r, dl.r, st.r);
    compare("softmax_xent probs", what, &p, 0);
    compare("softmax_xent dlogits", what, &dl, 0);
    compare("softmax_xent loss", what, &st, LIMIT_SUM);
    float hits = st.h[1];
    ref->download(ref, st.h, st.r, 2); /* the hit count alone must be exact */
    CHECK(hits == st.h[1], "softmax_xent %s: hits %g vs ref %g", what, hits, st.h[1]);
    memset(p.h, 0, z.n * sizeof(float)); /* no dlogits, no stats: many blocks */
    emu_xent(n, k, z.h, lab, smoothing, p.h, NULL, NULL);
    ref->softmax_xent(ref, n, k, z.r, lab_r, smoothing, p.r, NULL, NULL);
    compare("softmax_xent probs", "dlogits and stats NULL", &p, 0);
    drop(&z), drop(&p), drop(&dl), drop(&st);
    free(lab);
    ref->free(ref, lab_r);
}

int main(void)
{
    err_t e;
    ref = backend_open("ref", 1, &e);
    CHECK(ref != NULL, "the reference opens");
    if (!ref)
        return check_done("test_gpu_elem");
    rng_seed(&rng, 11);
    test_grid();
    test_elementwise(1);
    test_elementwise(13);
    test_elementwise(100003);
    test_dropout(1, 0.5f);
    test_dropout(1003, 0.25f);
    test_dropout(100003, 0.5f);
    test_sgd(5, 0);
    test_sgd(100003, 1);
    test_bn(1, 3, 5, 1, 0);
    test_bn(1, 5, 1, 1, 0); /* one value a channel: the biased variance is 0 */
    test_bn(2, 5, 13, 0, 0);
    test_bn(3, 13, 1, 1, 0);
    test_bn(4, 13, 225, 0, 0); /* 900 values a channel: wider than a block */
    test_bn(1, 3, 5, 1, 1);
    test_bn(2, 5, 13, 0, 1);
    test_bn(3, 13, 9, 1, 1);
    test_bn(5, 40, 49, 0, 1);
    test_pool(1, 3, 4, 4, 2, 2, 1);
    test_pool(2, 5, 31, 31, 2, 2, 1); /* odd size: the last row and column are dropped */
    test_pool(3, 13, 3, 3, 3, 3, 1);  /* global over 3x3 */
    test_pool(2, 3, 7, 8, 3, 2, 1);   /* overlapping windows */
    test_pool(1, 5, 9, 7, 3, 1, 1);   /* stride 1: up to 9 windows share an input */
    test_pool(2, 3, 6, 6, 3, 1, 2);   /* all equal */
    test_pool(1, 3, 8, 8, 2, 3, 1);   /* gaps between windows */
    test_xent(1, 2, 0.0f);
    test_xent(7, 10, 0.2f);
    test_xent(33, 100, 0.0f);
    test_xent(600, 10, 0.1f); /* more rows than threads in the block */
    backend_free(ref);
    return check_done("test_gpu_elem");
}

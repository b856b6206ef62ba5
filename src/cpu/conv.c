/* cpu/conv.c - 2-D convolutions of the fast CPU backend, on oneDNN.
 *
 * The backend interface is NCHW float32. oneDNN runs fastest in its own
 * blocked layouts (nChw16c on AVX-512, nChw8c on AVX2), and 3x3 stride-1
 * convolutions fastest with its Winograd F(4x4, 3x3) kernels, which exist
 * only in blocked layouts. So each call reorders its operands into the
 * layout the primitive asked for ("format any"), runs the primitive and
 * reorders the result back (the machinery is in cpu/conv_plan.c). Measured
 * on the air net, Winograd saves 30-50 % of the convolution time and the
 * reorders cost about a fifth of what is left.
 *
 * Where a convolution feeds a max pool, the fused conv2d_maxpool ops pool
 * straight from the blocked output and scatter the pool's gradient
 * straight into the blocked layout (cpu/blocked.c), skipping the reorders
 * of the largest tensors.
 *
 * In bf16 (backend_t.bf16) the reorders into the primitive's layout also
 * round x, w and dy to bf16; oneDNN multiplies them with the CPU's bf16
 * dot products (AVX-512 BF16, AMX) into fp32 sums, and y, dx, dw and db
 * come out in fp32, so nothing outside this file changes. oneDNN has no
 * bf16 Winograd: bf16 runs the direct algorithm, in NHWC on AMX. The fused
 * pool reads that NHWC output as it is, and scatters its gradient straight
 * into the bf16 layout the backward steps read where pooling windows do
 * not overlap (overlapping ones sum in fp32, through NCHW).
 *
 * Batches larger than CONV_CHUNK images run in chunks of that size
 * (bounded scratch, fewer shapes to cache); weight and bias gradients are
 * summed over the chunks in order, so results stay deterministic.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cpu/conv_plan.h"
#include "cpu/priv.h"

#define CONV_CHUNK 256   /* images per primitive call */

/* the backend's oneDNN state, set to the backend's precision */
static conv_engine_t *conv_engine_of(const backend_t *be)
{
    conv_engine_t *ce = ((cpu_priv_t *)be->priv)->conv;
    ce->bf16 = be->bf16;
    return ce;
}

static conv_desc_t chunk_desc(const conv_desc_t *d, int n)
{
    conv_desc_t c = *d;
    c.n = n;
    return c;
}

/* The bias (or its gradient) b as a oneDNN memory, or NULL when the plan
 * has no bias; the caller destroys it. */
static dnnl_memory_t bias_memory(conv_engine_t *ce, const conv_plan_t *p, const float *b)
{
    if (!p->bias)
        return NULL;
    dnnl_memory_desc_t md;
    dnnl_memory_t bm;
    conv_b_md(&p->d, &md);
    DNNL_CHECK(dnnl_memory_create(&bm, &md, ce->eng, (void *)b));
    return bm;
}

/* Runs the forward step on its ports (x, w and y already bound). */
static void run_forward(conv_engine_t *ce, conv_plan_t *p, const float *b)
{
    step_t *f = &p->fwd;
    dnnl_memory_t bm = bias_memory(ce, p, b);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, f->a.want},
                               {DNNL_ARG_WEIGHTS, f->b.want},
                               {DNNL_ARG_DST, f->c.want},
                               {DNNL_ARG_BIAS, bm}};
    conv_execute(ce, f->prim, bm ? 4 : 3, args);
    if (bm)
        dnnl_memory_destroy(bm);
}

static void forward_chunk(conv_engine_t *ce, conv_plan_t *p, const float *x, const float *w,
                          const float *b, float *y)
{
    step_t *f = &p->fwd;
    conv_port_in(ce, &f->a, x, SLOT_X);
    conv_port_in(ce, &f->b, w, SLOT_W);
    conv_port_out_begin(ce, &f->c, y, SLOT_Y);
    run_forward(ce, p, b);
    conv_port_out_end(ce, &f->c, y);
}

void cpu_conv2d_forward(backend_t *be, const conv_desc_t *d, const float *x, const float *w,
                        const float *b, float *y)
{
    cpu_guard_t g;
    cpu_enter(be, &g);
    conv_engine_t *ce = conv_engine_of(be);
    size_t xs = (size_t)d->cin * d->h * d->w, ys = (size_t)d->cout * d->oh * d->ow;
    for (int n0 = 0; n0 < d->n; n0 += CONV_CHUNK) {
        int nc = d->n - n0 < CONV_CHUNK ? d->n - n0 : CONV_CHUNK;
        conv_desc_t cd = chunk_desc(d, nc);
        conv_plan_t *p = conv_get_plan(ce, &cd, b != NULL);
        forward_chunk(ce, p, x + n0 * xs, w, b, y + n0 * ys);
    }
    cpu_leave(&g);
}

/* Makes dy readable by a backward step: ready, when not NULL, is already in
 * the step's layout; otherwise the user's NCHW dy is reordered into slot s. */
static void dy_in(conv_engine_t *ce, port_t *p, const float *dy, const float *ready, int s)
{
    if (ready)
        DNNL_CHECK(dnnl_memory_set_data_handle(p->want, (void *)ready));
    else
        conv_port_in(ce, p, dy, s);
}

static void backward_data_chunk(conv_engine_t *ce, conv_plan_t *p, const float *w,
                                const float *dy, const float *ready, float *dx)
{
    conv_plan_bwd_data(ce, p);
    step_t *s = &p->bwd_data;
    dy_in(ce, &s->a, dy, ready, SLOT_DY);
    conv_port_in(ce, &s->b, w, SLOT_W);
    conv_port_out_begin(ce, &s->c, dx, SLOT_DX);
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_DIFF_DST, s->a.want},
                               {DNNL_ARG_WEIGHTS, s->b.want},
                               {DNNL_ARG_DIFF_SRC, s->c.want}};
    conv_execute(ce, s->prim, 3, args);
    conv_port_out_end(ce, &s->c, dx);
}

static void backward_weights_chunk(conv_engine_t *ce, conv_plan_t *p, const float *x,
                                   const float *dy, const float *ready, float *dw, float *db)
{
    conv_plan_bwd_weights(ce, p);
    step_t *s = &p->bwd_weights;
    conv_port_in(ce, &s->a, x, SLOT_X);
    dy_in(ce, &s->b, dy, ready, SLOT_DY2);
    conv_port_out_begin(ce, &s->c, dw, SLOT_DW);
    dnnl_memory_t bm = bias_memory(ce, p, db);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, s->a.want},
                               {DNNL_ARG_DIFF_DST, s->b.want},
                               {DNNL_ARG_DIFF_WEIGHTS, s->c.want},
                               {DNNL_ARG_DIFF_BIAS, bm}};
    conv_execute(ce, s->prim, bm ? 4 : 3, args);
    conv_port_out_end(ce, &s->c, dw);
    if (bm)
        dnnl_memory_destroy(bm);
}

/* Weight and bias gradients of one chunk: the first chunk writes dw and
 * db, later ones go through scratch and are added in chunk order. */
static void weights_chunk(conv_engine_t *ce, conv_plan_t *p, int first, const float *x,
                          const float *dy, const float *ready, float *dw, float *db)
{
    const conv_desc_t *d = &p->d;
    size_t nw = (size_t)d->cout * d->cin * d->kh * d->kw;
    if (first) {
        float *dwt = dw ? dw : conv_slot(ce, SLOT_ACC, nw * sizeof(float));
        backward_weights_chunk(ce, p, x, dy, ready, dwt, db);
        return;
    }
    float *acc = conv_slot(ce, SLOT_ACC, (nw + (size_t)d->cout) * sizeof(float));
    backward_weights_chunk(ce, p, x, dy, ready, acc, db ? acc + nw : NULL);
    if (dw)
        for (size_t i = 0; i < nw; i++)
            dw[i] += acc[i];
    if (db)
        for (int i = 0; i < d->cout; i++)
            db[i] += acc[nw + i];
}

/* dy as the data step reordered it, if the weights step wants the same */
static const float *shared_dy(conv_engine_t *ce, conv_plan_t *p)
{
    if (!p->have_bwd_data || !p->have_bwd_weights || p->bwd_data.a.same)
        return NULL;
    if (!dnnl_memory_desc_equal(conv_query(p->bwd_data.pd, dnnl_query_diff_dst_md),
                                conv_query(p->bwd_weights.pd, dnnl_query_diff_dst_md)))
        return NULL;
    return ce->slot[SLOT_DY];
}

void cpu_conv2d_backward(backend_t *be, const conv_desc_t *d, const float *x, const float *w,
                         const float *dy, float *dx, float *dw, float *db)
{
    if (!dx && !dw && !db)
        return;
    cpu_guard_t g;
    cpu_enter(be, &g);
    conv_engine_t *ce = conv_engine_of(be);
    size_t xs = (size_t)d->cin * d->h * d->w, ys = (size_t)d->cout * d->oh * d->ow;
    for (int n0 = 0; n0 < d->n; n0 += CONV_CHUNK) {
        int nc = d->n - n0 < CONV_CHUNK ? d->n - n0 : CONV_CHUNK;
        conv_desc_t cd = chunk_desc(d, nc);
        /* a bias gradient needs a plan with a bias */
        conv_plan_t *p = conv_get_plan(ce, &cd, db != NULL);
        if (dx)
            backward_data_chunk(ce, p, w, dy + n0 * ys, NULL, dx + n0 * xs);
        if (!dw && !db)
            continue;
        if (dx)
            conv_plan_bwd_weights(ce, p);
        weights_chunk(ce, p, n0 == 0, x + n0 * xs, dy + n0 * ys, dx ? shared_dy(ce, p) : NULL,
                      dw, db);
    }
    cpu_leave(&g);
}

/* ---- convolution + max pool --------------------------------------------- */

/* The block size of a primitive's 4-D tensor of type dt: 1 for NCHW, 8
 * or 16 for oneDNN's nChw8c / nChw16c, c for NHWC (when c is a multiple
 * of 8 and a pooled row of all channels, pw x c, fits blocked.c's tile),
 * 0 for any other layout. */
static int block_of(const dnnl_memory_desc_t *md, dnnl_data_type_t dt, int n, int c, int h,
                    int w, int pw)
{
    const dnnl_format_tag_t tags[4] = {dnnl_nchw, dnnl_nChw8c, dnnl_nChw16c, dnnl_nhwc};
    const int blocks[4] = {1, 8, 16, c};
    for (int i = 0; i < 4; i++) {
        if (tags[i] == dnnl_nhwc && (c % 8 || (size_t)c * pw > 8192))
            continue;
        dnnl_memory_desc_t t;
        conv_md4(&t, n, c, h, w, dt, tags[i]);
        if (dnnl_memory_desc_equal(md, &t))
            return blocks[i];
    }
    return 0;
}

static int32_t argmax_base(const conv_desc_t *d, int n0)
{
    size_t base = (size_t)n0 * d->cout * d->oh * d->ow;
    return (int32_t)base;
}

static void check_index_range(const conv_desc_t *d)
{
    if ((size_t)d->n * d->cout * d->oh * d->ow > (size_t)INT32_MAX) {
        fprintf(stderr, "mscnn: conv output of %d images is too large for 32-bit pool "
                        "indices; use a smaller batch\n", d->n);
        abort();
    }
}

void cpu_conv2d_maxpool_forward(backend_t *be, const conv_desc_t *d, int k, int s,
                                const float *x, const float *w, const float *b, float *y,
                                int32_t *argmax)
{
    cpu_guard_t g;
    cpu_enter(be, &g);
    check_index_range(d);
    conv_engine_t *ce = conv_engine_of(be);
    int ph = (d->oh - k) / s + 1, pw = (d->ow - k) / s + 1;
    size_t xs = (size_t)d->cin * d->h * d->w, ps = (size_t)d->cout * ph * pw;
    for (int n0 = 0; n0 < d->n; n0 += CONV_CHUNK) {
        int nc = d->n - n0 < CONV_CHUNK ? d->n - n0 : CONV_CHUNK;
        conv_desc_t cd = chunk_desc(d, nc);
        conv_plan_t *p = conv_get_plan(ce, &cd, b != NULL);
        step_t *f = &p->fwd;
        conv_port_in(ce, &f->a, x + n0 * xs, SLOT_X);
        conv_port_in(ce, &f->b, w, SLOT_W);
        float *conv = conv_slot(ce, SLOT_Y, f->c.want_bytes);
        DNNL_CHECK(dnnl_memory_set_data_handle(f->c.want, conv));
        run_forward(ce, p, b);
        blocked_t t = {conv, nc, d->cout, d->oh, d->ow,
                       block_of(conv_query(f->pd, dnnl_query_dst_md), dnnl_f32, nc, d->cout,
                                d->oh, d->ow, pw), 0};
        if (!t.block) { /* an unexpected layout: through NCHW */
            t.data = conv_slot(ce, SLOT_PLAIN, (size_t)nc * d->cout * d->oh * d->ow * sizeof(float));
            t.block = 1;
            conv_port_out_end(ce, &f->c, t.data);
        }
        blocked_pool_forward(be, &t, k, s, argmax_base(d, n0), y + n0 * ps, argmax + n0 * ps);
    }
    cpu_leave(&g);
}

void cpu_conv2d_maxpool_backward(backend_t *be, const conv_desc_t *d, int k, int s,
                                 const float *x, const float *w, const int32_t *argmax,
                                 const float *dy, float *dx, float *dw, float *db)
{
    if (!dx && !dw && !db)
        return;
    cpu_guard_t g;
    cpu_enter(be, &g);
    conv_engine_t *ce = conv_engine_of(be);
    int ph = (d->oh - k) / s + 1, pw = (d->ow - k) / s + 1;
    size_t xs = (size_t)d->cin * d->h * d->w, ps = (size_t)d->cout * ph * pw;
    for (int n0 = 0; n0 < d->n; n0 += CONV_CHUNK) {
        int nc = d->n - n0 < CONV_CHUNK ? d->n - n0 : CONV_CHUNK;
        conv_desc_t cd = chunk_desc(d, nc);
        conv_plan_t *p = conv_get_plan(ce, &cd, db != NULL);
        /* the layout the backward steps want for the conv output gradient */
        const dnnl_memory_desc_t *want = NULL, *other = NULL;
        if (dx) {
            conv_plan_bwd_data(ce, p);
            want = conv_query(p->bwd_data.pd, dnnl_query_diff_dst_md);
        }
        if (dw || db) {
            conv_plan_bwd_weights(ce, p);
            other = want;
            want = conv_query(p->bwd_weights.pd, dnnl_query_diff_dst_md);
        }
        /* in bf16 the steps read dy in bf16: stored so where each element
           takes at most one dy (windows not overlapping), else via NCHW */
        int bf16 = p->bf16, block = 0;
        if (!bf16 || k <= s)
            block = block_of(want, bf16 ? dnnl_bf16 : dnnl_f32, nc, d->cout, d->oh, d->ow, pw);
        if (other && !dnnl_memory_desc_equal(want, other))
            block = 0;
        blocked_t t = {NULL, nc, d->cout, d->oh, d->ow, block ? block : 1, bf16 && block};
        t.data = conv_slot(ce, block ? SLOT_DY : SLOT_PLAIN,
                      block ? dnnl_memory_desc_get_size(want)
                            : (size_t)nc * d->cout * d->oh * d->ow * sizeof(float));
        blocked_pool_backward(be, &t, k, s, argmax_base(d, n0), argmax + n0 * ps, dy + n0 * ps);
        /* in the steps' layout: handed over as is; otherwise reordered from NCHW */
        const float *ready = block ? t.data : NULL;
        if (dx)
            backward_data_chunk(ce, p, w, t.data, ready, dx + n0 * xs);
        if (dw || db)
            weights_chunk(ce, p, n0 == 0, x + n0 * xs, t.data, ready, dw, db);
    }
    cpu_leave(&g);
}

/* cpu/conv_plan.c - the oneDNN machinery behind cpu/conv.c: the engine,
 * one cached "plan" of primitives per convolution shape, and the "ports"
 * that move each operand between the backend's NCHW buffers and the
 * layout a primitive asked for.
 *
 * Winograd pays off for 3x3 stride-1 convolutions with enough channels; it
 * exists only in blocked layouts and only where oneDNN has it (AVX-512
 * CPUs), else the direct algorithm runs. Reorders, scratch and descriptors
 * are created once per shape; scratch buffers grow to the largest need of
 * each role and are reused.
 */
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/conv_plan.h"
#include "cpu/priv.h"
#include "base/util.h"

#define MAX_PLANS 128    /* cached shapes before the cache is flushed */

void cpu_dnnl_check(dnnl_status_t s, const char *what, const char *file, int line)
{
    if (s == dnnl_success)
        return;
    const char *why = s == dnnl_out_of_memory ? "out of memory"
                      : s == dnnl_unimplemented ? "not implemented for this shape or CPU"
                      : s == dnnl_invalid_arguments ? "invalid arguments"
                                                    : "runtime error";
    fprintf(stderr, "mscnn: %s:%d: oneDNN call failed (%s, status %d): %s\n", file, line,
            why, (int)s, what);
    abort();
}

conv_engine_t *conv_engine_new(void)
{
    conv_engine_t *ce = xcalloc(1, sizeof *ce);
    DNNL_CHECK(dnnl_engine_create(&ce->eng, dnnl_cpu, 0));
    DNNL_CHECK(dnnl_stream_create(&ce->stream, ce->eng, dnnl_stream_default_flags));
    return ce;
}

static void port_free(port_t *p)
{
    if (p->user)
        dnnl_memory_destroy(p->user);
    if (p->want)
        dnnl_memory_destroy(p->want);
    if (p->to_want)
        dnnl_primitive_destroy(p->to_want);
    if (p->to_user)
        dnnl_primitive_destroy(p->to_user);
}

static void step_free(step_t *s)
{
    if (s->prim)
        dnnl_primitive_destroy(s->prim);
    if (s->pd)
        dnnl_primitive_desc_destroy(s->pd);
    port_free(&s->a), port_free(&s->b), port_free(&s->c);
}

static void plan_free(conv_plan_t *p)
{
    step_free(&p->fwd);
    step_free(&p->bwd_data);
    step_free(&p->bwd_weights);
    if (p->fwd_pd)
        dnnl_primitive_desc_destroy(p->fwd_pd);
    free(p);
}

static void flush_plans(conv_engine_t *ce)
{
    while (ce->plans) {
        conv_plan_t *next = ce->plans->next;
        plan_free(ce->plans);
        ce->plans = next;
    }
    ce->nplans = 0;
}

void conv_engine_free(conv_engine_t *ce)
{
    if (!ce)
        return;
    flush_plans(ce);
    for (int i = 0; i < NSLOTS; i++)
        afree(ce->slot[i]);
    dnnl_stream_destroy(ce->stream);
    dnnl_engine_destroy(ce->eng);
    free(ce);
}

float *conv_slot(conv_engine_t *ce, int which, size_t bytes)
{
    if (bytes > ce->slot_bytes[which]) {
        afree(ce->slot[which]);
        ce->slot[which] = afloat((bytes + sizeof(float) - 1) / sizeof(float));
        ce->slot_bytes[which] = bytes;
    }
    return ce->slot[which];
}

/* ---- memory descriptors and ports -------------------------------------- */

void conv_md4(dnnl_memory_desc_t *md, int a, int b, int c, int d, dnnl_data_type_t dt,
              dnnl_format_tag_t tag)
{
    dnnl_dims_t dims = {a, b, c, d};
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(md, 4, dims, dt, tag));
}

void conv_x_md(const conv_desc_t *d, dnnl_data_type_t dt, dnnl_format_tag_t tag,
               dnnl_memory_desc_t *md)
{
    conv_md4(md, d->n, d->cin, d->h, d->w, dt, tag);
}

void conv_w_md(const conv_desc_t *d, dnnl_data_type_t dt, dnnl_format_tag_t tag,
               dnnl_memory_desc_t *md)
{
    conv_md4(md, d->cout, d->cin, d->kh, d->kw, dt, tag);
}

void conv_y_md(const conv_desc_t *d, dnnl_data_type_t dt, dnnl_format_tag_t tag,
               dnnl_memory_desc_t *md)
{
    conv_md4(md, d->n, d->cout, d->oh, d->ow, dt, tag);
}

void conv_b_md(const conv_desc_t *d, dnnl_memory_desc_t *md)
{
    dnnl_dims_t dims = {d->cout};
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(md, 1, dims, dnnl_f32, dnnl_x));
}

static dnnl_primitive_t make_reorder(conv_engine_t *ce, const dnnl_memory_desc_t *from,
                                     const dnnl_memory_desc_t *to)
{
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t r;
    DNNL_CHECK(dnnl_reorder_primitive_desc_create(&pd, from, ce->eng, to, ce->eng, NULL));
    DNNL_CHECK(dnnl_primitive_create(&r, pd));
    dnnl_primitive_desc_destroy(pd);
    return r;
}

/* in: the op reads this operand (user -> want); out: it writes it */
static void port_init(conv_engine_t *ce, port_t *p, const dnnl_memory_desc_t *user,
                      const dnnl_memory_desc_t *want, int in, int out)
{
    p->same = dnnl_memory_desc_equal(user, want);
    p->want_bytes = dnnl_memory_desc_get_size(want);
    DNNL_CHECK(dnnl_memory_create(&p->user, user, ce->eng, DNNL_MEMORY_NONE));
    DNNL_CHECK(dnnl_memory_create(&p->want, want, ce->eng, DNNL_MEMORY_NONE));
    if (!p->same && in)
        p->to_want = make_reorder(ce, user, want);
    if (!p->same && out)
        p->to_user = make_reorder(ce, want, user);
}

static void run2(conv_engine_t *ce, dnnl_primitive_t prim, dnnl_memory_t from,
                 dnnl_memory_t to)
{
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    DNNL_CHECK(dnnl_primitive_execute(prim, ce->stream, 2, args));
}

/* Makes the operand readable by the primitive: the user buffer itself, or
 * a reordered copy in scratch slot s. */
void conv_port_in(conv_engine_t *ce, port_t *p, const float *user, int s)
{
    if (p->same) {
        DNNL_CHECK(dnnl_memory_set_data_handle(p->want, (void *)user));
        return;
    }
    DNNL_CHECK(dnnl_memory_set_data_handle(p->user, (void *)user));
    DNNL_CHECK(dnnl_memory_set_data_handle(p->want, conv_slot(ce, s, p->want_bytes)));
    run2(ce, p->to_want, p->user, p->want);
}

/* Points the primitive's output at the user buffer, or at scratch slot s
 * to be reordered into the user buffer by conv_port_out_end(). */
void conv_port_out_begin(conv_engine_t *ce, port_t *p, float *user, int s)
{
    void *h = p->same ? (void *)user : (void *)conv_slot(ce, s, p->want_bytes);
    DNNL_CHECK(dnnl_memory_set_data_handle(p->want, h));
}

void conv_port_out_end(conv_engine_t *ce, port_t *p, float *user)
{
    if (p->same)
        return;
    DNNL_CHECK(dnnl_memory_set_data_handle(p->user, user));
    run2(ce, p->to_user, p->want, p->user);
}

/* ---- plans -------------------------------------------------------------- */

static int conv_desc_equal(const conv_desc_t *a, const conv_desc_t *b)
{
    return a->n == b->n && a->cin == b->cin && a->h == b->h && a->w == b->w &&
           a->cout == b->cout && a->kh == b->kh && a->kw == b->kw && a->pad == b->pad &&
           a->stride == b->stride;
}

/* Winograd pays off for 3x3 stride-1 convolutions with enough channels
 * (measured: with 3 input channels it is 4x slower than direct). */
static int winograd_candidate(const conv_desc_t *d)
{
    return d->kh == 3 && d->kw == 3 && d->stride == 1 && d->pad <= 1 && d->cin >= 16 &&
           d->cout >= 16;
}

static void geometry(const conv_desc_t *d, dnnl_dims_t strides, dnnl_dims_t pad_l,
                     dnnl_dims_t pad_r)
{
    strides[0] = strides[1] = d->stride;
    pad_l[0] = pad_l[1] = d->pad;
    pad_r[0] = pad_r[1] = d->pad; /* oneDNN rounds the output size down, as we do */
}

/* Forward primitive descriptor with the given algorithm, NULL when not
 * implemented. */
static dnnl_primitive_desc_t fwd_pd_for(conv_engine_t *ce, const conv_desc_t *d, int bias,
                                        int bf16, dnnl_alg_kind_t alg)
{
    dnnl_memory_desc_t src, wei, dst, b;
    dnnl_data_type_t in = bf16 ? dnnl_bf16 : dnnl_f32;
    conv_x_md(d, in, dnnl_format_tag_any, &src);
    conv_w_md(d, in, dnnl_format_tag_any, &wei);
    conv_y_md(d, dnnl_f32, dnnl_format_tag_any, &dst);
    conv_b_md(d, &b);
    dnnl_dims_t s, pl, pr;
    geometry(d, s, pl, pr);
    dnnl_convolution_desc_t cd;
    DNNL_CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, alg, &src, &wei,
                                                  bias ? &b : NULL, &dst, s, pl, pr));
    dnnl_primitive_desc_t pd;
    dnnl_status_t st = dnnl_primitive_desc_create(&pd, &cd, NULL, ce->eng, NULL);
    if (st == dnnl_unimplemented)
        return NULL;
    DNNL_CHECK(st);
    return pd;
}

const dnnl_memory_desc_t *conv_query(dnnl_primitive_desc_t pd, dnnl_query_t what)
{
    return dnnl_primitive_desc_query_md(pd, what, 0);
}

static conv_plan_t *plan_new(conv_engine_t *ce, const conv_desc_t *d, int bias, int bf16)
{
    conv_plan_t *p = xcalloc(1, sizeof *p);
    p->d = *d;
    p->bias = bias;
    p->bf16 = bf16;
    if (!bf16 && winograd_candidate(d))
        p->fwd_pd = fwd_pd_for(ce, d, bias, 0, dnnl_convolution_winograd);
    p->winograd = p->fwd_pd != NULL;
    if (!p->fwd_pd)
        p->fwd_pd = fwd_pd_for(ce, d, bias, bf16, dnnl_convolution_direct);
    if (!p->fwd_pd) {
        fprintf(stderr, "mscnn: oneDNN has no convolution for %dx%dx%d -> %d, kernel %d, "
                        "pad %d, stride %d\n", d->cin, d->h, d->w, d->cout, d->kh, d->pad,
                d->stride);
        abort();
    }
    dnnl_memory_desc_t ux, uw, uy;
    conv_x_md(d, dnnl_f32, dnnl_nchw, &ux);
    conv_w_md(d, dnnl_f32, dnnl_oihw, &uw);
    conv_y_md(d, dnnl_f32, dnnl_nchw, &uy);
    step_t *f = &p->fwd;
    DNNL_CHECK(dnnl_primitive_desc_clone(&f->pd, p->fwd_pd));
    DNNL_CHECK(dnnl_primitive_create(&f->prim, f->pd));
    port_init(ce, &f->a, &ux, conv_query(f->pd, dnnl_query_src_md), 1, 0);
    port_init(ce, &f->b, &uw, conv_query(f->pd, dnnl_query_weights_md), 1, 0);
    port_init(ce, &f->c, &uy, conv_query(f->pd, dnnl_query_dst_md), 0, 1);
    return p;
}

/* The backward descriptors use the forward one as a hint; with Winograd
 * they try Winograd first and fall back to direct. */
static dnnl_primitive_desc_t bwd_pd(conv_engine_t *ce, conv_plan_t *p, int weights)
{
    const conv_desc_t *d = &p->d;
    dnnl_memory_desc_t src, wei, dst, b;
    /* bf16: the operands read in bf16, the gradient written in fp32 */
    dnnl_data_type_t in = p->bf16 ? dnnl_bf16 : dnnl_f32;
    conv_x_md(d, weights ? in : dnnl_f32, dnnl_format_tag_any, &src);
    conv_w_md(d, weights ? dnnl_f32 : in, dnnl_format_tag_any, &wei);
    conv_y_md(d, in, dnnl_format_tag_any, &dst);
    conv_b_md(d, &b);
    dnnl_dims_t s, pl, pr;
    geometry(d, s, pl, pr);
    for (int attempt = p->winograd ? 0 : 1; attempt < 2; attempt++) {
        dnnl_alg_kind_t alg = attempt == 0 ? dnnl_convolution_winograd : dnnl_convolution_direct;
        dnnl_primitive_desc_t hint = p->fwd_pd, own_hint = NULL;
        if (attempt == 1 && p->winograd) /* a direct hint for a direct backward */
            hint = own_hint = fwd_pd_for(ce, d, p->bias, p->bf16, alg);
        dnnl_convolution_desc_t cd;
        if (weights)
            DNNL_CHECK(dnnl_convolution_backward_weights_desc_init(
                &cd, alg, &src, &wei, p->bias ? &b : NULL, &dst, s, pl, pr));
        else
            DNNL_CHECK(dnnl_convolution_backward_data_desc_init(&cd, alg, &src, &wei, &dst, s,
                                                                pl, pr));
        dnnl_primitive_desc_t pd;
        dnnl_status_t st = dnnl_primitive_desc_create(&pd, &cd, NULL, ce->eng, hint);
        if (own_hint)
            dnnl_primitive_desc_destroy(own_hint);
        if (st == dnnl_success)
            return pd;
        if (st != dnnl_unimplemented)
            DNNL_CHECK(st);
    }
    fprintf(stderr, "mscnn: oneDNN has no backward-%s convolution for %dx%dx%d -> %d, "
                    "kernel %d\n", weights ? "weights" : "data", d->cin, d->h, d->w, d->cout,
            d->kh);
    abort();
}

/* The backward-data (weights 0) or backward-weights (1) step: inputs
 * dy and w, or x and dy; output dx, or dw. */
static void plan_backward(conv_engine_t *ce, conv_plan_t *p, int weights, step_t *s)
{
    dnnl_memory_desc_t ux, uw, uy;
    conv_x_md(&p->d, dnnl_f32, dnnl_nchw, &ux);
    conv_w_md(&p->d, dnnl_f32, dnnl_oihw, &uw);
    conv_y_md(&p->d, dnnl_f32, dnnl_nchw, &uy);
    s->pd = bwd_pd(ce, p, weights);
    DNNL_CHECK(dnnl_primitive_create(&s->prim, s->pd));
    if (weights) {
        port_init(ce, &s->a, &ux, conv_query(s->pd, dnnl_query_src_md), 1, 0);
        port_init(ce, &s->b, &uy, conv_query(s->pd, dnnl_query_diff_dst_md), 1, 0);
        port_init(ce, &s->c, &uw, conv_query(s->pd, dnnl_query_diff_weights_md), 0, 1);
    } else {
        port_init(ce, &s->a, &uy, conv_query(s->pd, dnnl_query_diff_dst_md), 1, 0);
        port_init(ce, &s->b, &uw, conv_query(s->pd, dnnl_query_weights_md), 1, 0);
        port_init(ce, &s->c, &ux, conv_query(s->pd, dnnl_query_diff_src_md), 0, 1);
    }
}

void conv_plan_bwd_data(conv_engine_t *ce, conv_plan_t *p)
{
    if (!p->have_bwd_data)
        plan_backward(ce, p, 0, &p->bwd_data);
    p->have_bwd_data = 1;
}

void conv_plan_bwd_weights(conv_engine_t *ce, conv_plan_t *p)
{
    if (!p->have_bwd_weights)
        plan_backward(ce, p, 1, &p->bwd_weights);
    p->have_bwd_weights = 1;
}

conv_plan_t *conv_get_plan(conv_engine_t *ce, const conv_desc_t *d, int bias)
{
    for (conv_plan_t *p = ce->plans; p; p = p->next)
        if (p->bias == bias && p->bf16 == ce->bf16 && conv_desc_equal(&p->d, d))
            return p;
    if (ce->nplans >= MAX_PLANS)
        flush_plans(ce);
    conv_plan_t *p = plan_new(ce, d, bias, ce->bf16);
    p->next = ce->plans;
    ce->plans = p;
    ce->nplans++;
    return p;
}

void conv_execute(conv_engine_t *ce, dnnl_primitive_t prim, int nargs,
                    const dnnl_exec_arg_t *args)
{
    DNNL_CHECK(dnnl_primitive_execute(prim, ce->stream, nargs, args));
    DNNL_CHECK(dnnl_stream_wait(ce->stream));
}


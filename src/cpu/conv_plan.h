/* cpu/conv_plan.h - internals shared by cpu/conv.c and cpu/conv_plan.c:
 * cached oneDNN primitives per convolution shape ("plans"), the "ports"
 * that reorder operands between NCHW and a primitive's layout, and the
 * backend's grow-only scratch buffers. Not part of the backend interface.
 */
#ifndef MSCNN_CPU_CONV_PLAN_H
#define MSCNN_CPU_CONV_PLAN_H

#include <oneapi/dnnl/dnnl.h>

#include "cpu/priv.h"

/* Aborts with the call site and a readable reason when a oneDNN call fails
 * (the ops have no error return; a failure here is a bug or out of memory). */
#define DNNL_CHECK(call) cpu_dnnl_check((call), #call, __FILE__, __LINE__)
void cpu_dnnl_check(dnnl_status_t s, const char *what, const char *file, int line);

/* One operand of a primitive: the user's NCHW/OIHW buffer and the layout
 * the primitive wants, with the reorders between them (none if equal). */
typedef struct {
    int same;                     /* layouts equal: the user buffer is used as is */
    size_t want_bytes;
    dnnl_memory_t user, want;     /* handles set per call */
    dnnl_primitive_t to_want, to_user;
} port_t;

typedef struct {
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    port_t a, b, c;               /* fwd: src wei dst; bwd data: ddst wei dsrc;
                                     bwd weights: src ddst dwei */
} step_t;

typedef struct conv_plan {
    conv_desc_t d;                /* d.n: images per call (a chunk) */
    int bias;
    int bf16;                     /* operands read in bf16 (outputs stay fp32) */
    int winograd;                 /* algorithm of fwd_pd */
    dnnl_primitive_desc_t fwd_pd; /* also the hint for the backward steps */
    step_t fwd, bwd_data, bwd_weights;
    int have_bwd_data, have_bwd_weights;
    struct conv_plan *next;
} conv_plan_t;

/* scratch roles; SLOT_PLAIN: an NCHW conv output or its gradient when the
 * fused conv + pool ops meet a layout they do not pool in directly */
enum { SLOT_X, SLOT_W, SLOT_Y, SLOT_DY, SLOT_DY2, SLOT_DX, SLOT_DW, SLOT_ACC, SLOT_PLAIN,
       NSLOTS };

struct conv_engine {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    conv_plan_t *plans;
    int nplans;
    int bf16;                     /* the precision of plans made from now on */
    void *slot[NSLOTS];           /* grow-only scratch, one per role */
    size_t slot_bytes[NSLOTS];
};

/* scratch slot `which` of at least bytes (contents undefined) */
float *conv_slot(conv_engine_t *ce, int which, size_t bytes);

/* memory descriptors of x (n, cin, h, w), w (cout, cin, kh, kw),
 * y (n, cout, oh, ow) with a layout tag, and of the bias (cout) */
void conv_md4(dnnl_memory_desc_t *md, int a, int b, int c, int d, dnnl_data_type_t dt,
              dnnl_format_tag_t tag);
void conv_x_md(const conv_desc_t *d, dnnl_data_type_t dt, dnnl_format_tag_t tag,
               dnnl_memory_desc_t *md);
void conv_w_md(const conv_desc_t *d, dnnl_data_type_t dt, dnnl_format_tag_t tag,
               dnnl_memory_desc_t *md);
void conv_y_md(const conv_desc_t *d, dnnl_data_type_t dt, dnnl_format_tag_t tag,
               dnnl_memory_desc_t *md);
void conv_b_md(const conv_desc_t *d, dnnl_memory_desc_t *md);

/* An input operand: the user buffer itself, or reordered into slot s.
 * An output: point the primitive at the user buffer or slot s (begin),
 * then reorder slot s into the user buffer (end). */
void conv_port_in(conv_engine_t *ce, port_t *p, const float *user, int s);
void conv_port_out_begin(conv_engine_t *ce, port_t *p, float *user, int s);
void conv_port_out_end(conv_engine_t *ce, port_t *p, float *user);

/* the plan for a shape (d->n images per call) with or without bias; the
 * backward steps are created on first use */
conv_plan_t *conv_get_plan(conv_engine_t *ce, const conv_desc_t *d, int bias);
void conv_plan_bwd_data(conv_engine_t *ce, conv_plan_t *p);
void conv_plan_bwd_weights(conv_engine_t *ce, conv_plan_t *p);

const dnnl_memory_desc_t *conv_query(dnnl_primitive_desc_t pd, dnnl_query_t what);
void conv_execute(conv_engine_t *ce, dnnl_primitive_t prim, int nargs,
                  const dnnl_exec_arg_t *args);

#endif

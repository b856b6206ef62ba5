/* cpu/priv.h - internals shared by the files of the fast CPU backend
 * (cpu/backend.c, cpu/conv*.c, cpu/blocked.c, cpu/linear.c, cpu/ops.c). Not
 * part of the backend interface: the model code only sees backend.h.
 *
 * Threading: every parallel region runs on OpenMP with exactly be->threads
 * threads and a static partition of the work, so results are bit-for-bit
 * the same from run to run for a given thread count. oneDNN (conv, GEMM)
 * runs on the same OpenMP runtime; cpu_enter() sets the calling thread's
 * OpenMP thread count before each op.
 */
#ifndef MSCNN_CPU_PRIV_H
#define MSCNN_CPU_PRIV_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/backend.h"

typedef struct conv_engine conv_engine_t; /* cpu/conv.c */

typedef struct {
    conv_engine_t *conv;   /* oneDNN engine, stream and cached conv plans */
} cpu_priv_t;

/* Every op that runs oneDNN code or opens an OpenMP region is bracketed
 * by cpu_enter() and cpu_leave(). cpu_enter sets the calling thread's
 * OpenMP thread count to be->threads (the training thread need not be the
 * one that created the backend) and blocks asynchronous signals on it:
 * oneDNN 2.x's JIT GEMM kernels point the stack pointer into the heap
 * while they run, so a signal handled on a thread inside one writes its
 * frame over the heap (oneDNN issue #4845, fixed in 3.x; seen here as
 * "corrupted size" aborts after Ctrl-C). OpenMP worker threads are created
 * inside ops and inherit the mask, so they never take a signal; a pending
 * signal is delivered when the op returns. Synchronous signals (SIGSEGV
 * and the like) stay unblocked. */
typedef struct {
    sigset_t saved;
} cpu_guard_t;
void cpu_enter(const backend_t *be, cpu_guard_t *g);
void cpu_leave(cpu_guard_t *g);

/* Runs fn(args, lo, hi) over [0, count) split into one contiguous part per
 * thread (boundaries on multiples of align), using at most be->threads
 * threads and none that would get less than min_each units. The split
 * depends only on count and the thread count. */
typedef void (*range_fn)(const void *args, size_t lo, size_t hi);
void cpu_parallel(const backend_t *be, size_t count, size_t min_each, size_t align,
                  range_fn fn, const void *args);

/* A 4-D tensor in oneDNN's plain blocked layout nChw<B>c: element
 * (n, c, y, x) at (((n * ceil(c_all / B) + c / B) * h + y) * w + x) * B + c % B,
 * channels past c_all (up to a multiple of B) are padding. B = 1 is NCHW,
 * B = c_all NHWC. */
typedef struct {
    float *data;           /* fp32, or bf16 words (uint16_t) when bf16 */
    int n, c, h, w;
    int block;
    int bf16;              /* backward only: the gradient is stored in bf16 */
} blocked_t;

/* cpu/blocked.c: the max pool of the fused conv2d_maxpool ops.
 * Forward: in (blocked) -> y (n, c, ph, pw) NCHW and argmax, flat indices
 * into the NCHW view of in plus base. Backward: the gradient of in,
 * written whole (zeros where no max was), from dy and argmax. */
void blocked_pool_forward(const backend_t *be, const blocked_t *in, int k, int s,
                          int32_t base, float *y, int32_t *argmax);
void blocked_pool_backward(const backend_t *be, const blocked_t *dx, int k, int s,
                           int32_t base, const int32_t *argmax, const float *dy);

/* cpu/conv.c, cpu/conv_plan.c: oneDNN convolutions, NCHW at the interface */
conv_engine_t *conv_engine_new(void);
void conv_engine_free(conv_engine_t *ce);
void cpu_conv2d_forward(backend_t *be, const conv_desc_t *d, const float *x,
                        const float *w, const float *b, float *y);
void cpu_conv2d_backward(backend_t *be, const conv_desc_t *d, const float *x,
                         const float *w, const float *dy, float *dx, float *dw,
                         float *db);
void cpu_conv2d_maxpool_forward(backend_t *be, const conv_desc_t *d, int k, int s,
                                const float *x, const float *w, const float *b, float *y,
                                int32_t *argmax);
void cpu_conv2d_maxpool_backward(backend_t *be, const conv_desc_t *d, int k, int s,
                                 const float *x, const float *w, const int32_t *argmax,
                                 const float *dy, float *dx, float *dw, float *db);

/* cpu/linear.c: fully connected layers on oneDNN's SGEMM */
void cpu_linear_forward(backend_t *be, int n, int in, int out, const float *x,
                        const float *w, const float *b, float *y);
void cpu_linear_backward(backend_t *be, int n, int in, int out, const float *x,
                         const float *w, const float *dy, float *dx, float *dw,
                         float *db);

/* cpu/ops.c: batch norm (+GELU), activations, pooling, SGD */
void cpu_ops_init(backend_t *be);

#endif

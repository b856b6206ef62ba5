/* cpu/backend.c - the fast CPU backend: the table and its state.
 *
 * Convolutions run on oneDNN (cpu/conv.c), linear layers on oneDNN's SGEMM
 * (cpu/linear.c), batch norm, activations, pooling and the SGD step on
 * this backend's own OpenMP kernels (cpu/ops.c). The rest (memory, copies,
 * the loss, axpby) is the reference code, named op by op in
 * backend_cpu_init(): on host memory it is already as fast as it gets for
 * those. All of it is threaded with be->threads threads on one OpenMP
 * runtime and is deterministic for a given thread count.
 * tests/test_backend.c checks every op here against the "ref" backend.
 */
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "cpu/priv.h"
#include "engine/backend.h"
#include "engine/backend_ref.h"

void cpu_enter(const backend_t *be, cpu_guard_t *g)
{
    sigset_t async;
    sigfillset(&async);
    const int sync[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof sync / sizeof sync[0]; i++)
        sigdelset(&async, sync[i]);
    pthread_sigmask(SIG_BLOCK, &async, &g->saved);
    if (omp_get_max_threads() != be->threads)
        omp_set_num_threads(be->threads);
}

void cpu_leave(cpu_guard_t *g) { pthread_sigmask(SIG_SETMASK, &g->saved, NULL); }

/* Threads for count units of work when each thread should get min_each. */
static int team_size(const backend_t *be, size_t count, size_t min_each)
{
    size_t t = count / (min_each ? min_each : 1);
    if (t < 1)
        t = 1;
    return t < (size_t)be->threads ? (int)t : be->threads;
}

/* [lo, hi) of part id of nt over count units, boundaries on multiples of
 * align (a cache line of floats for element-wise work) */
static void split(size_t count, int nt, int id, size_t align, size_t *lo, size_t *hi)
{
    *lo = id == 0 ? 0 : (count * id / nt) / align * align;
    *hi = id == nt - 1 ? count : (count * (id + 1) / nt) / align * align;
    if (*lo > count)
        *lo = count;
    if (*hi < *lo)
        *hi = *lo;
}

void cpu_parallel(const backend_t *be, size_t count, size_t min_each, size_t align,
                  range_fn fn, const void *args)
{
    int nt = team_size(be, count, min_each);
    if (nt == 1) {
        fn(args, 0, count);
        return;
    }
    cpu_guard_t g;
    cpu_enter(be, &g);
#pragma omp parallel num_threads(nt)
    {
        size_t lo, hi;
        split(count, omp_get_num_threads(), omp_get_thread_num(), align, &lo, &hi);
        fn(args, lo, hi);
    }
    cpu_leave(&g);
}

static void cpu_release(backend_t *be)
{
    cpu_priv_t *p = be->priv;
    if (p)
        conv_engine_free(p->conv);
    free(p);
    be->priv = NULL;
}

/* The widest instruction set oneDNN will use here, as people name it. */
static const char *isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_avx512_core_amx: return "AVX-512 + AMX";
    case dnnl_cpu_isa_avx512_core_bf16: return "AVX-512 BF16";
    case dnnl_cpu_isa_avx512_core_vnni: return "AVX-512 + VNNI";
    case dnnl_cpu_isa_avx512_core: return "AVX-512";
    case dnnl_cpu_isa_avx2_vnni: return "AVX2 + VNNI";
    case dnnl_cpu_isa_avx2: return "AVX2";
    case dnnl_cpu_isa_avx: return "AVX";
    case dnnl_cpu_isa_sse41: return "SSE4.1";
    default: return "baseline x86-64";
    }
}

/* oneDNN computes bf16 convolutions with the CPU's own instructions from
 * AVX-512 BF16 (Cooper Lake, Zen 4) and AMX (Sapphire Rapids) on; with
 * AVX-512 alone it converts to fp32 and back (correct, slower than fp32);
 * below AVX-512 (AVX2: Zen 3, Haswell to Alder Lake) oneDNN 2.6 has no
 * bf16 convolution at all. The ISA values are cumulative bit masks, so
 * "has AVX-512" is a mask test (AVX2 + VNNI is not AVX-512). */
static int bf16_support(dnnl_cpu_isa_t isa)
{
    if (isa == dnnl_cpu_isa_avx512_core_bf16 || isa == dnnl_cpu_isa_avx512_core_amx)
        return BF16_NATIVE;
    return (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core ? BF16_EMULATED
                                                                         : BF16_NONE;
}

void backend_cpu_init(backend_t *be)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    be->name = "cpu";
    be->bf16_support = bf16_support(isa);
    snprintf(be->desc, sizeof be->desc, "cpu: %d thread%s, %s", be->threads,
             be->threads == 1 ? "" : "s", isa_name(isa));
    cpu_priv_t *p = xcalloc(1, sizeof *p);
    be->priv = p;
    cpu_guard_t g;
    cpu_enter(be, &g);
    p->conv = conv_engine_new();
    cpu_leave(&g);
    be->alloc = ref_alloc;
    be->alloc_i32 = ref_alloc_i32;
    be->free = ref_free;
    be->upload = ref_upload;
    be->download = ref_download;
    be->upload_i32 = ref_upload_i32;
    be->download_i32 = ref_download_i32;
    be->copy = ref_copy;
    be->copy_rows = ref_copy_rows;
    be->axpby = ref_axpby;
    be->softmax_xent = ref_softmax_xent;
    be->conv2d_forward = cpu_conv2d_forward;
    be->conv2d_backward = cpu_conv2d_backward;
    be->conv2d_maxpool_forward = cpu_conv2d_maxpool_forward;
    be->conv2d_maxpool_backward = cpu_conv2d_maxpool_backward;
    be->linear_forward = cpu_linear_forward;
    be->linear_backward = cpu_linear_backward;
    cpu_ops_init(be);
    be->release = cpu_release;
}

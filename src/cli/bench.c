/* bench.c - `mscnn bench`: how fast a network trains and infers here.
 *
 * On synthetic input (normal pixels, random labels) it runs the same step
 * as the trainer: forward, softmax cross-entropy, backward, Nesterov SGD.
 * After warm-up it times each step and reports the median; then the same
 * for inference (forward in evaluation mode and the loss). GFLOP counts
 * are the convolutions' and linear layers' multiply-adds x 2; a training
 * step counts 3x the forward (forward, input gradient, weight gradient),
 * the convention PyTorch comparisons use.
 *
 * --profile then times a few more training steps layer by layer.
 */
#include "cli/bench.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "backends/registry.h"
#include "engine/backend.h"
#include "engine/net.h"
#include "model/model.h"
#include "train/train.h"
#include "base/util.h"

#define MAX_REPEATS 200
#define TARGET_SECONDS 6.0   /* default timing budget per measure */
#define PROFILE_STEPS 3

typedef struct {
    const char *arch, *backend, *precision;
    int batch, threads, k, warmup, repeats, profile;
} bench_opts_t;

typedef struct {
    const bench_opts_t *o;
    backend_t *be;
    net_t *net;
    float *x, *probs;    /* (b, in_c, in_h, in_w), (b, k) backend memory */
    int32_t *labels;     /* (b) */
    rng_t rng;
    uint64_t step;       /* training steps so far: keys the dropout masks */
} bench_t;

/* "air, basic or judge": the architectures the nets know. */
static const char *arch_list(void)
{
    static char list[256];
    size_t len = 0;
    int n = 0;
    while (net_arch_names[n])
        n++;
    list[0] = '\0';
    for (int i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                i == 0 ? "" : i == n - 1 ? " or " : ", ", net_arch_names[i]);
    return list;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: mscnn bench [--arch NAME] [--batch_size N] [--threads N] [--profile]\n"
            "Times training (forward, backward, SGD step) and inference of a network on\n"
            "synthetic 32x32x3 input: median of repeats after warm-up.\n\n"
            "      --arch NAME         network: %s (default basic)\n"
            "      --batch_size N      images per step, 1 to 65536 (default 32)\n"
            "      --threads N         CPU threads, 0 = all cores (default 0)\n"
            "      --repeats N         timed steps per measure, 1 to %d (default: about\n"
            "                          %.0f s worth, at least 5)\n"
            "      --warmup N          untimed steps first, 0 to 100 (default 2)\n"
            "      --classes K         outputs, 2 to 1000 (default 10)\n"
            "      --device NAME       auto, cpu, ref (the plain reference loops), gpu or\n"
            "                          gpu:N (default auto); --backend is the same\n"
            "      --precision P       auto, fp32 or bf16 (default auto: bf16 for air\n"
            "                          where the CPU has bf16 instructions)\n"
            "      --profile           also print where a training step's time goes,\n"
            "                          layer by layer\n"
            "  -h, --help              this help\n\n"
            "The last line is machine-readable:\n"
            "  train_img_s=... infer_img_s=... gflop_per_img=... train_gflops=...\n",
            arch_list(), MAX_REPEATS, TARGET_SECONDS);
}

enum { O_ARCH = 1, O_BATCH, O_THREADS, O_REPEATS, O_WARMUP, O_CLASSES, O_BACKEND, O_PROFILE,
       O_PRECISION };

static int int_opt(const char *flag, const char *val, long lo, long hi, int *out)
{
    long v;
    if (parse_int(val, lo, hi, &v)) {
        fprintf(stderr, "mscnn bench: %s: expected an integer from %ld to %ld, got '%s'\n",
                flag, lo, hi, val);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int in_list(const char *s, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(s, names[i]))
            return 1;
    return 0;
}

/* 0: run; 1: help printed; -1: error printed (exit 2) */
static int parse(int argc, char **argv, bench_opts_t *o)
{
    static const struct option longs[] = {
        {"arch", required_argument, NULL, O_ARCH},
        {"batch_size", required_argument, NULL, O_BATCH},
        {"batch-size", required_argument, NULL, O_BATCH},
        {"threads", required_argument, NULL, O_THREADS},
        {"repeats", required_argument, NULL, O_REPEATS},
        {"warmup", required_argument, NULL, O_WARMUP},
        {"classes", required_argument, NULL, O_CLASSES},
        {"device", required_argument, NULL, O_BACKEND},
        {"backend", required_argument, NULL, O_BACKEND},
        {"profile", no_argument, NULL, O_PROFILE},
        {"precision", required_argument, NULL, O_PRECISION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    *o = (bench_opts_t){.arch = "basic", .backend = "auto",
                        .precision = "auto", .batch = 32, .k = 10, .warmup = 2};
    opterr = 0;
    optind = 1;
    int c, rc = 0;
    err_t e;
    while (!rc && (c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        switch (c) {
        case O_ARCH:
            o->arch = optarg;
            if (!in_list(optarg, net_arch_names)) {
                fprintf(stderr, "mscnn bench: --arch: expected %s, got '%s'\n", arch_list(),
                        optarg);
                rc = -1;
            }
            break;
        case O_BATCH: rc = int_opt("--batch_size", optarg, 1, 65536, &o->batch); break;
        case O_THREADS: rc = int_opt("--threads", optarg, 0, 1024, &o->threads); break;
        case O_REPEATS: rc = int_opt("--repeats", optarg, 1, MAX_REPEATS, &o->repeats); break;
        case O_WARMUP: rc = int_opt("--warmup", optarg, 0, 100, &o->warmup); break;
        case O_CLASSES: rc = int_opt("--classes", optarg, 2, 1000, &o->k); break;
        case O_BACKEND:
            o->backend = optarg;
            if (backend_device_check(optarg, &e)) {
                fprintf(stderr, "mscnn bench: --device: %s\n", e.msg);
                rc = -1;
            }
            break;
        case O_PROFILE: o->profile = 1; break;
        case O_PRECISION:
            o->precision = optarg;
            if (backend_precision_check(optarg, &e)) {
                fprintf(stderr, "mscnn bench: --precision: %s\n", e.msg);
                rc = -1;
            }
            break;
        case 'h': usage(stdout); return 1;
        case ':':
            fprintf(stderr, "mscnn bench: %s needs a value\n", argv[optind - 1]);
            rc = -1;
            break;
        default:
            fprintf(stderr, "mscnn bench: unknown option '%s' (see mscnn bench --help)\n",
                    argv[optind - 1]);
            rc = -1;
        }
    }
    if (!rc && optind < argc) {
        fprintf(stderr, "mscnn bench: unexpected argument '%s' (see mscnn bench --help)\n",
                argv[optind]);
        rc = -1;
    }
    return rc;
}

/* ---- the timed steps ----------------------------------------------------- */

static void train_step(bench_t *b)
{
    net_t *net = b->net;
    int n = b->o->batch;
    const float *logits = net_forward(net, b->x, n, 1, b->step++);
    b->be->softmax_xent(b->be, n, net->k, logits, b->labels, 0.2f, b->probs,
                        net_dlogits(net), NULL);
    net_backward(net, b->x, NULL, n);
    net_sgd_step(net, 0.01f, 0.9f, 5e-4f, 1);
}

static void infer_step(bench_t *b)
{
    int n = b->o->batch;
    const float *logits = net_forward(b->net, b->x, n, 0, 0);
    b->be->softmax_xent(b->be, n, b->net->k, logits, b->labels, 0.0f, b->probs, NULL, NULL);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    double median, min, max;
    int repeats;
} timing_t;

static timing_t time_steps(bench_t *b, void (*step)(bench_t *))
{
    double first = 0.0;
    for (int i = 0; i < b->o->warmup; i++) {
        double t0 = now_seconds();
        step(b);
        first = now_seconds() - t0;
    }
    int reps = b->o->repeats;
    if (!reps) {
        reps = first > 0 ? (int)(TARGET_SECONDS / first) : 5;
        reps = reps < 5 ? 5 : reps > 60 ? 60 : reps;
    }
    double t[MAX_REPEATS];
    for (int i = 0; i < reps; i++) {
        double t0 = now_seconds();
        step(b);
        t[i] = now_seconds() - t0;
    }
    qsort(t, reps, sizeof t[0], cmp_double);
    double med = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
    return (timing_t){med, t[0], t[reps - 1], reps};
}

/* ---- profile ------------------------------------------------------------- */

static void print_profile(bench_t *b)
{
    net_t *net = b->net;
    net_profile_t prof = {0};
    double loss = 0.0, sgd = 0.0, total = 0.0;
    int n = b->o->batch;
    for (int s = 0; s < PROFILE_STEPS; s++) {
        double t0 = now_seconds();
        net->profile = &prof;
        const float *logits = net_forward(net, b->x, n, 1, b->step++);
        double t1 = now_seconds();
        b->be->softmax_xent(b->be, n, net->k, logits, b->labels, 0.2f, b->probs,
                            net_dlogits(net), NULL);
        double t2 = now_seconds();
        net_backward(net, b->x, NULL, n);
        net->profile = NULL;
        double t3 = now_seconds();
        net_sgd_step(net, 0.01f, 0.9f, 5e-4f, 1);
        double t4 = now_seconds();
        loss += t2 - t1, sgd += t4 - t3, total += t4 - t0;
    }
    double per = 1e3 / PROFILE_STEPS, step_ms = total * per;
    printf("\nProfile of one training step (mean of %d, batch %d): %.1f ms\n", PROFILE_STEPS,
           n, step_ms);
    printf("  %2s %-10s %-10s %-11s %9s %9s %6s\n", "#", "layer", "kind", "output", "fwd ms",
           "bwd ms", "share");
    double fsum = 0.0, bsum = 0.0;
    for (int i = 0; i < net->nlayers; i++) {
        const layer_t *l = &net->layers[i];
        double f = prof.fwd[i] * per, bk = prof.bwd[i] * per;
        char shape[32];
        snprintf(shape, sizeof shape, "%dx%dx%d", l->oc, l->oh, l->ow);
        printf("  %2d %-10s %-10s %-11s %9.2f %9.2f %5.1f%%\n", i, l->name, net_layer_kind(l),
               shape, f, bk, 100.0 * (f + bk) / step_ms);
        fsum += f, bsum += bk;
    }
    printf("  %2s %-10s %-10s %-11s %9.2f %9s %5.1f%%\n", "", "", "loss", "", loss * per, "",
           100.0 * loss * per / step_ms);
    printf("  %2s %-10s %-10s %-11s %9s %9.2f %5.1f%%\n", "", "", "sgd step", "", "",
           sgd * per, 100.0 * sgd * per / step_ms);
    printf("  %2s %-10s %-10s %-11s %9.2f %9.2f\n", "", "", "layers", "", fsum, bsum);
}

/* ---- main ---------------------------------------------------------------- */

static int setup(bench_t *b, err_t *e)
{
    const bench_opts_t *o = b->o;
    b->be = backend_open(o->backend, o->threads, e);
    if (!b->be)
        return -1;
    char warning[BACKEND_DESC_LEN + 80];
    if (backend_set_precision(b->be, o->precision, !strcmp(o->arch, "air"), warning,
                              sizeof warning, e))
        return -1;
    if (warning[0])
        fprintf(stderr, "mscnn bench: warning: %s\n", warning);
    net_spec_t spec = {.arch = o->arch, .prefix = "stage1.", .k = o->k, .in_c = 3,
                       .in_h = 32, .in_w = 32, .max_batch = o->batch,
                       .side_width = strcmp(o->arch, JUDGE_ARCH) ? 0 : JUDGE_SIDE(o->k)};
    b->net = net_new(b->be, &spec, e);
    if (!b->net)
        return -1;
    net_init(b->net, 1);
    rng_seed(&b->rng, 1);
    size_t nx = (size_t)o->batch * spec.in_c * spec.in_h * spec.in_w;
    float *host = afloat(nx);
    for (size_t i = 0; i < nx; i++)
        host[i] = rng_normal(&b->rng);
    if (!strcmp(o->arch, "air") &&
        net_init_whitening(b->net, host, o->batch < 64 ? o->batch : 64, e))
        return -1;
    b->x = b->be->alloc(b->be, nx);
    b->be->upload(b->be, b->x, host, nx);
    afree(host);
    b->probs = b->be->alloc(b->be, (size_t)o->batch * o->k);
    int32_t *labels = xcalloc(o->batch, sizeof(int32_t));
    for (int i = 0; i < o->batch; i++)
        labels[i] = (int32_t)rng_below(&b->rng, o->k);
    b->labels = b->be->alloc_i32(b->be, o->batch);
    b->be->upload_i32(b->be, b->labels, labels, o->batch);
    free(labels);
    if (b->net->side_width) { /* a judge: the side input of a uniform softmax */
        size_t np = (size_t)o->batch * o->k, ns = (size_t)o->batch * JUDGE_SIDE(o->k);
        float *probs = afloat(np), *host_side = afloat(ns);
        for (size_t i = 0; i < np; i++)
            probs[i] = 1.0f / o->k;
        judge_features(probs, o->batch, o->k, host_side);
        float *side = b->be->alloc(b->be, ns);
        b->be->upload(b->be, side, host_side, ns);
        afree(probs);
        afree(host_side);
        b->net->side = side;
    }
    return 0;
}

static void teardown(bench_t *b)
{
    if (b->net) {
        if (b->net->side)
            b->be->free(b->be, (float *)b->net->side);
        net_free(b->net);
    }
    if (b->be) {
        b->be->free(b->be, b->x);
        b->be->free(b->be, b->probs);
        b->be->free(b->be, b->labels);
        backend_free(b->be);
    }
}

int bench_main(int argc, char **argv)
{
    bench_opts_t o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    bench_t b = {.o = &o};
    err_t e = {{0}};
    if (setup(&b, &e)) {
        fprintf(stderr, "mscnn bench: %s\n", e.msg);
        teardown(&b);
        return 1;
    }
    double gflop = net_forward_flops(b.net) / 1e9;
    printf("mscnn bench: %s, batch %d, %s, synthetic input\n", o.arch, o.batch, b.be->desc);
    fflush(stdout);
    timing_t tr = time_steps(&b, train_step);
    timing_t in = time_steps(&b, infer_step);
    double train_ips = o.batch / tr.median, infer_ips = o.batch / in.median;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  forward GFLOP per image   %10.4f\n", gflop);
    printf("  training                  %10.1f img/s   step %.1f ms (median of %d; min %.1f, "
           "max %.1f)\n", train_ips, tr.median * 1e3, tr.repeats, tr.min * 1e3, tr.max * 1e3);
    printf("  inference                 %10.1f img/s   batch %.1f ms (median of %d)\n",
           infer_ips, in.median * 1e3, in.repeats);
    printf("  training GFLOP/s          %10.1f   (3 x forward FLOPs x img/s)\n",
           3.0 * gflop * train_ips);
    printf("  inference GFLOP/s         %10.1f\n", gflop * infer_ips);
    printf("  peak resident memory      %10.0f MiB\n", ru.ru_maxrss / 1024.0);
    if (o.profile)
        print_profile(&b);
    printf("train_img_s=%.1f infer_img_s=%.1f gflop_per_img=%.4f train_gflops=%.1f\n",
           train_ips, infer_ips, gflop, 3.0 * gflop * train_ips);
    teardown(&b);
    return 0;
}

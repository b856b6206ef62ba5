/* test_bf16.c - training in bf16 against fp32: the air net takes the same
 * SGD steps on the same batches on two CPU backends, one computing its
 * convolutions in bf16, and the losses and weights must stay close.
 *
 * Stated tolerances: a bf16 operand carries a relative rounding error of at
 * most 2^-9 (0.2 %); through eight convolutions and a few steps the loss
 * stays within LOSS_REL (0.5 %; measured: 0.05 %) of fp32's at every step, and the weights
 * after the last step within a normalised error of WEIGHT_NERR. The
 * per-op checks against the reference's bf16 emulation are in
 * test_backend.c. On a CPU without bf16 instructions the steps run in
 * oneDNN's emulation (slow), with fewer images; the test says so.
 */
#include <math.h>
#include <string.h>

#include "backends/registry.h"
#include "check.h"
#include "engine/backend.h"
#include "engine/net.h"

#define K 10
#define STEPS 4
#define LOSS_REL 0.005
#define WEIGHT_NERR 1e-4

typedef struct {
    backend_t *be;
    net_t *net;
    float *x, *probs, *stats;
    int32_t *labels;
} side_t;

/* images with a class-dependent mean, so the loss has somewhere to go */
static void make_batch(float *x, int32_t *labels, int b, rng_t *rng)
{
    size_t img = 3 * 32 * 32;
    for (int i = 0; i < b; i++) {
        labels[i] = (int32_t)(i % K);
        for (size_t j = 0; j < img; j++)
            x[i * img + j] = 0.3f * (float)(labels[i] - K / 2) / K + rng_normal(rng);
    }
}

static int side_open(side_t *s, const char *precision, int b, const float *x,
                     const int32_t *labels)
{
    err_t e;
    char warning[256];
    memset(s, 0, sizeof *s);
    s->be = backend_open("cpu", 2, &e);
    if (!s->be || backend_set_precision(s->be, precision, 0, warning, sizeof warning, &e))
        return -1;
    net_spec_t spec = {.arch = "air", .prefix = "stage1.", .k = K, .in_c = 3, .in_h = 32,
                       .in_w = 32, .max_batch = b};
    if (!(s->net = net_new(s->be, &spec, &e)))
        return -1;
    net_init(s->net, 3);
    if (net_init_whitening(s->net, x, b, &e))
        return -1;
    size_t nx = (size_t)b * 3 * 32 * 32;
    s->x = s->be->alloc(s->be, nx);
    s->be->upload(s->be, s->x, x, nx);
    s->probs = s->be->alloc(s->be, (size_t)b * K);
    s->stats = s->be->alloc(s->be, 2);
    s->labels = s->be->alloc_i32(s->be, b);
    s->be->upload_i32(s->be, s->labels, labels, b);
    return 0;
}

static void side_close(side_t *s)
{
    if (s->net)
        net_free(s->net);
    if (s->be) {
        s->be->free(s->be, s->x), s->be->free(s->be, s->probs);
        s->be->free(s->be, s->stats), s->be->free(s->be, s->labels);
        backend_free(s->be);
    }
}

/* one training step; returns its mean loss */
static double step(side_t *s, int b, uint64_t n)
{
    float zero[2] = {0.0f, 0.0f}, st[2];
    s->be->upload(s->be, s->stats, zero, 2);
    const float *logits = net_forward(s->net, s->x, b, 1, n);
    s->be->softmax_xent(s->be, b, K, logits, s->labels, 0.2f, s->probs, net_dlogits(s->net),
                        s->stats);
    net_backward(s->net, s->x, NULL, b);
    net_sgd_step(s->net, 0.05f, 0.85f, 5e-4f, 1);
    s->be->download(s->be, st, s->stats, 2);
    return st[0] / b;
}

int main(void)
{
    err_t e;
    backend_t *probe = backend_open("cpu", 1, &e);
    if (!probe)
        return check_skip("the cpu backend does not open");
    if (probe->bf16_support == BF16_NONE) {
        char why[BACKEND_DESC_LEN + 64];
        snprintf(why, sizeof why, "%s: oneDNN has no bf16 convolutions on this CPU", probe->desc);
        backend_free(probe);
        return check_skip(why);
    }
    int native = probe->bf16_support == BF16_NATIVE;
    printf("%s: %s\n", probe->desc,
           native ? "bf16 on the CPU's own instructions"
                  : "no bf16 instructions: oneDNN emulates bf16 (slow), fewer images");
    backend_free(probe);
    int b = native ? 32 : 8;
    rng_t rng;
    rng_seed(&rng, 11);
    float *x = afloat((size_t)b * 3 * 32 * 32);
    int32_t labels[32];
    make_batch(x, labels, b, &rng);
    side_t f, h;
    int ok = !side_open(&f, "fp32", b, x, labels) && !side_open(&h, "bf16", b, x, labels);
    CHECK(ok, "both backends and nets open");
    if (ok) {
        CHECK(!f.be->bf16 && h.be->bf16, "one computes in fp32, the other in bf16");
        double worst = 0.0, first = 0.0, last = 0.0;
        for (int i = 0; i < STEPS; i++) {
            double lf = step(&f, b, (uint64_t)i), lh = step(&h, b, (uint64_t)i);
            double rel = fabs(lh - lf) / lf;
            printf("  step %d: loss fp32 %.6f bf16 %.6f (relative difference %.2g)\n", i + 1,
                   lf, lh, rel);
            worst = fmax(worst, rel);
            if (i == 0)
                first = lf;
            last = lf;
        }
        CHECK(worst < LOSS_REL, "bf16 losses within %.1f %% of fp32's (worst %.3g)",
              100 * LOSS_REL, worst);
        CHECK(last < first, "the loss falls (%.4f -> %.4f)", first, last);
        size_t n = f.net->total;
        float *wf = afloat(n), *wh = afloat(n);
        f.be->download(f.be, wf, f.net->data, n);
        h.be->download(h.be, wh, h.net->data, n);
        double ne = check_nerr(wf, wh, n);
        CHECK(ne > 0 && ne < WEIGHT_NERR,
              "weights after %d steps: normalised error %.3g (limit %.0e, and not 0)", STEPS,
              ne, WEIGHT_NERR);
        afree(wf), afree(wh);
    }
    side_close(&f);
    side_close(&h);
    afree(x);
    return check_done("test_bf16");
}

/* test_gpu.c - whole training steps on the GPU against the CPU backend.
 *
 * For each network (basic, air, and a judge with its side input of width
 * 2k), two nets, one per backend, start from the same weights (net_init
 * and, for air, the whitening from the same images), take the same three
 * SGD steps on the same batches (dropout masks are the same on every
 * backend: Philox keyed by seed and step), and must agree:
 *   - the loss of every step, to a relative 1e-4;
 *   - what training changed in every tensor, w_after - w_before (weights,
 *     batch-norm parameters and running statistics), to a normalised error
 *     mse(cpu, gpu) / mse(cpu, 0) of 1e-6, a relative RMS of 1e-3; a
 *     frozen tensor must not move on either;
 *   - the logits of an inference pass after the steps, to 1e-7.
 * Why these: both backends compute in fp32 (no TF32) but sum in other
 * orders (cuDNN and cuBLAS against oneDNN), which costs about 1e-7
 * relative per op; three steps through batch norm (which divides by the
 * batch's spread) and max pools (where a near-tie can pick another
 * element) grow that, and "tests/test_gpu ref cpu" (the same test on the
 * reference and CPU backends, by hand) measures how far it gets between
 * two correct fp32 backends. A wiring error (a transposed product, a lost
 * bias, a stale buffer, a wrong pool index) is off by order one.
 *
 * The change rather than the weights themselves is compared because the
 * weights are mostly their identical starting values: comparing them
 * would hide a gradient that is wrong by 100%.
 *
 * Skips (77) with the reason when no GPU backend opens: no driver, no
 * device, or the backend lacks an op. Built only with the GPU backend. */
#include <math.h>
#include <string.h>

#include "backends/registry.h"
#include "base/util.h"
#include "check.h"
#include "engine/backend.h"
#include "engine/net.h"

#define B 16
#define K 10
#define STEPS 3
#define LOSS_TOL 1e-4
#define DELTA_TOL 1e-6
#define LOGIT_TOL 1e-7

static backend_t *bes[2]; /* [0] the reference for the comparison (cpu), [1] under test */

typedef struct {
    net_t *net;
    float *x, *probs, *stats, *side;
    int32_t *labels;
} run_t;

static void train_both(const char *arch, int side_width)
{
    net_spec_t spec = {.arch = arch, .prefix = "t.", .k = K, .in_c = 3, .in_h = 32,
                       .in_w = 32, .side_width = side_width, .max_batch = B};
    run_t s[2];
    err_t e;
    const size_t nx = (size_t)B * 3 * 32 * 32;
    rng_t rng;
    rng_seed(&rng, 11);
    float *img = afloat(nx), *sidev = afloat((size_t)B * (side_width ? side_width : 1));
    for (size_t i = 0; i < nx; i++)
        img[i] = rng_normal(&rng);
    for (int i = 0; i < B * side_width; i++)
        sidev[i] = rng_uniform(&rng);
    for (int j = 0; j < 2; j++) {
        backend_t *be = bes[j];
        s[j].net = net_new(be, &spec, &e);
        CHECK(s[j].net != NULL, "%s on %s: %s", arch, be->name, e.msg);
        if (!s[j].net)
            return;
        net_init(s[j].net, 5);
        s[j].net->dropout_seed = 0x5eedULL;
        if (!strcmp(arch, "air")) {
            CHECK(net_init_whitening(s[j].net, img, B, &e) == 0, "whitening: %s", e.msg);
            net_set_norm_lr_scale(s[j].net, 64.0f);
        }
        s[j].x = be->alloc(be, nx);
        s[j].probs = be->alloc(be, (size_t)B * K);
        s[j].stats = be->alloc(be, 2);
        s[j].labels = be->alloc_i32(be, B);
        s[j].side = be->alloc(be, (size_t)B * (side_width ? side_width : 1));
        be->upload(be, s[j].side, sidev, (size_t)B * side_width);
        s[j].net->side = side_width ? s[j].side : NULL;
    }
    const size_t total = s[0].net->total;
    CHECK(s[1].net->total == total, "%s: the same parameter count", arch);
    float *before = afloat(total), *after[2] = {afloat(total), afloat(total)};
    bes[1]->download(bes[1], before, s[1].net->data, total);
    bes[0]->download(bes[0], after[0], s[0].net->data, total);
    CHECK(!memcmp(before, after[0], total * sizeof(float)),
          "%s: both start from the same weights (upload/download exact)", arch);

    double worst_loss = 0;
    int32_t labels[B];
    for (int step = 0; step < STEPS; step++) {
        for (size_t i = 0; i < nx; i++)
            img[i] = rng_normal(&rng);
        for (int i = 0; i < B; i++)
            labels[i] = (int32_t)rng_below(&rng, K);
        double loss[2];
        for (int j = 0; j < 2; j++) {
            backend_t *be = bes[j];
            net_t *net = s[j].net;
            const float zero2[2] = {0.0f, 0.0f};
            float st[2];
            be->upload(be, s[j].x, img, nx);
            be->upload_i32(be, s[j].labels, labels, B);
            be->upload(be, s[j].stats, zero2, 2);
            const float *logits = net_forward(net, s[j].x, B, 1, (uint64_t)step);
            be->softmax_xent(be, B, K, logits, s[j].labels, 0.2f, s[j].probs, net_dlogits(net),
                             s[j].stats);
            net_backward(net, s[j].x, NULL, B);
            net_sgd_step(net, 0.05f, 0.85f, 5e-4f, 1);
            be->download(be, st, s[j].stats, 2);
            loss[j] = st[0] / B;
        }
        double rel = fabs(loss[1] - loss[0]) / fmax(fabs(loss[0]), 1e-3);
        worst_loss = fmax(worst_loss, rel);
        CHECK(isfinite(loss[1]) && rel <= LOSS_TOL,
              "%s step %d: loss %s %.9g, %s %.9g (relative %.3g, limit %.0e)", arch, step,
              bes[0]->name, loss[0], bes[1]->name, loss[1], rel, LOSS_TOL);
    }

    /* what training changed, tensor by tensor */
    for (int j = 0; j < 2; j++)
        bes[j]->download(bes[j], after[j], s[j].net->data, total);
    double worst_delta = 0;
    const char *worst_name = "-";
    for (int p = 0; p < s[0].net->nparams; p++) {
        const param_t *pr = &s[0].net->params[p];
        float *d0 = afloat(pr->count), *d1 = afloat(pr->count);
        int moved0 = 0, moved1 = 0;
        for (size_t i = 0; i < pr->count; i++) {
            d0[i] = after[0][pr->offset + i] - before[pr->offset + i];
            d1[i] = after[1][pr->offset + i] - before[pr->offset + i];
            moved0 |= d0[i] != 0.0f;
            moved1 |= d1[i] != 0.0f;
        }
        if (!moved0) {
            CHECK(!moved1, "%s %s: still on %s, moved on %s", arch, pr->name, bes[0]->name,
                  bes[1]->name);
        } else {
            double err = check_nerr(d0, d1, pr->count);
            if (err > worst_delta)
                worst_delta = err, worst_name = pr->name;
            CHECK(err <= DELTA_TOL, "%s %s: change differs, normalised error %.3g (limit %.0e)",
                  arch, pr->name, err, DELTA_TOL);
        }
        afree(d0), afree(d1);
    }

    /* inference from the trained weights and running statistics */
    float *lg[2] = {afloat((size_t)B * K), afloat((size_t)B * K)};
    for (int j = 0; j < 2; j++) {
        bes[j]->upload(bes[j], s[j].x, img, nx);
        const float *logits = net_forward(s[j].net, s[j].x, B, 0, 0);
        bes[j]->download(bes[j], lg[j], logits, (size_t)B * K);
    }
    double lerr = check_nerr(lg[0], lg[1], (size_t)B * K);
    CHECK(lerr <= LOGIT_TOL, "%s: inference logits differ, normalised error %.3g (limit %.0e)",
          arch, lerr, LOGIT_TOL);
    printf("%s: %s against %s: worst loss difference %.2e (relative), worst change %.2e "
           "(%s), logits %.2e\n",
           arch, bes[1]->name, bes[0]->name, worst_loss, worst_delta, worst_name, lerr);

    for (int j = 0; j < 2; j++) {
        backend_t *be = bes[j];
        be->free(be, s[j].x);
        be->free(be, s[j].probs);
        be->free(be, s[j].stats);
        be->free(be, s[j].labels);
        be->free(be, s[j].side);
        net_free(s[j].net);
        afree(after[j]);
        afree(lg[j]);
    }
    afree(before);
    afree(img);
    afree(sidev);
}

/* tests/test_gpu [BASE TESTED]: by default the CPU backend against the
 * GPU; "tests/test_gpu ref cpu" runs the same comparison between two CPU
 * backends, to see the tolerances hold between correct fp32 backends. */
int main(int argc, char **argv)
{
    const char *names[2] = {"cpu", "gpu"};
    if (argc == 3)
        names[0] = argv[1], names[1] = argv[2];
    err_t e;
    bes[1] = backend_open(names[1], 2, &e);
    if (!bes[1]) {
        char why[MSCNN_ERR_LEN + 32];
        snprintf(why, sizeof why, "no %s backend here: %s", names[1], e.msg);
        return check_skip(why);
    }
    printf("%s\n", bes[1]->desc);
    bes[0] = backend_open(names[0], 2, &e);
    CHECK(bes[0] != NULL, "the %s backend opens: %s", names[0], e.msg);
    if (!bes[0])
        return check_done("test_gpu");
    train_both("basic", 0);
    train_both("air", 0);
    train_both("judge", 2 * K);
    backend_free(bes[0]);
    backend_free(bes[1]);
    return check_done("test_gpu");
}

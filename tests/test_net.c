/* test_net.c - whole networks: parameter and input gradients of the full
 * basic, air and judge nets against finite differences of the loss (this checks
 * the wiring between layers, which the per-op tests cannot), the side
 * input of a judge, and the FLOP counts DESIGN.md gives. */
#include <math.h>
#include <string.h>

#include "backends/registry.h"
#include "engine/backend.h"
#include "check.h"
#include "engine/net.h"

#define B 3
#define K 10

typedef struct {
    net_t *net;
    backend_t *be;
    float *x, *probs;
    int32_t labels[B];
    uint64_t step; /* keys the dropout masks: the same for every evaluation */
} fixture_t;

static double loss_at(fixture_t *f, int want_grad)
{
    const float *logits = net_forward(f->net, f->x, B, 1, f->step);
    float stats[2] = {0.0f, 0.0f};
    f->be->softmax_xent(f->be, B, f->net->k, logits, f->labels, 0.1f, f->probs,
                        want_grad ? net_dlogits(f->net) : NULL, stats);
    return stats[0] / B;
}

/* Directional derivative along a random unit direction v over a whole
 * tensor. In float through a deep net of ReLUs and max pools, central
 * differences carry noise, and a step that moves units across a ReLU kink
 * can be far off for small gradients (the same gradients agree with
 * PyTorch 1.13 to 2e-6, checked by hand), so two step sizes are tried and
 * the tolerance is loose; a wiring bug (wrong buffer, offset or
 * transposition) is off at every step size by errors of order one. */
static double numeric_dir(fixture_t *f, float *w, const float *v, size_t n, float h)
{
    float *old = afloat(n);
    memcpy(old, w, n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        w[i] = old[i] + h * v[i];
    double lp = loss_at(f, 0);
    for (size_t i = 0; i < n; i++)
        w[i] = old[i] - h * v[i];
    double lm = loss_at(f, 0);
    memcpy(w, old, n * sizeof(float));
    afree(old);
    return (lp - lm) / (2.0 * h);
}

static void check_dir(fixture_t *f, const char *what, float *w, const float *g, size_t n,
                      rng_t *rng)
{
    float *v = afloat(n);
    double analytic = 0, norm = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = 2.0f * rng_uniform(rng) - 1.0f;
        norm += (double)v[i] * v[i];
    }
    for (size_t i = 0; i < n; i++) { /* a unit direction */
        v[i] = (float)(v[i] / sqrt(norm));
        analytic += (double)g[i] * v[i];
    }
    /* float noise in the loss (~1e-6) over a step of 2h bounds what a
     * difference can resolve: below NOISE the check is absolute */
    const double NOISE = 5e-3;
    double num = 0, rel = INFINITY;
    for (float h = 1e-3f; h > 1e-4f && rel >= 0.15; h *= 0.3f) {
        num = numeric_dir(f, w, v, n, h);
        rel = fabs(analytic - num) / fmax(NOISE, fabs(analytic) + fabs(num));
    }
    CHECK(rel < 0.15 || fabs(analytic - num) < NOISE,
          "%s: analytic %.6g numeric %.6g (rel %.3g)", what, analytic, num, rel);
    afree(v);
}

static void run(const char *arch, int side)
{
    fixture_t f = {0};
    f.be = backend_open("cpu", 1, NULL);
    err_t e;
    net_spec_t spec = {.arch = arch, .prefix = "t.", .k = K, .in_c = 3, .in_h = 32,
                       .in_w = 32, .side_width = side, .max_batch = B};
    f.net = net_new(f.be, &spec, &e);
    CHECK(f.net != NULL, "%s: %s", arch, e.msg);
    if (!f.net)
        return;
    net_init(f.net, 3);
    rng_t rng;
    rng_seed(&rng, 5);
    f.x = f.be->alloc(f.be, (size_t)B * 3 * 32 * 32);
    f.probs = f.be->alloc(f.be, (size_t)B * K);
    float *sidebuf = f.be->alloc(f.be, (size_t)B * (side ? side : 1));
    for (size_t i = 0; i < (size_t)B * 3 * 32 * 32; i++)
        f.x[i] = rng_normal(&rng);
    for (int i = 0; i < B * side; i++)
        sidebuf[i] = rng_uniform(&rng);
    f.net->side = side ? sidebuf : NULL;
    for (int i = 0; i < B; i++)
        f.labels[i] = (int32_t)rng_below(&rng, K);
    f.step = 9;
    /* a fresh net's first loss (label smoothing 0.1 included) is ln K: its
     * output layer starts at zero (He-scaled, basic's started near 8); air
     * keeps airbench's own initialisation */
    double first = loss_at(&f, 0);
    CHECK(!strcmp(arch, "air") || fabs(first - log(K)) < 1e-6,
          "%s: a fresh net's first loss %.6f is ln %d", arch, first, K);
    /* the wiring check below needs gradients below the output layer */
    const param_t *out = NULL;
    for (int p = 0; p < f.net->nparams; p++)
        if (f.net->params[p].decay)
            out = &f.net->params[p];
    for (size_t i = 0; strcmp(arch, "air") && out && i < out->count; i++)
        f.net->data[out->offset + i] = 0.1f * (2.0f * rng_uniform(&rng) - 1.0f);

    float *dx = f.be->alloc(f.be, (size_t)B * 3 * 32 * 32);
    loss_at(&f, 1);
    net_backward(f.net, f.x, dx, B);
    float *grad = afloat(f.net->total);
    memcpy(grad, f.net->grad, f.net->total * sizeof(float));
    char what[160];
    for (int p = 0; p < f.net->nparams; p++) {
        const param_t *pr = &f.net->params[p];
        if (!pr->trainable) /* frozen (air's whitening) or a BN buffer */
            continue;
        snprintf(what, sizeof what, "%s %s", arch, pr->name);
        check_dir(&f, what, f.net->data + pr->offset, grad + pr->offset, pr->count, &rng);
    }
    snprintf(what, sizeof what, "%s dloss/dx", arch);
    check_dir(&f, what, f.x, dx, (size_t)B * 3 * 32 * 32, &rng);
    if (side) { /* the side input must reach the output */
        double before = loss_at(&f, 0);
        for (int i = 0; i < B * side; i++)
            sidebuf[i] = 1.0f - sidebuf[i];
        CHECK(loss_at(&f, 0) != before, "judge output depends on its side input");
    }
    afree(grad);
    f.be->free(f.be, f.x);
    f.be->free(f.be, f.probs);
    f.be->free(f.be, dx);
    f.be->free(f.be, sidebuf);
    net_free(f.net);
    backend_free(f.be);
}

static void check_flops(void)
{
    backend_t *be = backend_open("cpu", 1, NULL);
    err_t e;
    net_spec_t spec = {.arch = "basic", .prefix = "stage1.", .k = 10, .in_c = 3, .in_h = 32,
                       .in_w = 32, .max_batch = 1};
    net_t *net = net_new(be, &spec, &e);
    double mf = net_forward_flops(net) / 1e6;
    CHECK(mf > 40 && mf < 43, "basic is about 41 MFLOP per image, got %.2f", mf);
    CHECK(net_find_param(net, "stage1.fc1.weight")->count == 2304 * 512, "basic fc1 is 2304x512");
    net_free(net);
    spec.arch = "judge";
    spec.side_width = 10;
    spec.prefix = "judge.3.";
    net = net_new(be, &spec, &e);
    mf = net_forward_flops(net) / 1e6;
    CHECK(mf > 2 && mf < 10, "a judge is a few MFLOP per image, got %.2f", mf);
    CHECK(net_find_param(net, "judge.3.fc1.weight") != NULL, "judge tensor names");
    net_free(net);
    spec.arch = "nope";
    CHECK(net_new(be, &spec, &e) == NULL && strstr(e.msg, "nope"), "unknown arch named");
    backend_free(be);
}

/* air: FLOPs and parameters as DESIGN.md gives them, its tensor names,
 * the frozen whitening layer and the BN learning-rate multiplier. */
static void check_air(void)
{
    backend_t *be = backend_open("cpu", 1, NULL);
    err_t e;
    net_spec_t spec = {.arch = "air", .prefix = "stage1.", .k = 10, .in_c = 3, .in_h = 32,
                       .in_w = 32, .max_batch = 2};
    net_t *net = net_new(be, &spec, &e);
    CHECK(net != NULL, "air: %s", e.msg);
    if (!net)
        return;
    double gf = net_forward_flops(net) / 1e9;
    CHECK(gf > 0.23 && gf < 0.245, "air is about 0.24 GFLOP per image, got %.4f", gf);
    size_t np = net_trainable_count(net);
    CHECK(np > 1900000 && np < 2100000, "air has about 2 M parameters, got %zu", np);
    const param_t *wh = net_find_param(net, "stage1.whiten.weight");
    CHECK(wh && !wh->trainable && wh->count == 24 * 3 * 2 * 2, "frozen 3->24 2x2 whitening");
    CHECK(net_find_param(net, "stage1.g2.conv1.weight") != NULL, "air tensor names");
    const param_t *bias = net_find_param(net, "stage1.g3.bn2.bias");
    CHECK(bias && bias->trainable && !net_find_param(net, "stage1.g3.bn2.weight"),
          "BN: trained bias, scale frozen at 1");
    CHECK(net_find_param(net, "stage1.g1.bn1.running_var") != NULL, "BN running stats");
    CHECK(net->layers[net->nlayers - 1].kind == LAYER_SCALE &&
              net->layers[net->nlayers - 1].scale == 1.0f / 9.0f, "output scaled by 1/9");

    /* lr multipliers: one plain SGD step with all gradients 1 */
    CHECK(net_set_norm_lr_scale(net, 64.0f) == 6, "six BN biases take the multiplier");
    net_init(net, 1);
    const param_t *cw = net_find_param(net, "stage1.g1.conv1.weight");
    float w0 = net->data[cw->offset], b0 = net->data[bias->offset];
    float wh0 = net->data[wh->offset];
    for (size_t i = 0; i < net->total; i++)
        net->grad[i] = 1.0f;
    net_sgd_step(net, 0.01f, 0.0f, 0.0f, 0);
    CHECK_NEAR(net->data[cw->offset], w0 - 0.01f, 1e-6, "weight moves by lr");
    CHECK_NEAR(net->data[bias->offset], b0 - 0.64f, 1e-6, "BN bias moves by 64 lr");
    CHECK(net->data[wh->offset] == wh0, "the frozen whitening weight does not move");

    /* weight decay alone (zero gradients): BN biases shrink at the weights'
     * rate, lr x decay, though their learning rate is 64x */
    for (size_t i = 0; i < net->total; i++)
        net->grad[i] = 0.0f;
    net->data[bias->offset] = 2.0f;
    w0 = net->data[cw->offset];
    net_sgd_step(net, 0.01f, 0.0f, 0.5f, 0);
    CHECK_NEAR(net->data[cw->offset], w0 * (1 - 0.005f), 1e-6, "weight decays by lr x wd");
    CHECK_NEAR(net->data[bias->offset], 2.0f * (1 - 0.005f), 1e-6,
               "BN bias decays by lr x wd too");
    net_free(net);

    spec.in_w = 40;
    CHECK(net_new(be, &spec, &e) == NULL && strstr(e.msg, "square"), "air needs square input");
    backend_free(be);
}

/* The whitening layer makes the first 12 output channels uncorrelated
 * with variance lambda / (lambda + 5e-4), i.e. 1 - 5e-4 |w_i|^2, checked
 * directly on the conv's output over the same images. */
static void check_whitening(void)
{
    enum { N = 6, S = 32, D = 12 };
    backend_t *be = backend_open("cpu", 2, NULL);
    err_t e;
    net_spec_t spec = {.arch = "air", .prefix = "stage1.", .k = 10, .in_c = 3, .in_h = S,
                       .in_w = S, .max_batch = N};
    net_t *net = net_new(be, &spec, &e);
    net_init(net, 2);
    rng_t rng;
    rng_seed(&rng, 17);
    float *img = be->alloc(be, (size_t)N * 3 * S * S);
    for (int n = 0; n < N; n++) /* smooth colour gradients plus noise: correlated pixels */
        for (int c = 0; c < 3; c++) {
            float a = rng_normal(&rng), b = rng_normal(&rng), o = rng_normal(&rng);
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++)
                    img[((n * 3 + c) * S + y) * S + x] =
                        o + a * y / S + b * x / S + 0.3f * rng_normal(&rng) + (c == 1) * 0.5f;
        }
    CHECK(net_init_whitening(net, img, N, &e) == 0, "whitening: %s", e.msg);
    net_forward(net, img, N, 0, 0);
    const float *out = net->layers[0].y; /* (N, 24, 31, 31) */
    const float *w = net->data + net_find_param(net, "stage1.whiten.weight")->offset;
    const int P = 31 * 31;
    double worst_diag = 0, worst_off = 0;
    for (int i = 0; i < D; i++)
        for (int j = 0; j <= i; j++) {
            double acc = 0;
            for (int n = 0; n < N; n++)
                for (int p = 0; p < P; p++)
                    acc += (double)out[(n * 24 + i) * P + p] * out[(n * 24 + j) * P + p];
            acc /= (double)N * P;
            if (i == j) {
                double w2 = 0;
                for (int k = 0; k < D; k++)
                    w2 += (double)w[i * D + k] * w[i * D + k];
                worst_diag = fmax(worst_diag, fabs(acc - (1.0 - 5e-4 * w2)));
            } else {
                worst_off = fmax(worst_off, fabs(acc));
            }
        }
    CHECK(worst_diag < 1e-4, "whitened variances: worst error %.3g", worst_diag);
    CHECK(worst_off < 1e-4, "whitened covariances: worst |off-diagonal| %.3g", worst_off);
    int neg = 1;
    for (int i = 0; i < D * D; i++)
        neg &= w[D * D + i] == -w[i];
    CHECK(neg, "filters 12..23 are the negations of 0..11");
    spec.arch = "basic";
    net_t *basic = net_new(be, &spec, &e);
    CHECK(net_init_whitening(basic, img, N, &e) == -1 && strstr(e.msg, "whitening"),
          "basic has no whitening layer: %s", e.msg);
    net_free(basic);
    be->free(be, img);
    net_free(net);
    backend_free(be);
}

/* Backward skips what nothing needs: the frozen first layer's gradient
 * is never written. */
static void check_skips(void)
{
    backend_t *be = backend_open("cpu", 1, NULL);
    err_t e;
    net_spec_t spec = {.arch = "air", .prefix = "t.", .k = K, .in_c = 3, .in_h = 32,
                       .in_w = 32, .max_batch = 2};
    net_t *net = net_new(be, &spec, &e);
    net_init(net, 4);
    float *x = be->alloc(be, 2 * 3 * 32 * 32), *probs = be->alloc(be, 2 * K);
    rng_t rng;
    rng_seed(&rng, 3);
    for (int i = 0; i < 2 * 3 * 32 * 32; i++)
        x[i] = rng_normal(&rng);
    const param_t *wh = net_find_param(net, "t.whiten.weight");
    for (size_t i = 0; i < wh->count; i++)
        net->grad[wh->offset + i] = 7.0f;
    int32_t labels[2] = {1, 2};
    const float *logits = net_forward(net, x, 2, 1, 0);
    be->softmax_xent(be, 2, K, logits, labels, 0.0f, probs, net_dlogits(net), NULL);
    net_backward(net, x, NULL, 2);
    CHECK(net->grad[wh->offset] == 7.0f && net->grad[wh->offset + wh->count - 1] == 7.0f,
          "the frozen whitening gradient is not computed");
    be->free(be, x);
    be->free(be, probs);
    net_free(net);
    backend_free(be);
}

/* Training is repeatable bit for bit with the same seed and thread count:
 * two fresh air nets, three SGD steps each on the same batches. */
static void check_repeatable(void)
{
    enum { N = 5 };
    float *w[2];
    for (int r = 0; r < 2; r++) {
        backend_t *be = backend_open("cpu", 2, NULL);
        err_t e;
        net_spec_t spec = {.arch = "air", .prefix = "t.", .k = K, .in_c = 3, .in_h = 32,
                           .in_w = 32, .max_batch = N};
        net_t *net = net_new(be, &spec, &e);
        net_init(net, 8);
        net_set_norm_lr_scale(net, 64.0f);
        float *x = be->alloc(be, N * 3 * 32 * 32), *probs = be->alloc(be, N * K);
        rng_t rng;
        rng_seed(&rng, 21);
        int32_t labels[N];
        for (int step = 0; step < 3; step++) {
            for (int i = 0; i < N * 3 * 32 * 32; i++)
                x[i] = rng_normal(&rng);
            for (int i = 0; i < N; i++)
                labels[i] = (int32_t)rng_below(&rng, K);
            const float *logits = net_forward(net, x, N, 1, (uint64_t)step);
            be->softmax_xent(be, N, K, logits, labels, 0.2f, probs, net_dlogits(net), NULL);
            net_backward(net, x, NULL, N);
            net_sgd_step(net, 0.05f, 0.85f, 5e-4f, 1);
        }
        w[r] = afloat(net->total);
        memcpy(w[r], net->data, net->total * sizeof(float));
        CHECK(r == 0 || !memcmp(w[0], w[1], net->total * sizeof(float)),
              "air: same seed and threads, same weights after 3 steps");
        be->free(be, x);
        be->free(be, probs);
        net_free(net);
        backend_free(be);
    }
    afree(w[0]);
    afree(w[1]);
}

int main(void)
{
    run("basic", 0);
    run("air", 0);
    check_air();
    check_whitening();
    check_skips();
    check_repeatable();
    run("judge", K);
    check_flops();
    return check_done("test_net");
}

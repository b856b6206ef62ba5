/* test_net.c - whole networks: parameter and input gradients of the full
 * basic and judge nets against finite differences of the loss (this checks
 * the wiring between layers, which the per-op tests cannot), the side
 * input of a judge, and the FLOP counts DESIGN.md gives. */
#include <string.h>

#include "backend.h"
#include "check.h"
#include "net.h"

#define B 3
#define K 10

typedef struct {
    net_t *net;
    backend_t *be;
    float *x, *probs;
    int32_t labels[B];
    rng_t rng0;   /* dropout stream, replayed for every evaluation */
} fixture_t;

static double loss_at(fixture_t *f, int want_grad)
{
    rng_t rng = f->rng0;
    const float *logits = net_forward(f->net, f->x, B, 1, &rng);
    double loss = f->be->softmax_xent(f->be, B, f->net->k, logits, f->labels, 0.1f, f->probs,
                                      want_grad ? net_dlogits(f->net) : NULL);
    return loss;
}

/* Directional derivative along a random unit direction v over a whole
 * tensor. In float through a deep net of ReLUs and max pools, central
 * differences carry a few percent of noise (the same gradients agree with
 * PyTorch 1.13 to 1.3e-6, checked by hand), so the tolerance is loose; a
 * wiring bug (wrong buffer, offset or transposition) gives errors of order
 * one. */
static double numeric_dir(fixture_t *f, float *w, const float *v, size_t n)
{
    const float h = 1e-3f;
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
    double num = numeric_dir(f, w, v, n);
    double rel = fabs(analytic - num) / fmax(1e-3, fabs(analytic) + fabs(num));
    CHECK(rel < 0.15, "%s: analytic %.6g numeric %.6g (rel %.3g)", what, analytic, num, rel);
    afree(v);
}

static void run(const char *arch, int side)
{
    fixture_t f = {0};
    f.be = backend_new("cpu", 1);
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
    rng_seed(&f.rng0, 9);

    float *dx = f.be->alloc(f.be, (size_t)B * 3 * 32 * 32);
    loss_at(&f, 1);
    net_backward(f.net, f.x, dx, B);
    float *grad = afloat(f.net->total);
    memcpy(grad, f.net->grad, f.net->total * sizeof(float));
    char what[160];
    for (int p = 0; p < f.net->nparams; p++) {
        const param_t *pr = &f.net->params[p];
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
    backend_t *be = backend_new("cpu", 1);
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

int main(void)
{
    run("basic", 0);
    run("judge", K);
    check_flops();
    return check_done("test_net");
}

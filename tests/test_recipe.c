/* test_recipe.c - the parts of the air recipe that are not options:
 * test-time views and their averaged logits, and the lookahead average. */
#include <string.h>

#include "check.h"
#include "backends/registry.h"
#include "engine/lookahead.h"
#include "model/model.h"
#include "train/train.h"

#define S 32
#define IMG (3 * S * S)

static void fill(float *v, size_t n, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        v[i] = 2.0f * rng_uniform(&r) - 1.0f;
}

/* in(y, x) with PyTorch's reflect padding: -1 -> 1, 32 -> 30 */
static float at(const float *plane, int y, int x)
{
    y = y < 0 ? -y : y > S - 1 ? 2 * (S - 1) - y : y;
    x = x < 0 ? -x : x > S - 1 ? 2 * (S - 1) - x : x;
    return plane[y * S + x];
}

static void test_views(void)
{
    enum { B = 2 };
    float *in = afloat(B * IMG), *out = afloat(B * IMG);
    fill(in, B * IMG, 1);
    int ok = 1;
    for (int dx = -1; dx <= 1; dx++)
        for (int dy = -1; dy <= 1; dy++)
            for (int flip = 0; flip < 2; flip++) {
                tta_view(in, out, B, dx, dy, flip);
                for (int p = 0; p < B * 3; p++)
                    for (int y = 0; y < S; y++)
                        for (int x = 0; x < S; x++)
                            ok &= out[p * S * S + y * S + x] ==
                                  at(in + p * S * S, y + dy, (flip ? S - 1 - x : x) + dx);
            }
    CHECK(ok, "views are shifted, mirrored copies with reflect padding");
    tta_view(in, out, 1, -1, -1, 0);
    CHECK(out[0] == in[1 * S + 1] && out[S * S - 1] == in[(S - 2) * S + S - 2],
          "shift (-1, -1): corner (0, 0) is in(1, 1), (31, 31) is in(30, 30)");
    afree(in);
    afree(out);
}

typedef struct {
    backend_t *be;
    model_t *model;
    train_config_t cfg;     /* zero: no label smoothing */
    trainer_t tr;
    float mean[3], std[3];
} rig_t;

static void rig_open(rig_t *r, int b)
{
    err_t e;
    memset(r, 0, sizeof *r);
    r->be = backend_open("cpu", 2, NULL);
    r->model = model_new(r->be, "air", 10, 3, S, S, b, &e);
    if (!r->model) {
        fprintf(stderr, "model_new: %s\n", e.msg);
        exit(1);
    }
    model_init(r->model, 5);
    for (int c = 0; c < 3; c++)
        r->mean[c] = 0.0f, r->std[c] = 1.0f;
    trainer_init(&r->tr, &r->cfg, r->model, r->mean, r->std);
}

static void rig_close(rig_t *r)
{
    trainer_free(&r->tr);
    model_free(r->model);
    backend_free(r->be);
}

/* Loads images into the trainer as trainer_load would. */
static void load(rig_t *r, const float *x, int b)
{
    memcpy(r->tr.xhost, x, sizeof(float) * IMG * b);
    for (int i = 0; i < b; i++)
        r->tr.labels[i] = i % 10;
    r->be->upload(r->be, r->tr.x, x, (size_t)b * IMG);
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static void test_tta(void)
{
    enum { B = 3, K = 10 };
    rig_t r;
    rig_open(&r, B);
    float *x = afloat(B * IMG), *xf = afloat(B * IMG), *view = afloat(B * IMG);
    float p0[B * K], p1[B * K], p1f[B * K], p2[B * K], p2f[B * K], want[B * K];
    fill(x, B * IMG, 2);
    tta_view(x, xf, B, 0, 0, 1);

    load(&r, x, B);
    stage1_infer(&r.tr, B, 0);
    memcpy(p0, r.tr.probs_host, sizeof p0);
    stage1_infer(&r.tr, B, 1);
    memcpy(p1, r.tr.probs_host, sizeof p1);
    CHECK(max_diff(r.tr.x, x, (size_t)B * IMG) == 0, "the batch is restored after TTA");
    stage1_infer(&r.tr, B, 2);
    memcpy(p2, r.tr.probs_host, sizeof p2);
    load(&r, xf, B);
    stage1_infer(&r.tr, B, 1);
    memcpy(p1f, r.tr.probs_host, sizeof p1f);
    stage1_infer(&r.tr, B, 2);
    memcpy(p2f, r.tr.probs_host, sizeof p2f);
    CHECK(max_diff(p1, p1f, B * K) < 1e-5, "TTA 1 sees a mirrored batch alike (%.2g)",
          max_diff(p1, p1f, B * K));
    CHECK(max_diff(p2, p2f, B * K) < 1e-5, "TTA 2 sees a mirrored batch alike (%.2g)",
          max_diff(p2, p2f, B * K));
    CHECK(max_diff(p0, p1, B * K) > 1e-6 && max_diff(p1, p2, B * K) > 1e-6,
          "the levels differ (%.2g, %.2g)", max_diff(p0, p1, B * K), max_diff(p1, p2, B * K));

    /* level 2 by hand: softmax of the weighted mean of six views' logits */
    static const int views[6][3] = {{0, 0, 0}, {0, 0, 1}, {-1, -1, 0},
                                    {-1, -1, 1}, {1, 1, 0}, {1, 1, 1}};
    static const float w[6] = {0.25f, 0.25f, 0.125f, 0.125f, 0.125f, 0.125f};
    double logit[B * K] = {0};
    for (int v = 0; v < 6; v++) {
        tta_view(x, view, B, views[v][0], views[v][1], views[v][2]);
        r.be->upload(r.be, r.tr.x, view, (size_t)B * IMG);
        const float *l = net_forward(r.model->stage1, r.tr.x, B, 0, 0);
        float host[B * K];
        r.be->download(r.be, host, l, B * K);
        for (int i = 0; i < B * K; i++)
            logit[i] += w[v] * host[i];
    }
    for (int i = 0; i < B; i++) {
        double m = -1e30, z = 0;
        for (int j = 0; j < K; j++)
            m = fmax(m, logit[i * K + j]);
        for (int j = 0; j < K; j++)
            z += exp(logit[i * K + j] - m);
        for (int j = 0; j < K; j++)
            want[i * K + j] = (float)(exp(logit[i * K + j] - m) / z);
    }
    CHECK(max_diff(p2, want, B * K) < 1e-5, "TTA 2 is airbench's weighted mean (%.2g)",
          max_diff(p2, want, B * K));
    afree(x);
    afree(xf);
    afree(view);
    rig_close(&r);
}

/* The lookahead against the formula, step by step, in double. */
static void test_lookahead(void)
{
    rig_t r;
    rig_open(&r, 1);
    net_t *net = r.model->stage1;
    size_t n = net->total;
    enum { T = 12 };
    double *slow = malloc(sizeof(double) * n), *w = malloc(sizeof(double) * n);
    float *host = afloat(n);
    r.be->download(r.be, host, net->data, n);
    for (size_t i = 0; i < n; i++)
        slow[i] = w[i] = host[i];
    lookahead_t la;
    lookahead_init(&la, net, T);
    int moves = 0, ok = 1;
    double worst = 0;
    for (long t = 1; t <= T; t++) {
        /* an "optimizer step": every value moves by a known amount */
        for (size_t i = 0; i < n; i++) {
            w[i] += 0.01 * (double)((i + (size_t)t) % 7) - 0.03;
            host[i] = (float)w[i];
        }
        r.be->upload(r.be, net->data, host, n);
        int moved = lookahead_step(&la, net);
        ok &= moved == (t % LOOKAHEAD_EVERY == 0);
        if (moved) {
            moves++;
            double d = pow(0.95, 5) * pow((double)t / T, 3);
            for (size_t i = 0; i < n; i++)
                w[i] = slow[i] = d * slow[i] + (1 - d) * w[i];
        }
        r.be->download(r.be, host, net->data, n);
        for (size_t i = 0; i < n; i++)
            worst = fmax(worst, fabs(host[i] - w[i]));
    }
    CHECK(ok && moves == T / LOOKAHEAD_EVERY, "moves every %d steps (%d)", LOOKAHEAD_EVERY,
          moves);
    CHECK(worst < 1e-5, "weights follow the formula (worst %.2g)", worst);
    lookahead_finish(&la, net);
    r.be->download(r.be, host, net->data, n);
    worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(host[i] - slow[i]));
    CHECK(worst < 1e-5, "the run ends on the slow weights (worst %.2g)", worst);
    CHECK_NEAR(lookahead_decay(0, 10), 0.0, 0, "decay 0 at the start");
    CHECK_NEAR(lookahead_decay(10, 10), pow(0.95, 5), 1e-12, "0.95^5 at the end");
    CHECK_NEAR(lookahead_decay(5, 10), pow(0.95, 5) / 8, 1e-12, "cubic in between");
    lookahead_free(&la);
    free(slow);
    free(w);
    afree(host);
    rig_close(&r);
}

int main(void)
{
    test_views();
    test_tta();
    test_lookahead();
    return check_done("test_recipe");
}

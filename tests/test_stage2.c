/* test_stage2.c - judge calibration, the combiner and the pooled choice
 * that keeps the judges from ranking worse than MSP (train/stage2.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "base/util.h"
#include "eval/metrics.h"
#include "train/stage2.h"

/* Labels drawn from sigmoid(a z + b) recover (a, b). */
static void test_recovers_logistic(void)
{
    int n = 40000, *right = xmalloc(sizeof(int) * n);
    double *z = xmalloc(sizeof(double) * n), ab[2];
    rng_t rng;
    rng_seed(&rng, 7);
    for (int i = 0; i < n; i++) {
        z[i] = 8.0 * rng_uniform(&rng) - 2.0;
        double s = 1 / (1 + exp(-(1.7 * z[i] - 2.5)));
        right[i] = rng_uniform(&rng) < s;
    }
    judge_calibrate(z, right, n, ab);
    CHECK_NEAR(ab[0], 1.7, 0.08, "slope");
    CHECK_NEAR(ab[1], -2.5, 0.15, "intercept");
    free(z);
    free(right);
}

/* Separable data, all hits, no data: finite answers, the slope positive. */
static void test_degenerate(void)
{
    double z[6] = {-1, -0.5, 0, 1, 2, 3}, ab[2];
    int sep[6] = {0, 0, 0, 1, 1, 1}, all[6] = {1, 1, 1, 1, 1, 1}, anti[6] = {1, 1, 1, 0, 0, 0};
    judge_calibrate(z, sep, 6, ab);
    CHECK(isfinite(ab[0]) && isfinite(ab[1]) && ab[0] > 1, "separable: a %g b %g", ab[0], ab[1]);
    judge_calibrate(z, all, 6, ab);
    CHECK(isfinite(ab[0]) && isfinite(ab[1]) && ab[0] > 0 && ab[1] > 0,
          "all hits: a %g b %g", ab[0], ab[1]);
    judge_calibrate(z, anti, 6, ab);
    CHECK(ab[0] >= 1e-3 && isfinite(ab[1]), "a falling trend keeps a >= 1e-3: a %g", ab[0]);
    judge_calibrate(z, sep, 0, ab);
    CHECK(ab[0] == 1 && ab[1] == 0, "no data gives the prior: a %g b %g", ab[0], ab[1]);
}

/* Labels drawn from sigmoid(w0 + w1 z + w2 m) recover w; a margin that
 * carries nothing gets w2 near 0, never below. */
static void test_combiner(void)
{
    int n = 40000, *right = xmalloc(sizeof(int) * n);
    double *z = xmalloc(sizeof(double) * n), *m = xmalloc(sizeof(double) * n), w[3];
    rng_t rng;
    rng_seed(&rng, 11);
    for (int i = 0; i < n; i++) {
        z[i] = 6.0 * rng_uniform(&rng) - 1.0;
        m[i] = 4.0 * rng_uniform(&rng);
        double s = 1 / (1 + exp(-(-1.0 + 0.6 * z[i] + 1.3 * m[i])));
        right[i] = rng_uniform(&rng) < s;
    }
    judge_fit_combiner(z, m, right, n, w);
    CHECK_NEAR(w[0], -1.0, 0.12, "combiner intercept");
    CHECK_NEAR(w[1], 0.6, 0.06, "combiner z slope");
    CHECK_NEAR(w[2], 1.3, 0.08, "combiner margin slope");
    for (int i = 0; i < n; i++) { /* the margin falls with success: clamped at 0 */
        double s = 1 / (1 + exp(-(0.5 + 1.0 * z[i] - 0.8 * m[i])));
        right[i] = rng_uniform(&rng) < s;
    }
    judge_fit_combiner(z, m, right, n, w);
    CHECK(w[2] == 0 && w[1] > 0.5, "a falling margin slope is held at 0: %g %g %g", w[0], w[1],
          w[2]);
    double cal[3] = {2, -1, 0.5};
    CHECK_NEAR(judge_offset(cal, 1.5, 2), 3.0, 1e-12, "offset a z + b + w m");
    free(z);
    free(m);
    free(right);
}

static void test_margin(void)
{
    float p[4] = {0.1f, 0.6f, 0.2f, 0.1f};
    CHECK_NEAR(top2_margin(p, 4), log(3.0), 1e-6, "log(p1/p2)");
    float q[2] = {1.0f, 0.0f};
    CHECK_NEAR(top2_margin(q, 2), log(1e30), 1e-3, "p2 clamped at 1e-30");
    CHECK(top2_margin(p, 1) == 0, "one class: 0");
}

/* A synthetic validation set: 4 categories, 400 images each, errors
 * where MSP is low (noisily). */
typedef struct {
    int n, y[1600], p[1600], fixed[4];
    double z[1600], m[1600], g[1600], fixed_score[1600], out[1600];
} blend_case_t;

static void make_case(blend_case_t *t, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed);
    t->n = 1600;
    for (int i = 0; i < t->n; i++) {
        int c = i % 4, wrong = rng_uniform(&rng) < 0.15;
        t->p[i] = c;
        t->y[i] = wrong ? (c + 1) % 4 : c;
        t->z[i] = (wrong ? 0.5 : 2.0) + rng_normal(&rng);
        t->m[i] = 1.0 + rng_normal(&rng); /* carries nothing */
        t->fixed_score[i] = 0.5;
    }
    for (int c = 0; c < 4; c++)
        t->fixed[c] = 0;
}

static blend_input_t case_input(const blend_case_t *t)
{
    blend_input_t in = {.n = t->n, .k = 4, .y = t->y, .p = t->p, .z = t->z, .m = t->m,
                        .g = t->g, .fixed_score = t->fixed_score,
                        .fixed = t->fixed, .base = {1.5, 0.2}, .comb = {0.1, 1.4, 0.3}};
    return in;
}

static double pooled_msp_aurc(const blend_case_t *t)
{
    return metrics_aurc(t->n, t->y, t->p, t->z).aurc;
}

/* The guarantee: a judge net trained on noise (g random) never ranks a
 * category's validation images worse than MSP, nor the pool. */
static void test_blend_noise(void)
{
    static blend_case_t t;
    static blend_t b;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        make_case(&t, seed);
        rng_t rng;
        rng_seed(&rng, 100 + seed);
        for (int i = 0; i < t.n; i++)
            t.g[i] = 3.0 * rng_normal(&rng);
        blend_input_t in = case_input(&t);
        judge_blend_select(&in, &b, t.out);
        for (int c = 0; c < 4; c++)
            CHECK(!(b.aurc[c] > b.aurc_msp[c]), "noise, seed %d: category %d AURC %g > MSP %g",
                  (int)seed, c, b.aurc[c], b.aurc_msp[c]);
        double pooled = metrics_aurc(t.n, t.y, t.p, t.out).aurc;
        CHECK(!(pooled > pooled_msp_aurc(&t)), "noise, seed %d: pooled %g > MSP %g", (int)seed,
              pooled, pooled_msp_aurc(&t));
        CHECK_NEAR(pooled, b.pooled, 1e-12, "the scores given are the ones chosen");
        CHECK(b.mu < 1, "noise of this size is not taken whole (mu %g)", b.mu);
    }
}

/* A judge net that sees the errors is taken, and ranks better than MSP. */
static void test_blend_signal(void)
{
    static blend_case_t t;
    static blend_t b;
    make_case(&t, 9);
    for (int i = 0; i < t.n; i++)
        t.g[i] = t.y[i] == t.p[i] ? 1.0 : -1.0;
    blend_input_t in = case_input(&t);
    judge_blend_select(&in, &b, t.out);
    CHECK(b.mu > 0 && b.win >= BLEND_MIN_WIN, "mu %g > 0, won %g", b.mu, b.win);
    CHECK(b.pooled < 0.5 * pooled_msp_aurc(&t), "pooled %g well below MSP %g", b.pooled,
          pooled_msp_aurc(&t));
    for (int c = 0; c < 4; c++)
        CHECK(b.keep[c] == KEEP_TRAINED && b.use[c], "category %d keeps its trained net", c);
    CHECK(b.cal[0][2] == b.lambda * in.comb[2], "the calibration follows lambda");
}

/* A frozen category keeps its scores bit for bit; one the blend would
 * hurt falls back to the shared baseline. */
static void test_blend_fixed_and_fallback(void)
{
    static blend_case_t t;
    static blend_t b;
    make_case(&t, 21);
    for (int i = 0; i < t.n; i++) {
        int right = t.y[i] == t.p[i];
        /* helps categories 0..2, reverses category 3 */
        t.g[i] = (t.p[i] == 3 ? -1.0 : 1.0) * (right ? 2.0 : -2.0);
        t.fixed_score[i] = 0.25 + 0.001 * (i % 7);
    }
    t.fixed[1] = 1;
    blend_input_t in = case_input(&t);
    judge_blend_select(&in, &b, t.out);
    CHECK(b.keep[1] == KEEP_FROZEN, "category 1 is frozen");
    int same = 1;
    for (int i = 0; i < t.n; i++)
        if (t.p[i] == 1 && t.out[i] != t.fixed_score[i])
            same = 0;
    CHECK(same, "the frozen category's scores are unchanged");
    CHECK(!b.use[3] && b.keep[3] == KEEP_SHARED, "category 3 falls back to the shared baseline");
    CHECK(b.cal[3][0] == in.base[0] && b.cal[3][1] == in.base[1] && b.cal[3][2] == 0,
          "with the shared calibration");
    CHECK(b.use[0] && b.keep[0] == KEEP_TRAINED, "category 0 keeps its net");
}

int main(void)
{
    test_recovers_logistic();
    test_degenerate();
    test_combiner();
    test_margin();
    test_blend_noise();
    test_blend_signal();
    test_blend_fixed_and_fallback();
    return check_done("test_stage2");
}

/* test_stage2.c - judge calibration and the per-judge selection that
 * keeps a judge from ranking worse than MSP (train/stage2.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "base/util.h"
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

/* y/p: rows 0..5 assigned to class 0, rows 1 and 4 are errors. */
static void test_select(void)
{
    int rows[6] = {0, 1, 2, 3, 4, 5}, y[6] = {0, 1, 0, 0, 2, 0}, p[6] = {0};
    double msp[6] = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4};          /* errors at ranks 2, 5 */
    double good[6] = {0.9, 0.1, 0.7, 0.6, 0.05, 0.4};        /* errors last */
    double bad[6] = {0.1, 0.9, 0.2, 0.3, 0.8, 0.4};          /* errors first */
    double aurc[3];
    CHECK(judge_select(6, rows, y, p, good, bad, msp, aurc) == KEEP_TRAINED, "better trained wins");
    CHECK(aurc[KEEP_TRAINED] < aurc[KEEP_BASELINE], "its AURC is lower");
    CHECK(judge_select(6, rows, y, p, bad, good, msp, aurc) == KEEP_PREVIOUS, "better previous wins");
    CHECK(judge_select(6, rows, y, p, bad, bad, msp, aurc) == KEEP_BASELINE,
          "worse candidates lose to the baseline");
    CHECK(judge_select(6, rows, y, p, msp, NULL, msp, aurc) == KEEP_BASELINE,
          "a tie goes to the baseline");
    CHECK(isnan(aurc[KEEP_PREVIOUS]), "no previous: NaN");
    CHECK(judge_select(0, rows, y, p, bad, NULL, msp, aurc) == KEEP_TRAINED,
          "no images: keep what trained");
}

/* Two categories: category 1's own scores put its errors last but on a
 * scale that ranks all of it above category 0's hits, which costs the
 * pooled ranking; category 0's own scores only help. */
static void test_pool_select(void)
{
    int y[8] = {0, 0, 0, 1, 1, 1, 1, 1}, p[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    double shared[8] = {0.9, 0.8, 0.7, 0.75, 0.6, 0.5, 0.4, 0.3};
    double own[8] = {0.9, 0.8, 0.7, 0.1, 0.99, 0.98, 0.97, 0.96};
    y[3] = 2;                                /* an error of category 0 */
    y[7] = 0;                                /* an error of category 1 */
    int fixed[2] = {0, 0}, order[2] = {0, 1}, use[2];
    double out[8];
    judge_pool_select(8, 2, y, p, own, shared, fixed, order, use, out);
    CHECK(use[0] == 1, "category 0's own scores help the pooled ranking");
    CHECK(use[1] == 0, "then category 1's own scale would hurt it: shared kept");
    CHECK(out[3] == 0.1 && out[7] == 0.3, "the pooled scores follow: %g %g", out[3], out[7]);
    int fix1[2] = {0, 1};
    judge_pool_select(8, 2, y, p, own, shared, fix1, order, use, out);
    CHECK(use[1] == 1 && out[7] == 0.96, "a fixed category keeps its own scores");
}

int main(void)
{
    test_pool_select();
    test_recovers_logistic();
    test_degenerate();
    test_select();
    return check_done("test_stage2");
}

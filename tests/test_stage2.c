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

int main(void)
{
    test_recovers_logistic();
    test_degenerate();
    test_select();
    return check_done("test_stage2");
}

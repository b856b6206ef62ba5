/* stage2.h - what keeps a judge from ranking worse than Stage 1's softmax.
 *
 * Judge c scores an image Stage 1 assigned to c as
 *     s = sigmoid(a_c z + b_c + w_c m + g_c(x)),   z = logit(MSP),
 * where MSP is Stage 1's maximum softmax probability (of the test-time
 * views' mean logits when TTA is on), m Stage 1's top-2 logit margin
 * (log p1/p2) and g_c the judge net, whose output layer starts at zero.
 * (a_c, b_c, w_c) are calibrations: "cal" below, three numbers.
 *
 * Each epoch, on the judge split (held out from Stage 1): the shared
 * baseline sigmoid(a z + b) (one fit to the whole split: MSP's own
 * ranking, as a probability) and the combiner sigmoid(w0 + w1 z + w2 m)
 * (one fit, pooled over the categories). The judge nets g_c train on top
 * of the combiner. Then on the validation split a few pooled decisions,
 * not ten per-category ones (those overfit ~500 validation images each):
 * lambda, how far to move from the baseline towards the combiner, and mu,
 * how much of the judge nets to add,
 *     u = (1 - lambda)(a z + b) + lambda (w0 + w1 z + w2 m) + mu g_c(x),
 * each from a small grid that starts at 0. For every candidate, a
 * category whose validation AURC under u would be worse than MSP's falls
 * back to the shared baseline (g_c = 0); the candidate with the lowest
 * pooled validation AURC wins, ties to the earliest (lambda = mu = 0:
 * exactly MSP's ranking). So neither any category's validation AURC nor
 * the pooled one is worse than MSP's (frozen judges aside).
 */
#ifndef MSCNN_STAGE2_H
#define MSCNN_STAGE2_H

#include "data/dataset.h"

/* Fits (a, b) of sigmoid(a z + b) to right[i] (0/1) by Newton's method on
 * the log loss with a weak prior pulling towards a = 1, b = 0 (so a
 * category with no errors, or no hits, still gets a finite answer); a is
 * kept at least 1e-3, so the calibrated score rises with MSP. */
void judge_calibrate(const double *z, const int *right, int n, double ab[2]);

/* Fits w of sigmoid(w0 + w1 z + w2 m) the same way (the prior pulls
 * towards 0, 1, 0); w1 and w2 are kept at least 0, so the score never
 * falls as MSP or the margin rises. */
void judge_fit_combiner(const double *z, const double *m, const int *right, int n, double w[3]);

/* Stage 1's top-2 logit margin from its probabilities (k >= 2):
 * log(p1 / p2), the second clamped at 1e-30; 0 when k < 2. */
double top2_margin(const float *probs, int k);

/* cal[0] z + cal[1] + cal[2] m: the calibrated offset the judge net adds
 * to; judge_baseline_score is its sigmoid at z = logit(msp). */
double judge_offset(const double cal[3], double z, double m);
double judge_baseline_score(const double cal[3], double msp, double m);

/* What a judge keeps after an epoch (judge_blend_select). */
typedef enum { KEEP_TRAINED, KEEP_POOLED, KEEP_FROZEN, KEEP_SHARED } judge_keep_t;
/* "trained" (the blend plus the judge net, scaled by mu), "pooled" (the
 * blend, g = 0), "frozen", "shared" (the shared baseline) */
extern const char *const judge_keep_names[];

/* The validation images and what they were scored with. */
typedef struct {
    int n, k;
    const int *y, *p;          /* labels, Stage 1's predictions (0..k-1) */
    const double *z, *m;       /* logit(MSP), top-2 margin */
    const double *g;           /* the judge net's addition g_c(x) */
    const double *fixed_score; /* the scores of fixed (frozen) categories */
    const int *fixed;          /* (k) 1: category keeps fixed_score */
    double base[2];            /* shared baseline a, b */
    double comb[3];            /* combiner w0, w1, w2 */
} blend_input_t;

typedef struct {
    double lambda, mu;
    int use[DATASET_MAX_CLASSES];       /* 1: the blend, 0: fell back */
    double cal[DATASET_MAX_CLASSES][3]; /* each category's new calibration */
    double aurc[DATASET_MAX_CLASSES];   /* validation AURC of what it keeps */
    double aurc_msp[DATASET_MAX_CLASSES]; /* and of MSP */
    double pooled, pooled_msp;          /* pooled validation AURC, kept and MSP */
    double win;                         /* the nets' bootstrap win share, NaN
                                           when they were no better at all */
    judge_keep_t keep[DATASET_MAX_CLASSES];
} blend_t;

/* The judge nets (mu > 0) are kept only when the best candidate with them
 * beats the best without them on at least this share of paired bootstrap
 * resamples of the validation images: one pooled decision, and a robust
 * one (the nets' gains on ~500 validation errors are often noise). */
#define BLEND_MIN_WIN 0.95

/* The grid search above; out (n) gets the chosen scores.
 * k <= DATASET_MAX_CLASSES. */
void judge_blend_select(const blend_input_t *in, blend_t *b, double *out);

#endif

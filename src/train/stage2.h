/* stage2.h - what keeps a judge from ranking worse than Stage 1's softmax.
 *
 * Judge c scores an image Stage 1 assigned to c as
 *     s = sigmoid(a_c z + b_c + g_c(x)),   z = logit(MSP),
 * where MSP is Stage 1's maximum softmax probability (of the test-time
 * views' mean logits when TTA is on) and g_c is the judge net, whose
 * output layer starts at zero. a_c and b_c are fitted to the judge split
 * before g_c trains (so an untrained judge is a calibrated MSP: the same
 * ranking within its category, a probability across categories), and
 * after each epoch each judge keeps whichever of its trained weights, its
 * weights from before the epoch and g_c = 0 ranks its validation images
 * best (lowest AURC). With a_c > 0, g_c = 0 ranks exactly as MSP does, so
 * a judge's validation AURC is never worse than MSP's on its category.
 *
 * Per-category calibrations re-rank images across categories, which can
 * rank the pooled images worse than MSP. So, last, every judge starts
 * from one shared baseline sigmoid(a z + b) (fitted to the whole pool:
 * the same ranking as MSP), and the categories' own choices come back one
 * by one, largest validation gain first, each kept only when the pooled
 * validation AURC does not rise: neither the per-category nor the pooled
 * validation AURC is worse than MSP's (frozen judges aside).
 */
#ifndef MSCNN_STAGE2_H
#define MSCNN_STAGE2_H

/* Fits (a, b) of sigmoid(a z + b) to right[i] (0/1) by Newton's method on
 * the log loss with a weak prior pulling towards a = 1, b = 0 (so a
 * category with no errors, or no hits, still gets a finite answer); a is
 * kept at least 1e-3, so the calibrated score rises with MSP. */
void judge_calibrate(const double *z, const int *right, int n, double ab[2]);

/* The calibrated baseline sigmoid(a z + b), z = logit(msp), ab = {a, b}. */
double judge_baseline_score(const double ab[2], double msp);

/* What a judge keeps after an epoch (judge_select). */
typedef enum { KEEP_TRAINED, KEEP_PREVIOUS, KEEP_BASELINE, KEEP_FROZEN, KEEP_SHARED } judge_keep_t;
/* "trained", "previous", "baseline", "frozen", "shared" (the shared baseline) */
extern const char *const judge_keep_names[];

/* The candidate with the lowest AURC of the m images rows[0..m) (of
 * y, p): scores trained, previous (NULL when there is none) and the
 * baseline msp. Ties go to the baseline, then to previous. aurc[3] gets
 * each candidate's raw AURC (NaN when absent or m == 0). */
judge_keep_t judge_select(int m, const int *rows, const int *y, const int *p,
                          const double *trained, const double *previous, const double *msp,
                          double aurc[3]);

/* The pooled step: n images (y, p in 0..k-1); own[i] is image i's score
 * under its category's own choice, shared[i] under the shared baseline.
 * Categories with fixed[c] keep own. Starting from shared for the rest,
 * the categories order[0..k) (a permutation) take their own scores one
 * at a time, kept when the pooled AURC does not rise. use[c] = 1 where
 * own is kept (always for fixed ones); out (n) gets the pooled scores. */
void judge_pool_select(int n, int k, const int *y, const int *p, const double *own,
                       const double *shared, const int *fixed, const int *order, int *use,
                       double *out);

#endif

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
 */
#ifndef MSCNN_STAGE2_H
#define MSCNN_STAGE2_H

/* Fits (a, b) of sigmoid(a z + b) to right[i] (0/1) by Newton's method on
 * the log loss with a weak prior pulling towards a = 1, b = 0 (so a
 * category with no errors, or no hits, still gets a finite answer); a is
 * kept at least 1e-3, so the calibrated score rises with MSP. */
void judge_calibrate(const double *z, const int *right, int n, double ab[2]);

/* What a judge keeps after an epoch (judge_select). */
typedef enum { KEEP_TRAINED, KEEP_PREVIOUS, KEEP_BASELINE, KEEP_FROZEN } judge_keep_t;
extern const char *const judge_keep_names[]; /* "trained", "previous", "baseline", "frozen" */

/* The candidate with the lowest AURC of the m images rows[0..m) (of
 * y, p): scores trained, previous (NULL when there is none) and the
 * baseline msp. Ties go to the baseline, then to previous. aurc[3] gets
 * each candidate's raw AURC (NaN when absent or m == 0). */
judge_keep_t judge_select(int m, const int *rows, const int *y, const int *p,
                          const double *trained, const double *previous, const double *msp,
                          double aurc[3]);

#endif

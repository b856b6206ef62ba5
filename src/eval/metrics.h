/* metrics.h - the two-stage classifier's metrics (DESIGN.md section 3).
 *
 * Conventions for every function here:
 * - K is the number of Stage 1 classes; OTHER is the index K, so final
 *   outputs and 11-way targets take values 0..K.
 * - y[i] (truth) and p[i] (Stage 1 prediction) are in 0..K-1; a sample is a
 *   Stage 1 "hit" when p[i] == y[i].
 * - Scores and thresholds are doubles. A sample is accepted when
 *   score >= tau[p] (a NaN score is never accepted).
 * - Input arrays are borrowed (read only, never kept) unless a comment says
 *   otherwise; output arrays are caller-owned and sized as documented.
 * - Functions are pure: no I/O except the print functions (which write only
 *   to the FILE * they are given) and no global state. Temporary buffers are
 *   allocated with xmalloc (abort on out-of-memory) and freed before return.
 * - An empty input (n == 0) gives NaN for every rate.
 */
#ifndef MSCNN_METRICS_H
#define MSCNN_METRICS_H

#include <stdio.h>

/* ---- final outputs and 11-way targets --------------------------------- */

/* o[i] = p[i] if score[i] >= tau[p[i]] else K. tau has K entries. */
void metrics_outputs(int n, int K, const int *p, const double *score, const double *tau,
                     int *o);

/* t[i] = y[i] if p[i] == y[i] else K. */
void metrics_targets(int n, int K, const int *y, const int *p, int *t);

/* ---- summary ----------------------------------------------------------- */

typedef struct {
    int n, K;
    double stage1_acc;    /* mean(p == y) */
    double acc11;         /* mean(o == t) */
    double always_other;  /* baseline: 1 - stage1_acc */
    double never_other;   /* baseline: stage1_acc */
    long accepted;        /* count(o != OTHER) */
    double coverage;      /* accepted / n */
    int none_accepted;    /* 1 when accepted == 0: sel_acc is then 0 by definition */
    double sel_acc;       /* mean(p == y | accepted), 0 when none accepted */
    double sel_risk;      /* 1 - sel_acc */
    /* (K+1)x(K+1) row-major counts: confusion[t * (K+1) + o]. Owned by the
     * summary: allocated by metrics_summary(), freed by metrics_summary_free(). */
    long *confusion;
} metrics_summary_t;

/* Fills *m from truth, Stage 1 predictions and final outputs o (0..K). */
void metrics_summary(int n, int K, const int *y, const int *p, const int *o,
                     metrics_summary_t *m);
void metrics_summary_free(metrics_summary_t *m);

/* ---- risk-coverage, AURC, E-AURC --------------------------------------- */

typedef struct {
    double aurc;      /* raw mean of risk_k (the caller reports x1000) */
    double aurc_star; /* r + (1 - r) ln(1 - r), r = Stage 1 error rate */
    double eaurc;     /* aurc - aurc_star */
} metrics_aurc_t;

/* The optimal AURC for error rate r in [0, 1]: 0 at r = 0 and 1 at r = 1. */
double metrics_aurc_star(double r);

/* Samples sorted by kappa descending, ties by index ascending (NaN counts as
 * the lowest confidence); risk_k = errors among the first k / k; AURC = the
 * mean over k = 1..n. */
metrics_aurc_t metrics_aurc(int n, const int *y, const int *p, const double *kappa);

/* The curve behind metrics_aurc(): coverage[k-1] = k/n and risk[k-1] =
 * risk_k for k = 1..n. Both arrays are caller-owned, n entries each. */
void metrics_rc_curve(int n, const int *y, const int *p, const double *kappa,
                      double *coverage, double *risk);

/* ---- AUROC -------------------------------------------------------------- */

/* AUROC of score for telling Stage 1 hits (positive) from errors (negative),
 * identical to sklearn.metrics.roc_auc_score(p == y, score): the Mann-Whitney
 * statistic with average ranks (a tie counts 1/2). NaN when the samples hold
 * only hits or only errors (or n == 0), and NaN when any score is NaN. */
double metrics_auroc(int n, const int *y, const int *p, const double *score);

/* The same per category: auroc[c] over the samples with p == c (NaN where
 * that group lacks hits or errors). auroc is caller-owned, K entries. */
void metrics_auroc_per_class(int n, int K, const int *y, const int *p, const double *score,
                             double *auroc);

/* ---- known against unseen (DESIGN.md section 3, unseen kinds) ------------ */

/* AUROC of telling the positives pos[0..npos) from the negatives
 * neg[0..nneg) by score: the probability that a random positive scores
 * above a random negative, a tie counting 1/2 (the Mann-Whitney statistic;
 * sklearn's roc_auc_score on the two sets). NaN when a set is empty or a
 * score is NaN. */
double metrics_auroc_sets(int npos, const double *pos, int nneg, const double *neg);

/* The false positive rate at true positive rate tpr (0.95 for "FPR at 95 %
 * TPR"): the share of negatives accepted by the highest threshold t that
 * accepts at least ceil(tpr * npos) positives, a sample being accepted when
 * score >= t. Ties: t is a positive's score, and every negative that equals
 * it counts as accepted (so a tie is never in the detector's favour). The
 * same as the first point with TPR >= tpr of sklearn's roc_curve(...,
 * drop_intermediate=False). NaN when a set is empty, a score is NaN or tpr
 * is outside (0, 1]. */
double metrics_fpr_at_tpr(int npos, const double *pos, int nneg, const double *neg,
                          double tpr);

/* ---- classification report over K + 1 classes --------------------------- */

typedef struct {
    double precision, recall, f1;
    long support;
} metrics_prf_t;

/* Numerically the same as sklearn's classification_report(t, o,
 * labels=range(K+1), zero_division=0, output_dict=True); t and o hold
 * values in 0..K (metrics_targets / metrics_outputs). F1 is 2tp / (true +
 * predicted), as sklearn computes it. */
typedef struct {
    int nclass;         /* K + 1 */
    metrics_prf_t *cls; /* nclass entries, owned (metrics_report_free) */
    double accuracy;
    metrics_prf_t macro;    /* support = n */
    metrics_prf_t weighted; /* support = n */
} metrics_report_t;

void metrics_report(int n, int K, const int *t, const int *o, metrics_report_t *r);
void metrics_report_free(metrics_report_t *r);

/* Prints r in sklearn's text layout with 4 digits. names has K entries (the
 * class names); the last row is labelled "OTHER". */
void metrics_report_print(FILE *fp, const metrics_report_t *r, const char *const *names);

/* Prints the (K+1)x(K+1) confusion matrix (rows: target t, columns: output
 * o) with short column headers taken from names (K entries, then OTHER). */
void metrics_confusion_print(FILE *fp, int K, const long *confusion,
                             const char *const *names);

/* ---- paired comparison ------------------------------------------------- */

/* The exact McNemar test of two classifiers on the same samples: b samples
 * only the first gets right, c only the second. The two-sided p-value
 * min(1, 2 P(X <= min(b, c))), X ~ Binomial(b + c, 1/2); 1 when b + c = 0. */
double metrics_mcnemar_exact(long b, long c);

/* ---- score cache: instant re-thresholding ----------------------------- */

/* Built once from the validation split; afterwards score_cache_eval() costs
 * O(K log n) and allocates nothing. Every array is owned by the cache and
 * read only for users (threshold.c walks them). */
typedef struct {
    int n, K;
    long n_correct;   /* Stage 1 hits */
    /* Samples grouped by Stage 1 prediction, category c at positions
     * [start[c], start[c+1]), each group sorted by score ascending (NaN
     * first, then ties by original index). */
    int *start;          /* K + 1 entries */
    double *s;           /* n scores in that order */
    unsigned char *hit;  /* n flags: 1 when p == y */
    long *cum_hit;       /* n + 1 prefix sums of hit */
    double max_score;    /* largest finite score, or -inf when none */
    /* The same samples sorted by score ascending regardless of category,
     * for global thresholds. */
    double *gs;
    unsigned char *ghit;
    long *gcum_hit;      /* n + 1 prefix sums of ghit */
    /* Computed once at build time. msp_* are NaN when msp was NULL. */
    metrics_aurc_t aurc_score, aurc_msp;
    double auroc_score, auroc_msp;
} score_cache_t;

/* y, p, score: n entries; msp may be NULL. Copies what it needs. */
void score_cache_build(score_cache_t *sc, int n, int K, const int *y, const int *p,
                       const double *msp, const double *score);
void score_cache_free(score_cache_t *sc);

typedef struct {
    long accepted;
    double coverage;
    int none_accepted; /* sel_acc is 0 by definition when set */
    double sel_acc, sel_risk;
    double acc11;
} score_eval_t;

/* Evaluates thresholds tau (K entries). precision and recall, when not NULL,
 * receive the K + 1 per-class values of the 11-way report (zero division
 * gives 0), as metrics_report() would compute them. */
void score_cache_eval(const score_cache_t *sc, const double *tau, score_eval_t *ev,
                      double *precision, double *recall);

/* Number of accepted samples, and hits among them, in category c at tau_c
 * (O(log n)). */
long score_cache_accepted(const score_cache_t *sc, int c, double tau_c, long *hits);

/* The same over all categories at one global tau (O(log n)). */
long score_cache_accepted_global(const score_cache_t *sc, double tau, long *hits);

#endif

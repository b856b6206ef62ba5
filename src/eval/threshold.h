/* threshold.h - choosing tau on validation scores (DESIGN.md section 4).
 *
 * Rules (spec strings as given to --tune_threshold):
 *   "accuracy"            maximise the 11-way accuracy. Candidates are the
 *                         distinct finite scores plus one reject-all value;
 *                         ties in the objective go to the LOWER tau (more
 *                         coverage).
 *   "coverage=C"          the highest tau whose coverage is >= C (0 <= C <= 1),
 *                         i.e. the smallest coverage that reaches C.
 *   "risk=R[,delta=D]"    SGR (Geifman & El-Yaniv 2017): binary search over
 *                         the sorted scores in k = ceil(log2 m) steps (at
 *                         least 1), each tested at delta' = D / k with the
 *                         exact binomial upper bound b* on the selective risk
 *                         (BinCDF(errors; accepted, b*) = delta'); the lowest
 *                         tested tau with b* <= R wins. With probability at
 *                         least 1 - D the true selective risk is below b*.
 *                         0 < R <= 1, 0 < D < 1, D defaults to 0.001. When no
 *                         tested tau meets R the rule is "not met" and
 *                         reject-all is chosen.
 * Any of them may end in ",per_category" (or the caller sets per_category):
 * then each category c gets its own tau_c chosen by the rule on the
 * validation samples Stage 1 predicted as c. The 11-way accuracy decomposes
 * over categories, so "accuracy" maximises the total; "coverage" gives each
 * category coverage >= C among its own predictions; "risk" bounds each
 * category's selective risk at confidence 1 - D separately (all K at once
 * hold with probability >= 1 - K*D by the union bound).
 * A category with no validation predictions gets the global choice under
 * "accuracy" and "coverage", and reject-all (rule not met: no evidence)
 * under "risk".
 *
 * Accepting means score >= tau. The reject-all value is the double just above
 * max(1, largest score).
 */
#ifndef MSCNN_THRESHOLD_H
#define MSCNN_THRESHOLD_H

#include <stddef.h>

#include "eval/metrics.h"
#include "base/util.h"

#define TH_DEFAULT_DELTA 0.001

typedef enum { TH_RULE_ACCURACY, TH_RULE_COVERAGE, TH_RULE_RISK } th_rule_t;

typedef struct {
    th_rule_t rule;
    double target;    /* C for coverage, R for risk; 0 for accuracy */
    double delta;     /* SGR delta (risk rule only); TH_DEFAULT_DELTA otherwise */
    int per_category; /* 1: one tau per category */
} th_spec_t;

/* Parses a spec string (see above) into *spec; 0, or -1 with e naming the
 * string and what was expected. */
int threshold_parse(const char *s, th_spec_t *spec, err_t *e);

/* The canonical spec string (parseable again), e.g.
 * "risk=0.02,delta=0.001,per_category". Truncates to len like snprintf. */
void threshold_format(const th_spec_t *spec, char *buf, size_t len);

/* The outcome in one scope (all samples, or one category's predictions). */
typedef struct {
    double tau;        /* the chosen threshold */
    int met;           /* 0 when the rule could not be met (reject-all chosen) */
    long n;            /* validation samples in scope */
    long accepted;
    double coverage;   /* accepted / n (NaN when n == 0) */
    double risk;       /* selective risk on validation; 1 when none accepted
                        * (selective accuracy is 0 then, as in metrics.h) */
    double acc11;      /* 11-way accuracy within the scope */
    double bound;      /* risk rule: b* at the chosen tau; NaN otherwise,
                        * and NaN when reject-all was chosen */
    double best_bound; /* risk rule: lowest b* among the tested taus (tells
                        * how far an unmet target was); NaN otherwise */
    double delta_step; /* risk rule: delta / steps; NaN otherwise */
    int steps;         /* risk rule: number of binary search steps */
} th_choice_t;

/* Chooses thresholds on the cached validation scores. tau: K entries,
 * caller-owned, written. overall (not NULL) summarises the result over all
 * samples: for a global rule it is that rule's choice with its bound; per
 * category it holds coverage/risk/acc11 at the tau vector (bound NaN, met =
 * all categories met). per_cat: K entries or NULL; gets each category's
 * choice (for a global rule: the category's own figures at the global tau).
 * Returns the number of scopes (1 for a global rule, categories when per
 * category) where the rule was not met; 0 when all were met. */
int threshold_tune(const score_cache_t *sc, const th_spec_t *spec, double *tau,
                   th_choice_t *overall, th_choice_t *per_cat);

/* The reject-all threshold for these scores. */
double threshold_reject_all(const score_cache_t *sc);

/* P(X <= k) for X ~ Binomial(n, p), by log-sum-exp of the terms. */
double binom_cdf(long k, long n, double p);

/* The exact (Clopper-Pearson) upper bound: the b with
 * binom_cdf(errors, n, b) = delta, found by bisection; 1 when errors >= n.
 * Returned from above: binom_cdf(errors, n, result) <= delta. */
double binom_upper_bound(long errors, long n, double delta);

#endif

/* threshold.c - choosing tau on validation scores; see threshold.h. */
#include "eval/threshold.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- binomial tail and the exact upper bound ---------------------------- */

/* log of the Binomial(n, p) probability of exactly j. */
static double log_binom_term(long j, long n, double p)
{
    return lgamma((double)n + 1.0) - lgamma((double)j + 1.0) - lgamma((double)(n - j) + 1.0) +
           (double)j * log(p) + (double)(n - j) * log1p(-p);
}

/* Sums the terms j = j0 .. 0 and j0 .. k relative to term(j0), which is the
 * largest term with j <= k (the terms fall off monotonically on each side). */
static double sum_relative(long j0, long k, long n, double p)
{
    double odds = p / (1.0 - p), sum = 1.0, t = 1.0;
    for (long j = j0; j > 0; j--) {
        t *= (double)j / ((double)(n - j + 1) * odds);
        sum += t;
        if (t < sum * 1e-17)
            break;
    }
    t = 1.0;
    for (long j = j0; j < k; j++) {
        t *= (double)(n - j) / (double)(j + 1) * odds;
        sum += t;
        if (t < sum * 1e-17)
            break;
    }
    return sum;
}

double binom_cdf(long k, long n, double p)
{
    if (isnan(p))
        return NAN;
    if (k < 0)
        return 0.0;
    if (k >= n || p <= 0.0)
        return 1.0;
    if (p >= 1.0)
        return 0.0;
    long mode = (long)floor((double)(n + 1) * p);
    long j0 = mode < k ? mode : k;
    double v = exp(log_binom_term(j0, n, p) + log(sum_relative(j0, k, n, p)));
    return v < 1.0 ? v : 1.0;
}

double binom_upper_bound(long errors, long n, double delta)
{
    if (n <= 0 || errors >= n)
        return 1.0;
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 2000; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (binom_cdf(errors, n, mid) > delta)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* ---- spec strings ------------------------------------------------------- */

#define SPEC_EXPECTED                                                                    \
    "expected accuracy, coverage=C (0 <= C <= 1) or risk=R[,delta=D] (0 < R <= 1, "    \
    "0 < D < 1), optionally followed by ,per_category"

/* Parses "name=value" when tok starts with name=; 1 parsed, 0 not this name,
 * -1 bad value. */
static int keyed_value(const char *tok, const char *name, double *v)
{
    size_t len = strlen(name);
    if (strncmp(tok, name, len) || tok[len] != '=')
        return 0;
    return parse_float(tok + len + 1, -INFINITY, INFINITY, v) ? -1 : 1;
}

static int parse_rule(const char *s, const char *tok, th_spec_t *spec, err_t *e)
{
    double v;
    int r;
    if (!strcmp(tok, "accuracy")) {
        spec->rule = TH_RULE_ACCURACY;
        return 0;
    }
    if ((r = keyed_value(tok, "coverage", &v))) {
        if (r < 0 || !(v >= 0.0 && v <= 1.0))
            return err_set(e, "threshold rule '%s': in '%s' the coverage must be a number "
                              "from 0 to 1", s, tok);
        spec->rule = TH_RULE_COVERAGE;
        spec->target = v;
        return 0;
    }
    if ((r = keyed_value(tok, "risk", &v))) {
        if (r < 0 || !(v > 0.0 && v <= 1.0))
            return err_set(e, "threshold rule '%s': in '%s' the risk must be a number "
                              "above 0 and at most 1", s, tok);
        spec->rule = TH_RULE_RISK;
        spec->target = v;
        return 0;
    }
    return err_set(e, "threshold rule '%s': unknown rule '%s'; " SPEC_EXPECTED, s, tok);
}

/* One option after the rule; seen tracks duplicates (bit 0 delta, 1 per_category). */
static int parse_option(const char *s, const char *tok, th_spec_t *spec, int *seen, err_t *e)
{
    double v;
    int r = keyed_value(tok, "delta", &v);
    if (r) {
        if (spec->rule != TH_RULE_RISK)
            return err_set(e, "threshold rule '%s': delta applies only to risk=R", s);
        if (*seen & 1)
            return err_set(e, "threshold rule '%s': delta given twice", s);
        if (r < 0 || !(v > 0.0 && v < 1.0))
            return err_set(e, "threshold rule '%s': in '%s' delta must be a number "
                              "strictly between 0 and 1", s, tok);
        spec->delta = v;
        *seen |= 1;
        return 0;
    }
    if (!strcmp(tok, "per_category")) {
        if (*seen & 2)
            return err_set(e, "threshold rule '%s': per_category given twice", s);
        spec->per_category = 1;
        *seen |= 2;
        return 0;
    }
    return err_set(e, "threshold rule '%s': unknown option '%s'; " SPEC_EXPECTED, s, tok);
}

int threshold_parse(const char *s, th_spec_t *spec, err_t *e)
{
    th_spec_t out = {TH_RULE_ACCURACY, 0.0, TH_DEFAULT_DELTA, 0};
    if (!s || !*s)
        return err_set(e, "threshold rule is empty; " SPEC_EXPECTED);
    char *buf = xstrdup(s), *tok = buf;
    int seen = 0, rc = 0;
    for (int first = 1; rc == 0; first = 0) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = 0;
        if (!*tok)
            rc = err_set(e, "threshold rule '%s': empty item; " SPEC_EXPECTED, s);
        else
            rc = first ? parse_rule(s, tok, &out, e) : parse_option(s, tok, &out, &seen, e);
        if (!comma)
            break;
        tok = comma + 1;
    }
    free(buf);
    if (rc == 0)
        *spec = out;
    return rc;
}

/* Shortest "%.*g" text that reads back as v. */
static void short_double(char *buf, size_t len, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void threshold_format(const th_spec_t *spec, char *buf, size_t len)
{
    char a[40] = "", b[40] = "";
    short_double(a, sizeof a, spec->target);
    short_double(b, sizeof b, spec->delta);
    const char *pc = spec->per_category ? ",per_category" : "";
    if (spec->rule == TH_RULE_ACCURACY)
        snprintf(buf, len, "accuracy%s", pc);
    else if (spec->rule == TH_RULE_COVERAGE)
        snprintf(buf, len, "coverage=%s%s", a, pc);
    else
        snprintf(buf, len, "risk=%s,delta=%s%s", a, b, pc);
}

/* ---- scopes: one ascending run of cached scores ------------------------- */

typedef struct {
    const double *s; /* ascending, NaN first */
    const long *cum; /* prefix sums of hits, indexed like s (+1) */
    int lo, hi;      /* the scope is [lo, hi) */
    int first;       /* first finite-or-infinite (non-NaN) position */
} scope_t;

/* First position in [lo, hi) whose score is >= tau (hi when none). */
static int lower_pos(const double *s, int lo, int hi, double tau)
{
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (s[mid] >= tau)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static scope_t make_scope(const double *s, const long *cum, int lo, int hi)
{
    scope_t sp = {s, cum, lo, hi, lower_pos(s, lo, hi, -INFINITY)};
    return sp;
}

static long hits_from(const scope_t *sp, int f)
{
    return sp->cum[sp->hi] - sp->cum[f];
}

/* Hits accepted from position f plus errors rejected before it. */
static long correct11(const scope_t *sp, int f)
{
    long rej = f - sp->lo, rej_hits = sp->cum[f] - sp->cum[sp->lo];
    return hits_from(sp, f) + (rej - rej_hits);
}

/* 1 when position f starts a run of equal scores (a candidate tau). */
static int run_start(const scope_t *sp, int f)
{
    return f == sp->first || sp->s[f - 1] != sp->s[f];
}

static double tau_at(const scope_t *sp, int f, double reject)
{
    return f < sp->hi ? sp->s[f] : reject;
}

/* Fills the validation figures of choice ch for acceptance from position f. */
static void scope_stats(const scope_t *sp, int f, th_choice_t *ch)
{
    long n = sp->hi - sp->lo, acc = sp->hi - f, h = hits_from(sp, f);
    double dn = n > 0 ? (double)n : NAN;
    ch->n = n;
    ch->accepted = acc;
    ch->coverage = (double)acc / dn;
    ch->risk = acc ? 1.0 - (double)h / (double)acc : 1.0;
    ch->acc11 = (double)correct11(sp, f) / dn;
}

static void choice_init(th_choice_t *ch)
{
    memset(ch, 0, sizeof *ch);
    ch->met = 1;
    ch->bound = ch->best_bound = ch->delta_step = NAN;
}

/* ---- the rules: each returns the accepted start position ---------------- */

/* Maximum 11-way accuracy; ties to the lowest tau (candidates ascending,
 * strict improvement only; reject-all comes last). */
static int rule_accuracy(const scope_t *sp)
{
    int best = sp->hi;
    long best_obj = -1;
    for (int f = sp->first; f <= sp->hi; f++) {
        if (f < sp->hi && !run_start(sp, f))
            continue;
        long obj = correct11(sp, f);
        if (obj > best_obj) {
            best_obj = obj;
            best = f;
        }
    }
    return best;
}

/* Highest tau whose coverage >= C; *met = 0 (and all accepted) if none. */
static int rule_coverage(const scope_t *sp, double C, int *met)
{
    double n = (double)(sp->hi - sp->lo);
    for (int f = sp->hi; f >= sp->first; f--) {
        if (f < sp->hi && !run_start(sp, f))
            continue;
        if ((double)(sp->hi - f) / n >= C)
            return f;
    }
    *met = 0;
    return sp->first;
}

/* ceil(log2 m), at least 1. */
static int sgr_steps(long m)
{
    int k = 0;
    while (k < 62 && (1L << k) < m)
        k++;
    return k > 0 ? k : 1;
}

/* SGR binary search over the m non-NaN sorted scores (1-based z). */
static int rule_risk(const scope_t *sp, double R, double delta, th_choice_t *ch)
{
    long m = sp->hi - sp->first;
    int best = sp->hi;
    ch->met = 0;
    if (m <= 0)
        return best;
    ch->steps = sgr_steps(m);
    ch->delta_step = delta / ch->steps;
    long zmin = 1, zmax = m;
    for (int i = 0; i < ch->steps; i++) {
        long z = (zmin + zmax + 1) / 2;
        int f = lower_pos(sp->s, sp->lo, sp->hi, sp->s[sp->first + z - 1]);
        long acc = sp->hi - f, err = acc - hits_from(sp, f);
        double b = binom_upper_bound(err, acc, ch->delta_step);
        if (!(ch->best_bound <= b))
            ch->best_bound = b;
        if (b <= R) {
            if (f < best) {
                best = f;
                ch->bound = b;
            }
            ch->met = 1;
            zmax = z;
        } else {
            zmin = z;
        }
    }
    return best;
}

/* Applies spec's rule in one non-empty scope. */
static void choose(const scope_t *sp, const th_spec_t *spec, double reject, th_choice_t *ch)
{
    choice_init(ch);
    int f;
    if (spec->rule == TH_RULE_ACCURACY)
        f = rule_accuracy(sp);
    else if (spec->rule == TH_RULE_COVERAGE)
        f = rule_coverage(sp, spec->target, &ch->met);
    else
        f = rule_risk(sp, spec->target, spec->delta, ch);
    ch->tau = tau_at(sp, f, reject);
    scope_stats(sp, f, ch);
}

/* ---- tuning ------------------------------------------------------------- */

double threshold_reject_all(const score_cache_t *sc)
{
    double top = sc->max_score > 1.0 ? sc->max_score : 1.0;
    return nextafter(top, INFINITY);
}

static scope_t global_scope(const score_cache_t *sc)
{
    return make_scope(sc->gs, sc->gcum_hit, 0, sc->n);
}

static scope_t cat_scope(const score_cache_t *sc, int c)
{
    return make_scope(sc->s, sc->cum_hit, sc->start[c], sc->start[c + 1]);
}

/* A category's own figures at a given tau. */
static void cat_stats(const score_cache_t *sc, int c, double tau, th_choice_t *ch)
{
    scope_t sp = cat_scope(sc, c);
    scope_stats(&sp, lower_pos(sp.s, sp.lo, sp.hi, tau), ch);
    ch->tau = tau;
}

static int tune_global(const score_cache_t *sc, const th_spec_t *spec, double *tau,
                       th_choice_t *overall, th_choice_t *per_cat)
{
    scope_t g = global_scope(sc);
    choose(&g, spec, threshold_reject_all(sc), overall);
    for (int c = 0; c < sc->K; c++) {
        tau[c] = overall->tau;
        if (per_cat) {
            choice_init(&per_cat[c]);
            per_cat[c].met = overall->met;
            cat_stats(sc, c, overall->tau, &per_cat[c]);
        }
    }
    return !overall->met;
}

/* A category without validation predictions (see threshold.h). */
static void empty_category(const score_cache_t *sc, const th_spec_t *spec, th_choice_t *ch)
{
    th_choice_t g;
    choice_init(ch);
    if (spec->rule == TH_RULE_RISK) {
        ch->met = 0;
        ch->tau = threshold_reject_all(sc);
    } else {
        scope_t gs = global_scope(sc);
        choose(&gs, spec, threshold_reject_all(sc), &g);
        ch->tau = g.tau;
    }
    ch->coverage = ch->acc11 = NAN;
    ch->risk = 1.0;
}

static int tune_per_category(const score_cache_t *sc, const th_spec_t *spec, double *tau,
                             th_choice_t *overall, th_choice_t *per_cat)
{
    int unmet = 0;
    double reject = threshold_reject_all(sc);
    for (int c = 0; c < sc->K; c++) {
        scope_t sp = cat_scope(sc, c);
        th_choice_t ch;
        if (sp.hi > sp.lo)
            choose(&sp, spec, reject, &ch);
        else
            empty_category(sc, spec, &ch);
        tau[c] = ch.tau;
        unmet += !ch.met;
        if (per_cat)
            per_cat[c] = ch;
    }
    score_eval_t ev;
    score_cache_eval(sc, tau, &ev, NULL, NULL);
    choice_init(overall);
    overall->tau = NAN;
    overall->met = unmet == 0;
    overall->n = sc->n;
    overall->accepted = ev.accepted;
    overall->coverage = ev.coverage;
    overall->risk = ev.sel_risk;
    overall->acc11 = ev.acc11;
    return unmet;
}

int threshold_tune(const score_cache_t *sc, const th_spec_t *spec, double *tau,
                   th_choice_t *overall, th_choice_t *per_cat)
{
    th_choice_t local;
    if (!overall)
        overall = &local;
    if (spec->per_category)
        return tune_per_category(sc, spec, tau, overall, per_cat);
    return tune_global(sc, spec, tau, overall, per_cat);
}

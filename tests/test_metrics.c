/* test_metrics.c - metrics.c and threshold.c against an independent
 * scikit-learn/numpy/scipy fixture (tests/fixtures/metrics_case.txt, made by
 * make_metrics_fixture.py) and against small hand-made cases. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "eval/metrics.h"
#include "eval/threshold.h"
#include "base/util.h"

/* ---- closeness ------------------------------------------------------------ */

/* 1e-9 relative (NaN matches NaN). */
static int rel_close(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-9 * fabs(b) + 1e-15;
}

#define CHECK_REL(a, b, ...)                                                  \
    do {                                                                      \
        double ca_ = (a), cb_ = (b);                                          \
        char cw_[160];                                                        \
        snprintf(cw_, sizeof cw_, __VA_ARGS__);                               \
        CHECK(rel_close(ca_, cb_), "%s: %.17g vs expected %.17g", cw_, ca_, cb_); \
    } while (0)

/* ---- the fixture ---------------------------------------------------------- */

typedef struct {
    char **key, **val; /* val: the rest of the line after "key " */
    int n;
} fixture_t;

static void fx_add(fixture_t *f, char *line)
{
    line[strcspn(line, "\n")] = 0;
    if (line[0] == '#' || !line[0])
        return;
    char *sp = strchr(line, ' ');
    f->key = xrealloc(f->key, (size_t)(f->n + 1) * sizeof *f->key);
    f->val = xrealloc(f->val, (size_t)(f->n + 1) * sizeof *f->val);
    if (sp)
        *sp = 0;
    f->key[f->n] = xstrdup(line);
    f->val[f->n] = xstrdup(sp ? sp + 1 : "");
    f->n++;
}

static int fx_load(fixture_t *f, const char *path)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, fp) >= 0)
        fx_add(f, line);
    free(line);
    fclose(fp);
    return 0;
}

static void fx_free(fixture_t *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->key[i]);
        free(f->val[i]);
    }
    free(f->key);
    free(f->val);
}

/* The nth line with this key (0-based), or NULL. */
static const char *fx_nth(const fixture_t *f, const char *key, int nth)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->key[i], key) && nth-- == 0)
            return f->val[i];
    return NULL;
}

/* Reads up to max doubles ("nan" allowed); returns the count. */
static int fx_doubles_nth(const fixture_t *f, const char *key, int nth, double *out, int max)
{
    const char *s = fx_nth(f, key, nth);
    int n = 0;
    char *end;
    while (s && n < max) {
        double v = strtod(s, &end);
        if (end == s)
            break;
        out[n++] = v;
        s = end;
    }
    CHECK(s != NULL, "fixture lacks '%s' #%d", key, nth);
    return n;
}

static int fx_doubles(const fixture_t *f, const char *key, double *out, int max)
{
    return fx_doubles_nth(f, key, 0, out, max);
}

static double fx_1(const fixture_t *f, const char *key)
{
    double v = NAN;
    fx_doubles(f, key, &v, 1);
    return v;
}

static int fx_ints(const fixture_t *f, const char *key, int *out, int max)
{
    double *tmp = xmalloc((size_t)max * sizeof *tmp);
    int n = fx_doubles(f, key, tmp, max);
    for (int i = 0; i < n; i++)
        out[i] = (int)tmp[i];
    free(tmp);
    return n;
}

/* ---- the case loaded from the fixture --------------------------------------- */

typedef struct {
    int n, K;
    int *y, *p, *o, *t;
    double *msp, *score, tau[16];
    char *names_buf;
    const char *names[16];
} case_t;

static void case_names(case_t *c, const fixture_t *f)
{
    const char *s = fx_nth(f, "names", 0);
    c->names_buf = xstrdup(s ? s : "");
    char *save = NULL, *tok = strtok_r(c->names_buf, " ", &save);
    for (int i = 0; i < 16 && tok; i++, tok = strtok_r(NULL, " ", &save))
        c->names[i] = tok;
}

static int case_load(case_t *c, const fixture_t *f)
{
    memset(c, 0, sizeof *c);
    c->n = (int)fx_1(f, "n");
    c->K = (int)fx_1(f, "K");
    if (c->n <= 0 || c->K <= 0 || c->K > 15)
        return -1;
    size_t n = (size_t)c->n;
    c->y = xmalloc(n * sizeof(int));
    c->p = xmalloc(n * sizeof(int));
    c->o = xmalloc(n * sizeof(int));
    c->t = xmalloc(n * sizeof(int));
    c->msp = xmalloc(n * sizeof(double));
    c->score = xmalloc(n * sizeof(double));
    int ok = fx_ints(f, "y", c->y, c->n) == c->n && fx_ints(f, "p", c->p, c->n) == c->n &&
             fx_ints(f, "o", c->o, c->n) == c->n && fx_ints(f, "t", c->t, c->n) == c->n &&
             fx_doubles(f, "msp", c->msp, c->n) == c->n &&
             fx_doubles(f, "score", c->score, c->n) == c->n &&
             fx_doubles(f, "tau", c->tau, c->K) == c->K;
    case_names(c, f);
    return ok ? 0 : -1;
}

static void case_free(case_t *c)
{
    free(c->y);
    free(c->p);
    free(c->o);
    free(c->t);
    free(c->msp);
    free(c->score);
    free(c->names_buf);
}

/* ---- fixture checks -------------------------------------------------------------- */

static void check_outputs(const case_t *c)
{
    int *o = xmalloc((size_t)c->n * sizeof *o), *t = xmalloc((size_t)c->n * sizeof *t);
    metrics_outputs(c->n, c->K, c->p, c->score, c->tau, o);
    metrics_targets(c->n, c->K, c->y, c->p, t);
    int bad_o = 0, bad_t = 0;
    for (int i = 0; i < c->n; i++) {
        bad_o += o[i] != c->o[i];
        bad_t += t[i] != c->t[i];
    }
    CHECK(bad_o == 0, "%d final outputs differ", bad_o);
    CHECK(bad_t == 0, "%d 11-way targets differ", bad_t);
    free(o);
    free(t);
}

static void check_summary(const case_t *c, const fixture_t *f)
{
    metrics_summary_t m;
    metrics_summary(c->n, c->K, c->y, c->p, c->o, &m);
    CHECK_REL(m.stage1_acc, fx_1(f, "stage1_acc"), "stage1_acc");
    CHECK_REL(m.acc11, fx_1(f, "acc11"), "acc11");
    CHECK_REL(m.always_other, fx_1(f, "always_other"), "always_other");
    CHECK_REL(m.never_other, fx_1(f, "never_other"), "never_other");
    CHECK_REL((double)m.accepted, fx_1(f, "accepted"), "accepted");
    CHECK_REL(m.coverage, fx_1(f, "coverage"), "coverage");
    CHECK_REL(m.sel_acc, fx_1(f, "sel_acc"), "sel_acc");
    CHECK_REL(m.sel_risk, fx_1(f, "sel_risk"), "sel_risk");
    CHECK(!m.none_accepted, "none_accepted set");
    int nc = c->K + 1, *conf = xmalloc((size_t)(nc * nc) * sizeof *conf);
    CHECK(fx_ints(f, "confusion", conf, nc * nc) == nc * nc, "confusion size");
    int bad = 0;
    for (int i = 0; i < nc * nc; i++)
        bad += m.confusion[i] != conf[i];
    CHECK(bad == 0, "%d confusion cells differ", bad);
    free(conf);
    metrics_summary_free(&m);
}

static void check_prf(const metrics_prf_t *x, const double *e, const char *what)
{
    CHECK_REL(x->precision, e[0], "%s precision", what);
    CHECK_REL(x->recall, e[1], "%s recall", what);
    CHECK_REL(x->f1, e[2], "%s f1", what);
    CHECK_REL((double)x->support, e[3], "%s support", what);
}

/* Joins the fixture's report_line lines with newlines: sklearn's text. */
static char *expected_report_text(const fixture_t *f)
{
    size_t len = 0;
    char *out = xcalloc(1, 1);
    const char *line;
    for (int i = 0; (line = fx_nth(f, "report_line", i)); i++) {
        size_t add = strlen(line) + 1;
        out = xrealloc(out, len + add + 1);
        sprintf(out + len, "%s%s", i ? "\n" : "", line);
        len += add - (i ? 0 : 1);
    }
    return out;
}

static void check_report_text(const metrics_report_t *r, const case_t *c, const fixture_t *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    metrics_report_print(mem, r, c->names);
    fclose(mem);
    char *want = expected_report_text(f);
    CHECK(!strcmp(buf, want), "report text differs:\n%s---- expected:\n%s----", buf, want);
    free(want);
    free(buf);
}

static void check_report(const case_t *c, const fixture_t *f)
{
    metrics_report_t r;
    metrics_report(c->n, c->K, c->t, c->o, &r);
    CHECK(r.nclass == c->K + 1, "nclass %d", r.nclass);
    for (int k = 0; k < r.nclass; k++) {
        double e[5];
        char what[32];
        CHECK(fx_doubles_nth(f, "cls", k, e, 5) == 5 && (int)e[0] == k, "cls row %d", k);
        snprintf(what, sizeof what, "class %d", k);
        check_prf(&r.cls[k], e + 1, what);
    }
    double e[4];
    CHECK_REL(r.accuracy, fx_1(f, "accuracy"), "report accuracy");
    fx_doubles(f, "macro", e, 4);
    check_prf(&r.macro, e, "macro avg");
    fx_doubles(f, "weighted", e, 4);
    check_prf(&r.weighted, e, "weighted avg");
    check_report_text(&r, c, f);
    metrics_report_free(&r);
}

static void check_rc_points(const case_t *c, const fixture_t *f, const char *name,
                            const double *kappa)
{
    char key[32];
    double *cov = xmalloc((size_t)c->n * sizeof *cov), *risk = xmalloc((size_t)c->n * sizeof *risk);
    double ks[64], want[64];
    metrics_rc_curve(c->n, c->y, c->p, kappa, cov, risk);
    snprintf(key, sizeof key, "rc_k_%s", name);
    int m = fx_doubles(f, key, ks, 64);
    snprintf(key, sizeof key, "rc_risk_%s", name);
    CHECK(fx_doubles(f, key, want, 64) == m && m > 0, "rc points for %s", name);
    for (int i = 0; i < m; i++) {
        int k = (int)ks[i];
        CHECK_REL(risk[k - 1], want[i], "%s risk_%d", name, k);
        CHECK_REL(cov[k - 1], (double)k / c->n, "%s coverage_%d", name, k);
    }
    free(cov);
    free(risk);
}

static void check_ranking(const case_t *c, const fixture_t *f, const char *name,
                          const double *kappa)
{
    char key[32];
    double e[16];
    metrics_aurc_t a = metrics_aurc(c->n, c->y, c->p, kappa);
    snprintf(key, sizeof key, "aurc_%s", name);
    fx_doubles(f, key, e, 3);
    CHECK_REL(a.aurc, e[0], "%s AURC", name);
    CHECK_REL(a.aurc_star, e[1], "%s AURC*", name);
    CHECK_REL(a.eaurc, e[2], "%s E-AURC", name);
    snprintf(key, sizeof key, "auroc_%s", name);
    CHECK_REL(metrics_auroc(c->n, c->y, c->p, kappa), fx_1(f, key), "%s AUROC", name);
    double per[16];
    metrics_auroc_per_class(c->n, c->K, c->y, c->p, kappa, per);
    snprintf(key, sizeof key, "auroc_per_%s", name);
    CHECK(fx_doubles(f, key, e, c->K) == c->K, "%s", key);
    for (int k = 0; k < c->K; k++)
        CHECK_REL(per[k], e[k], "%s AUROC of category %d", name, k);
    check_rc_points(c, f, name, kappa);
}

/* The cache at the fixture's tau agrees with the fixture. */
static void check_cache_fixture(const score_cache_t *sc, const case_t *c, const fixture_t *f)
{
    score_eval_t ev;
    double prec[16], rec[16], e[5];
    score_cache_eval(sc, c->tau, &ev, prec, rec);
    CHECK_REL(ev.coverage, fx_1(f, "coverage"), "cache coverage");
    CHECK_REL(ev.sel_acc, fx_1(f, "sel_acc"), "cache sel_acc");
    CHECK_REL(ev.sel_risk, fx_1(f, "sel_risk"), "cache sel_risk");
    CHECK_REL(ev.acc11, fx_1(f, "acc11"), "cache acc11");
    CHECK_REL((double)ev.accepted, fx_1(f, "accepted"), "cache accepted");
    for (int k = 0; k <= c->K; k++) {
        fx_doubles_nth(f, "cls", k, e, 5);
        CHECK_REL(prec[k], e[1], "cache precision %d", k);
        CHECK_REL(rec[k], e[2], "cache recall %d", k);
    }
    fx_doubles(f, "aurc_score", e, 3);
    CHECK_REL(sc->aurc_score.aurc, e[0], "cache AURC score");
    fx_doubles(f, "aurc_msp", e, 3);
    CHECK_REL(sc->aurc_msp.eaurc, e[2], "cache E-AURC msp");
    CHECK_REL(sc->auroc_score, fx_1(f, "auroc_score"), "cache AUROC score");
    CHECK_REL(sc->auroc_msp, fx_1(f, "auroc_msp"), "cache AUROC msp");
}

/* The cache against the direct functions at one tau vector. */
static void cache_vs_direct(const score_cache_t *sc, const case_t *c, const double *tau,
                            int *o, int *t)
{
    score_eval_t ev;
    double prec[16], rec[16];
    metrics_summary_t m;
    metrics_report_t r;
    score_cache_eval(sc, tau, &ev, prec, rec);
    metrics_outputs(c->n, c->K, c->p, c->score, tau, o);
    metrics_targets(c->n, c->K, c->y, c->p, t);
    metrics_summary(c->n, c->K, c->y, c->p, o, &m);
    metrics_report(c->n, c->K, t, o, &r);
    int ok = ev.accepted == m.accepted && ev.coverage == m.coverage &&
             ev.sel_acc == m.sel_acc && ev.acc11 == m.acc11 &&
             ev.none_accepted == m.none_accepted;
    for (int k = 0; k <= c->K; k++)
        ok = ok && prec[k] == r.cls[k].precision && rec[k] == r.cls[k].recall;
    CHECK(ok, "cache disagrees with direct metrics at tau[0]=%g", tau[0]);
    metrics_report_free(&r);
    metrics_summary_free(&m);
}

static void check_cache_random(const score_cache_t *sc, const case_t *c)
{
    rng_t r;
    rng_seed(&r, 7);
    int *o = xmalloc((size_t)c->n * sizeof *o), *t = xmalloc((size_t)c->n * sizeof *t);
    double tau[16];
    for (int trial = 0; trial < 60; trial++) {
        for (int k = 0; k < c->K; k++)
            tau[k] = trial % 3 ? rng_below(&r, 103) / 100.0 : rng_uniform(&r) * 1.1 - 0.05;
        cache_vs_direct(sc, c, tau, o, t);
    }
    for (int k = 0; k < c->K; k++)
        tau[k] = 2.0; /* reject all */
    cache_vs_direct(sc, c, tau, o, t);
    free(o);
    free(t);
}

/* ---- thresholds on the fixture ----------------------------------------------- */

static void check_taus(const double *got, const fixture_t *f, const char *key, int K)
{
    double want[16];
    CHECK(fx_doubles(f, key, want, K) == K, "fixture %s", key);
    for (int k = 0; k < K; k++)
        CHECK(got[k] == want[k], "%s: tau[%d] %.17g vs %.17g", key, k, got[k], want[k]);
}

static void tune_and_compare(const score_cache_t *sc, const fixture_t *f, const char *spec_s,
                             const char *key, int global)
{
    th_spec_t spec;
    err_t e;
    th_choice_t all, per[16];
    double tau[16];
    CHECK(threshold_parse(spec_s, &spec, &e) == 0, "parse %s: %s", spec_s, e.msg);
    threshold_tune(sc, &spec, tau, &all, per);
    if (global) {
        CHECK(all.tau == fx_1(f, key), "%s: tau %.17g vs %.17g", spec_s, all.tau, fx_1(f, key));
        for (int k = 0; k < sc->K; k++)
            CHECK(tau[k] == all.tau, "%s: tau[%d]", spec_s, k);
    } else {
        check_taus(tau, f, key, sc->K);
    }
}

/* A chosen SGR threshold's bound is the exact bound of what it accepts. */
static void check_sgr_choice(const score_cache_t *sc, const th_choice_t *ch, double R,
                             int c)
{
    long hits, acc = c < 0 ? score_cache_accepted_global(sc, ch->tau, &hits)
                           : score_cache_accepted(sc, c, ch->tau, &hits);
    CHECK(acc == ch->accepted, "SGR accepted %ld vs %ld", acc, ch->accepted);
    if (!ch->met)
        return;
    double b = binom_upper_bound(acc - hits, acc, ch->delta_step);
    CHECK(b == ch->bound && b <= R, "SGR bound %.17g (recomputed %.17g) vs R %g", ch->bound,
          b, R);
    CHECK(binom_cdf(acc - hits, acc, b) <= ch->delta_step, "SGR bound not from above");
}

static void check_sgr_fixture(const score_cache_t *sc, const fixture_t *f)
{
    th_spec_t spec;
    err_t e;
    th_choice_t all, per[16];
    double tau[16], want[16], met[16], bound[16];
    CHECK(threshold_parse("risk=0.1,delta=0.01", &spec, &e) == 0, "%s", e.msg);
    CHECK(threshold_tune(sc, &spec, tau, &all, NULL) == 0, "global SGR not met");
    fx_doubles(f, "tune_risk_0.1_0.01", want, 5);
    CHECK(all.tau == want[0] && all.met == (int)want[1], "SGR tau %.17g", all.tau);
    CHECK_REL(all.bound, want[2], "SGR bound");
    CHECK_REL(all.coverage, want[3], "SGR coverage");
    CHECK_REL(all.risk, want[4], "SGR risk");
    CHECK(all.steps == 10 && all.delta_step == 0.01 / 10, "SGR steps %d", all.steps);
    check_sgr_choice(sc, &all, 0.1, -1);
    CHECK(threshold_parse("risk=0.2,delta=0.05,per_category", &spec, &e) == 0, "%s", e.msg);
    int unmet = threshold_tune(sc, &spec, tau, &all, per);
    check_taus(tau, f, "tune_risk_pc_0.2_0.05_tau", sc->K);
    fx_doubles(f, "tune_risk_pc_0.2_0.05_met", met, sc->K);
    fx_doubles(f, "tune_risk_pc_0.2_0.05_bound", bound, sc->K);
    int want_unmet = 0;
    for (int k = 0; k < sc->K; k++) {
        want_unmet += !met[k];
        CHECK(per[k].met == (int)met[k], "SGR category %d met %d", k, per[k].met);
        CHECK_REL(per[k].bound, bound[k], "SGR category %d bound", k);
        check_sgr_choice(sc, &per[k], 0.2, k);
    }
    CHECK(unmet == want_unmet && all.met == (unmet == 0), "SGR unmet %d", unmet);
}

static void check_bounds_fixture(const fixture_t *f)
{
    double e[4];
    for (int i = 0; fx_nth(f, "bound", i); i++) {
        fx_doubles_nth(f, "bound", i, e, 4);
        CHECK_REL(binom_upper_bound((long)e[0], (long)e[1], e[2]), e[3],
                  "bound(%g errors, %g accepted, delta %g)", e[0], e[1], e[2]);
    }
}

static void check_tuning_fixture(const score_cache_t *sc, const fixture_t *f)
{
    CHECK(threshold_reject_all(sc) == fx_1(f, "reject"), "reject-all value");
    tune_and_compare(sc, f, "accuracy", "tune_accuracy", 1);
    tune_and_compare(sc, f, "accuracy,per_category", "tune_accuracy_pc", 0);
    tune_and_compare(sc, f, "coverage=0.8", "tune_coverage_0.8", 1);
    tune_and_compare(sc, f, "coverage=0.8,per_category", "tune_coverage_pc_0.8", 0);
    check_sgr_fixture(sc, f);
    check_bounds_fixture(f);
}

static void test_fixture(void)
{
    const char *dir = getenv("MSCNN_SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/metrics_case.txt", dir ? dir : ".");
    fixture_t f;
    case_t c;
    CHECK(fx_load(&f, path) == 0, "cannot read %s", path);
    if (case_load(&c, &f) == 0) {
        check_outputs(&c);
        check_summary(&c, &f);
        check_report(&c, &f);
        check_ranking(&c, &f, "score", c.score);
        check_ranking(&c, &f, "msp", c.msp);
        score_cache_t sc;
        score_cache_build(&sc, c.n, c.K, c.y, c.p, c.msp, c.score);
        check_cache_fixture(&sc, &c, &f);
        check_cache_random(&sc, &c);
        check_tuning_fixture(&sc, &f);
        score_cache_free(&sc);
    } else {
        CHECK(0, "fixture %s is incomplete", path);
    }
    case_free(&c);
    fx_free(&f);
}

/* ---- hand-made cases --------------------------------------------------------------- */

static void test_all_correct(void)
{
    int y[4] = {0, 1, 1, 0}, p[4] = {0, 1, 1, 0}, o[4];
    double s[4] = {0.9, 0.2, 0.8, 0.5}, tau[2] = {0.5, 0.5};
    metrics_outputs(4, 2, p, s, tau, o);
    CHECK(o[0] == 0 && o[1] == 2 && o[2] == 1 && o[3] == 0, "outputs (score == tau accepts)");
    metrics_summary_t m;
    metrics_summary(4, 2, y, p, o, &m);
    CHECK(m.stage1_acc == 1.0 && m.always_other == 0.0 && m.never_other == 1.0, "baselines");
    CHECK(m.acc11 == 0.75 && m.coverage == 0.75 && m.sel_acc == 1.0 && m.sel_risk == 0.0,
          "acc11 %g coverage %g", m.acc11, m.coverage);
    CHECK(m.confusion[1 * 3 + 2] == 1, "rejected hit lands in row t=1, column OTHER");
    metrics_summary_free(&m);
    metrics_aurc_t a = metrics_aurc(4, y, p, s);
    CHECK(a.aurc == 0.0 && a.aurc_star == 0.0 && a.eaurc == 0.0, "AURC all correct");
    CHECK(isnan(metrics_auroc(4, y, p, s)), "AUROC with hits only is NaN");
}

static void test_all_wrong(void)
{
    int y[3] = {0, 1, 0}, p[3] = {1, 0, 1}, o[3], t[3];
    double s[3] = {0.9, 0.1, 0.5}, tau[2] = {0.0, 0.0};
    metrics_outputs(3, 2, p, s, tau, o);
    metrics_targets(3, 2, y, p, t);
    CHECK(t[0] == 2 && t[1] == 2 && t[2] == 2, "targets all OTHER");
    metrics_summary_t m;
    metrics_summary(3, 2, y, p, o, &m);
    CHECK(m.stage1_acc == 0.0 && m.always_other == 1.0 && m.acc11 == 0.0, "all wrong");
    CHECK(m.sel_acc == 0.0 && m.sel_risk == 1.0 && m.coverage == 1.0, "selective");
    metrics_summary_free(&m);
    metrics_aurc_t a = metrics_aurc(3, y, p, s);
    CHECK(a.aurc == 1.0 && a.aurc_star == 1.0 && a.eaurc == 0.0, "AURC all wrong");
    metrics_report_t r;
    metrics_report(3, 2, t, o, &r);
    CHECK(r.accuracy == 0.0 && r.cls[2].recall == 0.0 && r.cls[2].support == 3 &&
              r.cls[0].precision == 0.0 && r.weighted.f1 == 0.0, "report all wrong");
    metrics_report_free(&r);
}

static void test_single_class(void)
{
    int y[3] = {0, 0, 0}, p[3] = {0, 0, 0}, o[3], t[3];
    double s[3] = {0.3, 0.6, 0.9}, tau[1] = {0.5};
    metrics_outputs(3, 1, p, s, tau, o);
    metrics_targets(3, 1, y, p, t);
    metrics_report_t r;
    metrics_report(3, 1, t, o, &r);
    /* class 0: tp 2, pred 2, true 3; OTHER: tp 0, pred 1, true 0 */
    CHECK(r.cls[0].precision == 1.0 && fabs(r.cls[0].recall - 2.0 / 3) < 1e-15, "class 0");
    CHECK(fabs(r.cls[0].f1 - 0.8) < 1e-15, "class 0 f1 %.17g", r.cls[0].f1);
    CHECK(r.cls[1].precision == 0.0 && r.cls[1].recall == 0.0 && r.cls[1].support == 0,
          "OTHER zero division gives 0");
    CHECK(fabs(r.macro.f1 - 0.4) < 1e-15 && fabs(r.weighted.f1 - 0.8) < 1e-15, "averages");
    CHECK(fabs(r.accuracy - 2.0 / 3) < 1e-15, "accuracy");
    metrics_report_free(&r);
    double auroc;
    metrics_auroc_per_class(3, 1, y, p, s, &auroc);
    CHECK(isnan(auroc), "per-class AUROC single class");
}

static void test_empty_acceptance(void)
{
    int y[3] = {0, 1, 1}, p[3] = {0, 1, 0}, o[3];
    double s[3] = {0.3, 0.6, 0.9}, tau[2] = {0.95, 1.0};
    metrics_outputs(3, 2, p, s, tau, o);
    metrics_summary_t m;
    metrics_summary(3, 2, y, p, o, &m);
    CHECK(m.none_accepted && m.accepted == 0 && m.coverage == 0.0, "none accepted");
    CHECK(m.sel_acc == 0.0 && m.sel_risk == 1.0, "selective accuracy 0 when none accepted");
    CHECK(fabs(m.acc11 - 1.0 / 3) < 1e-15, "acc11 %g", m.acc11);
    metrics_summary_free(&m);
    score_cache_t sc;
    score_eval_t ev;
    score_cache_build(&sc, 3, 2, y, p, NULL, s);
    score_cache_eval(&sc, tau, &ev, NULL, NULL);
    CHECK(ev.none_accepted && ev.sel_acc == 0.0 && ev.coverage == 0.0, "cache none accepted");
    CHECK(isnan(sc.auroc_msp) && isnan(sc.aurc_msp.aurc), "no msp: NaN");
    score_cache_free(&sc);
}

static void test_empty_input(void)
{
    metrics_summary_t m;
    metrics_summary(0, 3, NULL, NULL, NULL, &m);
    CHECK(isnan(m.stage1_acc) && isnan(m.coverage) && m.none_accepted, "n = 0");
    metrics_summary_free(&m);
    CHECK(isnan(metrics_aurc(0, NULL, NULL, NULL).aurc), "AURC n = 0");
    CHECK(isnan(metrics_auroc(0, NULL, NULL, NULL)), "AUROC n = 0");
}

static void test_auroc_ties(void)
{
    /* hits 0.9, 0.5; errors 0.5, 0.1: pairs 1 + 1 + 1/2 + 1 = 3.5 of 4 */
    int y[4] = {0, 0, 0, 0}, p[4] = {0, 0, 1, 1};
    double s[4] = {0.9, 0.5, 0.5, 0.1};
    CHECK(metrics_auroc(4, y, p, s) == 0.875, "AUROC ties %g", metrics_auroc(4, y, p, s));
    double per[2];
    metrics_auroc_per_class(4, 2, y, p, s, per);
    CHECK(isnan(per[0]) && isnan(per[1]), "per category, one class each");
    double flat[4] = {0.5, 0.5, 0.5, 0.5};
    CHECK(metrics_auroc(4, y, p, flat) == 0.5, "all tied gives 0.5");
}

static void test_aurc_ties(void)
{
    /* all kappa equal: order by index; hits 1, 0, 1 -> risks 0, 1/2, 1/3 */
    int y[3] = {0, 0, 0}, p[3] = {0, 1, 0};
    double k[3] = {0.7, 0.7, 0.7}, cov[3], risk[3];
    metrics_rc_curve(3, y, p, k, cov, risk);
    CHECK(risk[0] == 0.0 && risk[1] == 0.5 && risk[2] == 1.0 / 3, "tie order by index");
    CHECK(cov[0] == 1.0 / 3 && cov[2] == 1.0, "coverage k/n");
    metrics_aurc_t a = metrics_aurc(3, y, p, k);
    CHECK(fabs(a.aurc - (0.5 + 1.0 / 3) / 3) < 1e-15, "AURC %.17g", a.aurc);
    double r = 1.0 / 3;
    CHECK(fabs(a.aurc_star - (r + (1 - r) * log(1 - r))) < 1e-15, "AURC* %g", a.aurc_star);
    CHECK(metrics_aurc_star(0.0) == 0.0 && metrics_aurc_star(1.0) == 1.0, "AURC* ends");
    CHECK(fabs(metrics_aurc_star(1 - 1e-12) - 1.0) < 1e-9, "AURC* near 1");
}

/* ---- SGR and the binomial bound --------------------------------------------------- */

static void test_bound_zero_errors(void)
{
    long ms[] = {1, 2, 7, 50, 997, 20000};
    double ds[] = {0.001, 0.01, 0.2};
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 3; j++) {
            double want = -expm1(log(ds[j]) / (double)ms[i]);
            CHECK_REL(binom_upper_bound(0, ms[i], ds[j]), want, "0 errors of %ld at %g", ms[i],
                      ds[j]);
        }
}

/* binom_cdf against a direct sum with exact small binomial coefficients. */
static void test_binom_cdf_direct(void)
{
    const long n = 20;
    double ps[] = {0.01, 0.3, 0.5, 0.93};
    for (int i = 0; i < 4; i++) {
        double p = ps[i], sum = 0.0, coef = 1.0;
        for (long k = 0; k < n; k++) {
            sum += coef * pow(p, (double)k) * pow(1 - p, (double)(n - k));
            CHECK_REL(binom_cdf(k, n, p), sum, "BinCDF(%ld; %ld, %g)", k, n, p);
            coef = coef * (double)(n - k) / (double)(k + 1);
        }
        CHECK(binom_cdf(n, n, p) == 1.0 && binom_cdf(-1, n, p) == 0.0, "CDF ends");
    }
}

static void test_bound_monotone(void)
{
    int ok = 1;
    double prev = 0.0;
    for (long e = 0; e < 200; e++) {
        double b = binom_upper_bound(e, 200, 0.01);
        ok = ok && b > prev && binom_cdf(e, 200, b) <= 0.01 &&
             binom_cdf(e, 200, b * (1 - 1e-9)) > 0.01;
        prev = b;
    }
    CHECK(ok, "bound increases with errors and solves BinCDF = delta");
    prev = 1.0;
    for (long n = 10; n <= 1000 && ok; n += 10) {
        double b = binom_upper_bound(5, n, 0.01);
        ok = b < prev;
        prev = b;
    }
    CHECK(ok, "bound falls as accepted grows");
    CHECK(binom_upper_bound(5, 100, 0.1) < binom_upper_bound(5, 100, 0.01) &&
              binom_upper_bound(5, 100, 0.01) < binom_upper_bound(5, 100, 0.001),
          "bound grows as delta shrinks");
    CHECK(binom_upper_bound(4, 4, 0.01) == 1.0 && binom_upper_bound(0, 0, 0.01) == 1.0,
          "all errors or none accepted: bound 1");
}

/* A synthetic validation set: hits score high, errors low, with ties. */
static void synth_set(int n, int K, int *y, int *p, double *s, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        y[i] = (int)rng_below(&r, (uint32_t)K);
        int hit = rng_uniform(&r) < 0.85;
        p[i] = hit ? y[i] : (y[i] + 1 + (int)rng_below(&r, (uint32_t)K - 1)) % K;
        double u = rng_uniform(&r);
        s[i] = floor((hit ? 0.3 + 0.7 * u : 0.8 * u) * 200.0) / 200.0;
    }
}

static void test_sgr_monotone(void)
{
    enum { N = 3000, K = 4 };
    int *y = xmalloc(N * sizeof *y), *p = xmalloc(N * sizeof *p);
    double *s = xmalloc(N * sizeof *s), tau[K], prev_cov = -1.0;
    synth_set(N, K, y, p, s, 11);
    score_cache_t sc;
    score_cache_build(&sc, N, K, y, p, NULL, s);
    int ok = 1, met_some = 0;
    for (double R = 0.005; R <= 0.3; R += 0.005) {
        th_spec_t spec = {TH_RULE_RISK, R, 0.001, 0};
        th_choice_t ch;
        int unmet = threshold_tune(&sc, &spec, tau, &ch, NULL);
        met_some += !unmet;
        check_sgr_choice(&sc, &ch, R, -1);
        ok = ok && ch.coverage >= prev_cov && (!unmet || ch.coverage == 0.0);
        prev_cov = ch.coverage;
    }
    CHECK(ok && met_some > 10, "SGR coverage grows with R (%d met)", met_some);
    score_cache_free(&sc);
    free(y);
    free(p);
    free(s);
}

static void test_sgr_unmet(void)
{
    int y[6] = {0, 0, 0, 0, 0, 0}, p[6] = {0, 1, 0, 1, 0, 0};
    double s[6] = {0.9, 0.95, 0.5, 0.99, 0.2, 0.7}, tau[2];
    score_cache_t sc;
    score_cache_build(&sc, 6, 2, y, p, NULL, s);
    th_spec_t spec = {TH_RULE_RISK, 0.01, 0.001, 0};
    th_choice_t ch;
    CHECK(threshold_tune(&sc, &spec, tau, &ch, NULL) == 1, "unreachable risk reports unmet");
    CHECK(!ch.met && ch.accepted == 0 && ch.coverage == 0.0 && isnan(ch.bound) &&
              tau[0] == threshold_reject_all(&sc) && tau[0] > 1.0 && ch.best_bound > 0.01,
          "unmet: reject all, best bound %g", ch.best_bound);
    spec.per_category = 1;
    CHECK(threshold_tune(&sc, &spec, tau, &ch, NULL) == 2 && !ch.met, "per category unmet");
    score_cache_free(&sc);
}

/* ---- accuracy / coverage rules ------------------------------------------------------- */

static void test_accuracy_ties(void)
{
    /* tau 0.2 accepts both: 1 right; reject-all: 1 right -> lower tau wins */
    int y[2] = {0, 0}, p[2] = {0, 1};
    double s[2] = {0.2, 0.5}, tau[2];
    score_cache_t sc;
    score_cache_build(&sc, 2, 2, y, p, NULL, s);
    th_spec_t spec = {TH_RULE_ACCURACY, 0.0, TH_DEFAULT_DELTA, 0};
    th_choice_t ch, per[2];
    threshold_tune(&sc, &spec, tau, &ch, per);
    CHECK(ch.tau == 0.2 && ch.acc11 == 0.5 && ch.coverage == 1.0, "tie -> lower tau (%g)",
          ch.tau);
    CHECK(per[1].tau == 0.2 && per[1].accepted == 1 && per[1].n == 1, "per_cat figures");
    spec.per_category = 1;
    threshold_tune(&sc, &spec, tau, &ch, per);
    CHECK(tau[0] == 0.2 && tau[1] == threshold_reject_all(&sc) && ch.acc11 == 1.0,
          "per category: %g %g acc11 %g", tau[0], tau[1], ch.acc11);
    score_cache_free(&sc);
}

static void test_coverage_rule(void)
{
    enum { N = 500, K = 3 };
    int y[N], p[N];
    double s[N], tau[K], prev = INFINITY;
    synth_set(N, K, y, p, s, 5);
    score_cache_t sc;
    score_cache_build(&sc, N, K, y, p, NULL, s);
    int ok = 1;
    for (int i = 0; i <= 20; i++) {
        th_spec_t spec = {TH_RULE_COVERAGE, i / 20.0, TH_DEFAULT_DELTA, 0};
        th_choice_t ch;
        ok = ok && threshold_tune(&sc, &spec, tau, &ch, NULL) == 0 && ch.coverage >= i / 20.0 &&
             ch.tau <= prev;
        /* the next higher candidate would fall short of C */
        long above = score_cache_accepted_global(&sc, nextafter(ch.tau, INFINITY), NULL);
        ok = ok && (ch.accepted == 0 || (double)above / N < i / 20.0);
        prev = ch.tau;
    }
    CHECK(ok, "coverage rule: smallest coverage >= C, tau falls as C grows");
    th_spec_t spec = {TH_RULE_COVERAGE, 0.0, TH_DEFAULT_DELTA, 0};
    th_choice_t ch;
    threshold_tune(&sc, &spec, tau, &ch, NULL);
    CHECK(ch.accepted == 0, "coverage=0 rejects all");
    score_cache_free(&sc);
}

static void test_per_category_accuracy_dominates(void)
{
    enum { N = 800, K = 5 };
    int y[N], p[N];
    double s[N], tau[K];
    synth_set(N, K, y, p, s, 9);
    score_cache_t sc;
    score_cache_build(&sc, N, K, y, p, NULL, s);
    th_spec_t spec = {TH_RULE_ACCURACY, 0.0, TH_DEFAULT_DELTA, 0};
    th_choice_t g, pc;
    threshold_tune(&sc, &spec, tau, &g, NULL);
    spec.per_category = 1;
    threshold_tune(&sc, &spec, tau, &pc, NULL);
    CHECK(pc.acc11 >= g.acc11, "per category %g < global %g", pc.acc11, g.acc11);
    score_cache_free(&sc);
}

/* ---- the spec parser ---------------------------------------------------------------- */

static int same_spec(const th_spec_t *a, const th_spec_t *b)
{
    return a->rule == b->rule && a->target == b->target && a->delta == b->delta &&
           a->per_category == b->per_category;
}

static void parse_good(const char *s, th_rule_t rule, double target, double delta, int pc)
{
    th_spec_t spec;
    err_t e = {""};
    char back[128];
    CHECK(threshold_parse(s, &spec, &e) == 0, "'%s' rejected: %s", s, e.msg);
    CHECK(spec.rule == rule && spec.target == target && spec.delta == delta &&
              spec.per_category == pc,
          "'%s' parsed wrongly", s);
    threshold_format(&spec, back, sizeof back);
    th_spec_t again;
    CHECK(threshold_parse(back, &again, &e) == 0 && same_spec(&again, &spec),
          "'%s' does not round-trip ('%s')", s, back);
}

static void parse_bad(const char *s, const char *mention)
{
    th_spec_t spec = {TH_RULE_COVERAGE, 0.5, 0.1, 1}, before = spec;
    err_t e = {""};
    CHECK(threshold_parse(s, &spec, &e) == -1, "'%s' accepted", s);
    CHECK(strstr(e.msg, s) && strstr(e.msg, mention), "'%s': message '%s' lacks '%s'", s,
          e.msg, mention);
    CHECK(same_spec(&spec, &before), "'%s' changed the spec on error", s);
}

static void test_parser(void)
{
    parse_good("accuracy", TH_RULE_ACCURACY, 0.0, TH_DEFAULT_DELTA, 0);
    parse_good("coverage=0.9", TH_RULE_COVERAGE, 0.9, TH_DEFAULT_DELTA, 0);
    parse_good("risk=0.02", TH_RULE_RISK, 0.02, 0.001, 0);
    parse_good("risk=0.02,delta=0.01", TH_RULE_RISK, 0.02, 0.01, 0);
    parse_good("risk=0.02,per_category,delta=1e-4", TH_RULE_RISK, 0.02, 1e-4, 1);
    parse_good("coverage=1,per_category", TH_RULE_COVERAGE, 1.0, TH_DEFAULT_DELTA, 1);
    parse_good("accuracy,per_category", TH_RULE_ACCURACY, 0.0, TH_DEFAULT_DELTA, 1);
    parse_bad("acc", "expected accuracy");
    parse_bad("Accuracy", "unknown rule");
    parse_bad("coverage", "unknown rule");
    parse_bad("coverage=", "from 0 to 1");
    parse_bad("coverage=1.5", "from 0 to 1");
    parse_bad("coverage=abc", "from 0 to 1");
    parse_bad("coverage= 0.9", "from 0 to 1");
    parse_bad("risk=0", "above 0");
    parse_bad("risk=-0.1", "above 0");
    parse_bad("risk=0.02,delta=0", "strictly between 0 and 1");
    parse_bad("risk=0.02,delta=1", "strictly between 0 and 1");
    parse_bad("risk=0.02,delta=x", "delta");
    parse_bad("accuracy,delta=0.1", "only to risk");
    parse_bad("risk=0.1,", "empty item");
    parse_bad(",risk=0.1", "empty item");
    parse_bad("risk=0.1,delta=0.1,delta=0.2", "twice");
    parse_bad("risk=0.1,foo", "unknown option 'foo'");
    parse_bad("accuracy,per_category,per_category", "twice");
    th_spec_t spec;
    err_t e;
    CHECK(threshold_parse("", &spec, &e) == -1 && strstr(e.msg, "empty"), "empty spec");
}

/* Exact McNemar against values worked by hand: b = 9, c = 1 gives
 * 2 * (1 + 10) / 2^10; b = 0, c = 5 gives 2 / 32; b = c and b + c = 0 give 1. */
static void test_mcnemar(void)
{
    CHECK_NEAR(metrics_mcnemar_exact(9, 1), 22.0 / 1024, 1e-12, "b=9 c=1");
    CHECK_NEAR(metrics_mcnemar_exact(1, 9), 22.0 / 1024, 1e-12, "symmetric");
    CHECK_NEAR(metrics_mcnemar_exact(0, 5), 2.0 / 32, 1e-12, "b=0 c=5");
    /* b = 3, c = 12: 2 * (1 + 15 + 105 + 455) / 2^15 */
    CHECK_NEAR(metrics_mcnemar_exact(3, 12), 2.0 * 576 / 32768, 1e-12, "b=3 c=12");
    CHECK(metrics_mcnemar_exact(4, 4) == 1.0, "b = c gives 1, got %g",
          metrics_mcnemar_exact(4, 4));
    CHECK(metrics_mcnemar_exact(0, 0) == 1.0, "no discordant pairs give 1");
    CHECK(metrics_mcnemar_exact(0, 2000) < 1e-300, "a clear difference: tiny p");
}

/* Known (positive) against unseen (negative), counted by hand: of the 12
 * pairs, 0.9 and 0.8 beat all 3 negatives, 0.6 beats 0.3 and ties 0.6
 * (1.5), 0.4 beats 0.3: 8.5 / 12. */
static void test_unseen_sets(void)
{
    double pos[4] = {0.6, 0.9, 0.4, 0.8}, neg[3] = {0.7, 0.3, 0.6};
    CHECK_NEAR(metrics_auroc_sets(4, pos, 3, neg), 8.5 / 12, 1e-12, "AUROC with a tie");
    CHECK_NEAR(metrics_auroc_sets(3, neg, 4, pos), 3.5 / 12, 1e-12, "swapped sets: 1 - AUROC");
    double hi[2] = {5, 6}, lo[3] = {1, 2, 3};
    CHECK_NEAR(metrics_auroc_sets(2, hi, 3, lo), 1.0, 0, "separated");
    CHECK_NEAR(metrics_auroc_sets(3, lo, 2, hi), 0.0, 0, "separated the wrong way");
    double same[3] = {0.5, 0.5, 0.5};
    CHECK_NEAR(metrics_auroc_sets(3, same, 3, same), 0.5, 0, "all tied");
    CHECK(isnan(metrics_auroc_sets(0, pos, 3, neg)), "no positives gives NaN");
    CHECK(isnan(metrics_auroc_sets(4, pos, 0, neg)), "no negatives gives NaN");
    double withnan[2] = {0.5, NAN};
    CHECK(isnan(metrics_auroc_sets(2, withnan, 3, neg)), "a NaN score gives NaN");

    /* FPR at TPR: 95 % of 4 positives is ceil(3.8) = 4, so t = 0.4 and the
     * negatives 0.7 and 0.6 pass; at 50 % t = 0.8 and none does; at 75 %
     * t = 0.6 and the tied negative 0.6 counts as accepted */
    CHECK_NEAR(metrics_fpr_at_tpr(4, pos, 3, neg, 0.95), 2.0 / 3, 1e-12, "FPR at 95% TPR");
    CHECK_NEAR(metrics_fpr_at_tpr(4, pos, 3, neg, 0.5), 0.0, 0, "FPR at 50% TPR");
    CHECK_NEAR(metrics_fpr_at_tpr(4, pos, 3, neg, 0.75), 2.0 / 3, 1e-12, "a tie is accepted");
    CHECK_NEAR(metrics_fpr_at_tpr(4, pos, 3, neg, 1.0), 2.0 / 3, 1e-12, "FPR at 100% TPR");
    /* 95 % of 20 is exactly 19 positives (not 20 through rounding): the
     * positives are 1..20, so t = 2 and the negatives 2 and 3 pass */
    double p20[20], n3[3] = {1.5, 2, 3};
    for (int i = 0; i < 20; i++)
        p20[i] = 20 - i;
    CHECK_NEAR(metrics_fpr_at_tpr(20, p20, 3, n3, 0.95), 2.0 / 3, 1e-12, "19 of 20 positives");
    CHECK(isnan(metrics_fpr_at_tpr(0, pos, 3, neg, 0.95)), "no positives gives NaN");
    CHECK(isnan(metrics_fpr_at_tpr(4, pos, 0, neg, 0.95)), "no negatives gives NaN");
    CHECK(isnan(metrics_fpr_at_tpr(2, withnan, 3, neg, 0.95)), "a NaN score gives NaN");
    CHECK(isnan(metrics_fpr_at_tpr(4, pos, 3, neg, 0.0)), "TPR 0 gives NaN");
}

int main(void)
{
    test_mcnemar();
    test_unseen_sets();
    test_fixture();
    test_all_correct();
    test_all_wrong();
    test_single_class();
    test_empty_acceptance();
    test_empty_input();
    test_auroc_ties();
    test_aurc_ties();
    test_bound_zero_errors();
    test_binom_cdf_direct();
    test_bound_monotone();
    test_sgr_monotone();
    test_sgr_unmet();
    test_accuracy_ties();
    test_coverage_rule();
    test_per_category_accuracy_dominates();
    test_parser();
    return check_done("test_metrics");
}

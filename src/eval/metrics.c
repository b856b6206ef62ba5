/* metrics.c - the two-stage classifier's metrics; see metrics.h. */
#include "eval/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "eval/threshold.h"

/* ---- sorting helpers ---------------------------------------------------- */

/* One sample for sorting: its score, original index, group and hit flag. */
typedef struct {
    double s;
    int idx;
    int cat;
    int hit;
} item_t;

/* Orders doubles ascending with NaN below everything (NaN equals NaN). */
static int cmp_nan_low(double a, double b)
{
    int na = isnan(a), nb = isnan(b);
    if (na || nb)
        return nb - na;
    return (a > b) - (a < b);
}

static int cmp_idx(const item_t *a, const item_t *b)
{
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Score ascending, ties by index ascending. */
static int cmp_asc(const void *pa, const void *pb)
{
    const item_t *a = pa, *b = pb;
    int c = cmp_nan_low(a->s, b->s);
    return c ? c : cmp_idx(a, b);
}

/* Score descending, ties by index ascending. */
static int cmp_desc(const void *pa, const void *pb)
{
    const item_t *a = pa, *b = pb;
    int c = cmp_nan_low(b->s, a->s);
    return c ? c : cmp_idx(a, b);
}

/* Group ascending, then score ascending, then index. */
static int cmp_cat_asc(const void *pa, const void *pb)
{
    const item_t *a = pa, *b = pb;
    if (a->cat != b->cat)
        return (a->cat > b->cat) - (a->cat < b->cat);
    return cmp_asc(pa, pb);
}

/* Fills a fresh item array from the inputs; the caller frees it. */
static item_t *make_items(int n, const int *y, const int *p, const double *s)
{
    item_t *it = xmalloc((n > 0 ? (size_t)n : 1) * sizeof *it);
    for (int i = 0; i < n; i++) {
        it[i].s = s[i];
        it[i].idx = i;
        it[i].cat = p[i];
        it[i].hit = p[i] == y[i];
    }
    return it;
}

/* ---- final outputs and targets ----------------------------------------- */

void metrics_outputs(int n, int K, const int *p, const double *score, const double *tau,
                     int *o)
{
    for (int i = 0; i < n; i++)
        o[i] = score[i] >= tau[p[i]] ? p[i] : K;
}

void metrics_targets(int n, int K, const int *y, const int *p, int *t)
{
    for (int i = 0; i < n; i++)
        t[i] = p[i] == y[i] ? y[i] : K;
}

/* ---- summary ------------------------------------------------------------ */

void metrics_summary(int n, int K, const int *y, const int *p, const int *o,
                     metrics_summary_t *m)
{
    memset(m, 0, sizeof *m);
    m->n = n;
    m->K = K;
    m->confusion = xcalloc((size_t)(K + 1) * (size_t)(K + 1), sizeof *m->confusion);
    long hits = 0, hits11 = 0, acc_hits = 0;
    for (int i = 0; i < n; i++) {
        int hit = p[i] == y[i], t = hit ? y[i] : K;
        hits += hit;
        hits11 += o[i] == t;
        if (o[i] != K) {
            m->accepted++;
            acc_hits += hit;
        }
        m->confusion[(size_t)t * (size_t)(K + 1) + (size_t)o[i]]++;
    }
    double dn = n > 0 ? (double)n : NAN;
    m->stage1_acc = (double)hits / dn;
    m->acc11 = (double)hits11 / dn;
    m->always_other = 1.0 - m->stage1_acc;
    m->never_other = m->stage1_acc;
    m->coverage = (double)m->accepted / dn;
    m->none_accepted = m->accepted == 0;
    m->sel_acc = m->accepted ? (double)acc_hits / (double)m->accepted : 0.0;
    m->sel_risk = 1.0 - m->sel_acc;
}

void metrics_summary_free(metrics_summary_t *m)
{
    free(m->confusion);
    m->confusion = NULL;
}

/* ---- risk-coverage and AURC --------------------------------------------- */

double metrics_aurc_star(double r)
{
    if (isnan(r))
        return NAN;
    if (r <= 0.0)
        return 0.0;
    if (r >= 1.0)
        return 1.0; /* (1 - r) ln(1 - r) -> 0 */
    return r + (1.0 - r) * log1p(-r);
}

/* Sorts by kappa descending and writes risk_k (and k/n when coverage is not
 * NULL); returns the number of Stage 1 errors. */
static long rc_walk(int n, const int *y, const int *p, const double *kappa,
                    double *coverage, double *risk)
{
    item_t *it = make_items(n, y, p, kappa);
    qsort(it, (size_t)n, sizeof *it, cmp_desc);
    long err = 0;
    for (int k = 1; k <= n; k++) {
        err += !it[k - 1].hit;
        risk[k - 1] = (double)err / k;
        if (coverage)
            coverage[k - 1] = (double)k / n;
    }
    free(it);
    return err;
}

void metrics_rc_curve(int n, const int *y, const int *p, const double *kappa,
                      double *coverage, double *risk)
{
    rc_walk(n, y, p, kappa, coverage, risk);
}

metrics_aurc_t metrics_aurc(int n, const int *y, const int *p, const double *kappa)
{
    metrics_aurc_t a = {NAN, NAN, NAN};
    if (n <= 0)
        return a;
    double *risk = xmalloc((size_t)n * sizeof *risk);
    long err = rc_walk(n, y, p, kappa, NULL, risk);
    double sum = 0.0;
    for (int k = 0; k < n; k++)
        sum += risk[k];
    free(risk);
    a.aurc = sum / n;
    a.aurc_star = metrics_aurc_star((double)err / n);
    a.eaurc = a.aurc - a.aurc_star;
    return a;
}

/* ---- AUROC --------------------------------------------------------------- */

/* Mann-Whitney AUROC over m items already sorted by score ascending: the rank
 * sum of hits (average ranks within ties), normalised. NaN without both
 * classes. */
static double auroc_sorted(const item_t *it, int m)
{
    long npos = 0;
    double rank_sum = 0.0;
    for (int i = 0; i < m;) {
        int j = i;
        long pos = 0;
        while (j < m && it[j].s == it[i].s) {
            pos += it[j].hit;
            j++;
        }
        if (j == i) /* a NaN score: it equals nothing, not even itself */
            return NAN;
        rank_sum += (double)pos * (0.5 * (double)(i + 1 + j));
        npos += pos;
        i = j;
    }
    long nneg = m - npos;
    if (npos == 0 || nneg == 0)
        return NAN;
    double u = rank_sum - 0.5 * (double)npos * (double)(npos + 1);
    return u / ((double)npos * (double)nneg);
}

double metrics_auroc(int n, const int *y, const int *p, const double *score)
{
    item_t *it = make_items(n, y, p, score);
    qsort(it, (size_t)n, sizeof *it, cmp_asc);
    double a = auroc_sorted(it, n);
    free(it);
    return a;
}

void metrics_auroc_per_class(int n, int K, const int *y, const int *p, const double *score,
                             double *auroc)
{
    item_t *it = make_items(n, y, p, score);
    qsort(it, (size_t)n, sizeof *it, cmp_cat_asc);
    int i = 0;
    for (int c = 0; c < K; c++) {
        while (i < n && it[i].cat < c)
            i++;
        int j = i;
        while (j < n && it[j].cat == c)
            j++;
        auroc[c] = auroc_sorted(it + i, j - i);
        i = j;
    }
    free(it);
}

/* ---- known against unseen ------------------------------------------------ */

double metrics_auroc_sets(int npos, const double *pos, int nneg, const double *neg)
{
    if (npos <= 0 || nneg <= 0)
        return NAN;
    int m = npos + nneg;
    item_t *it = xmalloc((size_t)m * sizeof *it);
    for (int i = 0; i < m; i++) {
        it[i].s = i < npos ? pos[i] : neg[i - npos];
        it[i].idx = i;
        it[i].cat = 0;
        it[i].hit = i < npos;
    }
    qsort(it, (size_t)m, sizeof *it, cmp_asc);
    double a = auroc_sorted(it, m);
    free(it);
    return a;
}

static int cmp_double_desc(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a < b) - (a > b);
}

double metrics_fpr_at_tpr(int npos, const double *pos, int nneg, const double *neg, double tpr)
{
    if (npos <= 0 || nneg <= 0 || !(tpr > 0.0 && tpr <= 1.0))
        return NAN;
    for (int i = 0; i < npos; i++)
        if (isnan(pos[i]))
            return NAN;
    for (int i = 0; i < nneg; i++)
        if (isnan(neg[i]))
            return NAN;
    double *s = xmalloc((size_t)npos * sizeof *s);
    memcpy(s, pos, (size_t)npos * sizeof *s);
    qsort(s, (size_t)npos, sizeof *s, cmp_double_desc);
    /* the fewest positives that reach the rate: ceil(tpr * npos), with a
     * little slack so that 0.95 * 20 counts as 19, not 20 */
    long need = (long)ceil(tpr * npos - 1e-9);
    if (need < 1)
        need = 1;
    double t = s[need - 1];
    free(s);
    long fp = 0;
    for (int i = 0; i < nneg; i++)
        fp += neg[i] >= t;
    return (double)fp / nneg;
}

/* ---- classification report ----------------------------------------------- */

static double ratio0(long num, long den)
{
    return den ? (double)num / (double)den : 0.0;
}

/* Per-class precision/recall/F1 from the sufficient statistics, as sklearn's
 * precision_recall_fscore_support with zero_division=0. */
static metrics_prf_t prf_from_counts(long tp, long pred, long truth)
{
    metrics_prf_t r;
    r.precision = ratio0(tp, pred);
    r.recall = ratio0(tp, truth);
    r.f1 = (truth + pred) ? 2.0 * (double)tp / (double)(truth + pred) : 0.0;
    r.support = truth;
    return r;
}

/* Macro (weights NULL) or support-weighted mean of the per-class rows. */
static metrics_prf_t prf_average(const metrics_prf_t *cls, int nc, int weighted, long n)
{
    metrics_prf_t a = {0.0, 0.0, 0.0, n};
    double wsum = 0.0;
    for (int c = 0; c < nc; c++) {
        double w = weighted ? (double)cls[c].support : 1.0;
        a.precision += w * cls[c].precision;
        a.recall += w * cls[c].recall;
        a.f1 += w * cls[c].f1;
        wsum += w;
    }
    if (wsum > 0.0) {
        a.precision /= wsum;
        a.recall /= wsum;
        a.f1 /= wsum;
    }
    return a;
}

void metrics_report(int n, int K, const int *t, const int *o, metrics_report_t *r)
{
    int nc = K + 1;
    long *cnt = xcalloc(3 * (size_t)nc, sizeof *cnt); /* tp, pred, truth */
    long tp_all = 0;
    for (int i = 0; i < n; i++) {
        int hit = t[i] == o[i];
        cnt[t[i]] += hit;
        cnt[nc + o[i]]++;
        cnt[2 * nc + t[i]]++;
        tp_all += hit;
    }
    r->nclass = nc;
    r->cls = xmalloc((size_t)nc * sizeof *r->cls);
    for (int c = 0; c < nc; c++)
        r->cls[c] = prf_from_counts(cnt[c], cnt[nc + c], cnt[2 * nc + c]);
    free(cnt);
    r->accuracy = n > 0 ? (double)tp_all / n : NAN;
    r->macro = prf_average(r->cls, nc, 0, n);
    r->weighted = prf_average(r->cls, nc, 1, n);
}

void metrics_report_free(metrics_report_t *r)
{
    free(r->cls);
    r->cls = NULL;
}

static const char *class_name(const char *const *names, int K, int c)
{
    return c == K ? "OTHER" : names[c];
}

static void print_row(FILE *fp, int width, const char *label, const metrics_prf_t *x)
{
    fprintf(fp, "%*s  %9.4f %9.4f %9.4f %9ld\n", width, label, x->precision, x->recall,
            x->f1, x->support);
}

void metrics_report_print(FILE *fp, const metrics_report_t *r, const char *const *names)
{
    int K = r->nclass - 1, width = (int)strlen("weighted avg");
    for (int c = 0; c < r->nclass; c++) {
        int len = (int)strlen(class_name(names, K, c));
        width = len > width ? len : width;
    }
    fprintf(fp, "%*s  %9s %9s %9s %9s\n\n", width, "", "precision", "recall", "f1-score",
            "support");
    for (int c = 0; c < r->nclass; c++)
        print_row(fp, width, class_name(names, K, c), &r->cls[c]);
    fprintf(fp, "\n%*s  %9s %9s %9.4f %9ld\n", width, "accuracy", "", "", r->accuracy,
            r->macro.support);
    print_row(fp, width, "macro avg", &r->macro);
    print_row(fp, width, "weighted avg", &r->weighted);
}

void metrics_confusion_print(FILE *fp, int K, const long *confusion,
                             const char *const *names)
{
    int nc = K + 1, cw = 5, lw = 5;
    for (int i = 0; i < nc * nc; i++) {
        int d = snprintf(NULL, 0, "%ld", confusion[i]);
        cw = d + 1 > cw ? d + 1 : cw;
    }
    for (int c = 0; c < nc; c++) {
        int len = (int)strlen(class_name(names, K, c));
        lw = len > lw ? len : lw;
    }
    fprintf(fp, "%*s", lw + 1, "t\\o");
    for (int c = 0; c < nc; c++)
        fprintf(fp, " %*.*s", cw, cw, class_name(names, K, c));
    fputc('\n', fp);
    for (int r = 0; r < nc; r++) {
        fprintf(fp, "%*s ", lw, class_name(names, K, r));
        for (int c = 0; c < nc; c++)
            fprintf(fp, " %*ld", cw, confusion[(size_t)r * (size_t)nc + (size_t)c]);
        fputc('\n', fp);
    }
}

/* ---- score cache ---------------------------------------------------------- */

static void copy_sorted(const item_t *it, int n, double *s, unsigned char *hit, long *cum)
{
    cum[0] = 0;
    for (int i = 0; i < n; i++) {
        s[i] = it[i].s;
        hit[i] = (unsigned char)it[i].hit;
        cum[i + 1] = cum[i] + it[i].hit;
    }
}

static void cache_alloc(score_cache_t *sc, int n, int K)
{
    size_t nn = n > 0 ? (size_t)n : 1;
    sc->n = n;
    sc->K = K;
    sc->start = xcalloc((size_t)K + 1, sizeof *sc->start);
    sc->s = xmalloc(nn * sizeof *sc->s);
    sc->hit = xmalloc(nn);
    sc->cum_hit = xmalloc((nn + 1) * sizeof *sc->cum_hit);
    sc->gs = xmalloc(nn * sizeof *sc->gs);
    sc->ghit = xmalloc(nn);
    sc->gcum_hit = xmalloc((nn + 1) * sizeof *sc->gcum_hit);
}

void score_cache_build(score_cache_t *sc, int n, int K, const int *y, const int *p,
                       const double *msp, const double *score)
{
    memset(sc, 0, sizeof *sc);
    cache_alloc(sc, n, K);
    item_t *it = make_items(n, y, p, score);
    qsort(it, (size_t)n, sizeof *it, cmp_asc);
    copy_sorted(it, n, sc->gs, sc->ghit, sc->gcum_hit);
    qsort(it, (size_t)n, sizeof *it, cmp_cat_asc);
    copy_sorted(it, n, sc->s, sc->hit, sc->cum_hit);
    for (int c = 0, i = 0; c <= K; c++) {
        while (i < n && it[i].cat < c)
            i++;
        sc->start[c] = i;
    }
    free(it);
    sc->n_correct = sc->cum_hit[n];
    sc->max_score = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(score[i]) && score[i] > sc->max_score)
            sc->max_score = score[i];
    sc->aurc_score = metrics_aurc(n, y, p, score);
    sc->auroc_score = metrics_auroc(n, y, p, score);
    metrics_aurc_t none = {NAN, NAN, NAN};
    sc->aurc_msp = msp ? metrics_aurc(n, y, p, msp) : none;
    sc->auroc_msp = msp ? metrics_auroc(n, y, p, msp) : NAN;
}

void score_cache_free(score_cache_t *sc)
{
    free(sc->start);
    free(sc->s);
    free(sc->hit);
    free(sc->cum_hit);
    free(sc->gs);
    free(sc->ghit);
    free(sc->gcum_hit);
    memset(sc, 0, sizeof *sc);
}

/* First position in s[lo, hi) (ascending, NaN first) that is accepted at tau,
 * i.e. whose score is >= tau; hi when none. */
static int first_accepted(const double *s, int lo, int hi, double tau)
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

long score_cache_accepted(const score_cache_t *sc, int c, double tau_c, long *hits)
{
    int lo = sc->start[c], hi = sc->start[c + 1];
    int f = first_accepted(sc->s, lo, hi, tau_c);
    if (hits)
        *hits = sc->cum_hit[hi] - sc->cum_hit[f];
    return hi - f;
}

long score_cache_accepted_global(const score_cache_t *sc, double tau, long *hits)
{
    int f = first_accepted(sc->gs, 0, sc->n, tau);
    if (hits)
        *hits = sc->gcum_hit[sc->n] - sc->gcum_hit[f];
    return sc->n - f;
}

void score_cache_eval(const score_cache_t *sc, const double *tau, score_eval_t *ev,
                      double *precision, double *recall)
{
    int K = sc->K;
    long acc = 0, acc_hits = 0;
    for (int c = 0; c < K; c++) {
        long h, a = score_cache_accepted(sc, c, tau[c], &h);
        long truth = sc->cum_hit[sc->start[c + 1]] - sc->cum_hit[sc->start[c]];
        if (precision)
            precision[c] = ratio0(h, a);
        if (recall)
            recall[c] = ratio0(h, truth);
        acc += a;
        acc_hits += h;
    }
    long errors = sc->n - sc->n_correct, rejected_err = errors - (acc - acc_hits);
    if (precision)
        precision[K] = ratio0(rejected_err, sc->n - acc);
    if (recall)
        recall[K] = ratio0(rejected_err, errors);
    double dn = sc->n > 0 ? (double)sc->n : NAN;
    ev->accepted = acc;
    ev->coverage = (double)acc / dn;
    ev->none_accepted = acc == 0;
    ev->sel_acc = ratio0(acc_hits, acc);
    ev->sel_risk = 1.0 - ev->sel_acc;
    ev->acc11 = (double)(acc_hits + rejected_err) / dn;
}

double metrics_mcnemar_exact(long b, long c)
{
    long n = b + c, m = b < c ? b : c;
    if (n <= 0)
        return 1.0;
    double p = 2.0 * binom_cdf(m, n, 0.5);
    return p < 1.0 ? p : 1.0;
}

/* stage2.c - judge calibration and per-judge selection (stage2.h). */
#include "train/stage2.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "eval/metrics.h"
#include "train/train.h"

const char *const judge_keep_names[] = {"trained", "pooled", "frozen", "shared"};

double judge_offset(const double cal[3], double z, double m)
{
    return cal[0] * z + cal[1] + cal[2] * m;
}

double judge_baseline_score(const double cal[3], double msp, double m)
{
    return 1 / (1 + exp(-judge_offset(cal, msp_logit(msp), m)));
}

double top2_margin(const float *probs, int k)
{
    if (k < 2)
        return 0;
    float p1 = probs[0] > probs[1] ? probs[0] : probs[1];
    float p2 = probs[0] > probs[1] ? probs[1] : probs[0];
    for (int j = 2; j < k; j++)
        if (probs[j] > p1)
            p2 = p1, p1 = probs[j];
        else if (probs[j] > p2)
            p2 = probs[j];
    return log((p1 > 1e-30f ? p1 : 1e-30) / (p2 > 1e-30f ? p2 : 1e-30));
}

/* The prior's weight, in samples: small next to a category's few hundred
 * judge-split images, large enough to keep a separable category finite. */
#define CALIB_PRIOR 1.0

/* ---- the combiner: sigmoid(w . (1, z, m)) ---------------------------- */

/* Log loss plus prior of w over the rows x (n, 3). */
static double comb_loss(const double *x, const int *right, int n, const double *prior,
                        const double w[3])
{
    double l = 0;
    for (int j = 0; j < 3; j++)
        l += 0.5 * CALIB_PRIOR * (w[j] - prior[j]) * (w[j] - prior[j]);
    for (int i = 0; i < n; i++) {
        const double *r = x + 3 * (size_t)i;
        double u = w[0] * r[0] + w[1] * r[1] + w[2] * r[2], y = right[i] != 0;
        l += log1p(exp(-fabs(u))) + (u > 0 ? u : 0) - y * u;
    }
    return l;
}

/* Solves h d = g for the free parameters (the others' d is 0) by
 * Gaussian elimination with partial pivoting; 0 when singular. */
static int solve3(double h[3][3], double g[3], const int *free_, double d[3])
{
    int idx[3], m = 0;
    for (int j = 0; j < 3; j++)
        if (free_[j])
            idx[m++] = j;
    double a[3][4];
    for (int r = 0; r < m; r++) {
        for (int c = 0; c < m; c++)
            a[r][c] = h[idx[r]][idx[c]];
        a[r][m] = g[idx[r]];
    }
    for (int c = 0; c < m; c++) {
        int piv = c;
        for (int r = c + 1; r < m; r++)
            if (fabs(a[r][c]) > fabs(a[piv][c]))
                piv = r;
        if (!(fabs(a[piv][c]) > 1e-300))
            return 0;
        for (int f = 0; f <= m; f++) {
            double t = a[c][f];
            a[c][f] = a[piv][f];
            a[piv][f] = t;
        }
        for (int r = 0; r < m; r++) {
            if (r == c)
                continue;
            double q = a[r][c] / a[c][c];
            for (int f = c; f <= m; f++)
                a[r][f] -= q * a[c][f];
        }
    }
    d[0] = d[1] = d[2] = 0;
    for (int r = 0; r < m; r++)
        d[idx[r]] = a[r][m] / a[r][r];
    return 1;
}

/* Newton's method with step halving over the free parameters of w. */
static void comb_newton(const double *x, const int *right, int n, const double *prior,
                        const int *free_, double w[3])
{
    double loss = comb_loss(x, right, n, prior, w);
    for (int it = 0; it < 100; it++) {
        double g[3], h[3][3] = {{0}}, d[3];
        for (int j = 0; j < 3; j++) {
            g[j] = CALIB_PRIOR * (w[j] - prior[j]);
            h[j][j] = CALIB_PRIOR;
        }
        for (int i = 0; i < n; i++) {
            const double *r = x + 3 * (size_t)i;
            double u = w[0] * r[0] + w[1] * r[1] + w[2] * r[2], s = 1 / (1 + exp(-u));
            double e = s - (right[i] != 0), v = s * (1 - s);
            for (int a = 0; a < 3; a++) {
                g[a] += e * r[a];
                for (int b = 0; b < 3; b++)
                    h[a][b] += v * r[a] * r[b];
            }
        }
        if (!solve3(h, g, free_, d))
            break;
        double step = 1, next = loss, t[3];
        for (; step > 1e-6; step *= 0.5) {
            for (int j = 0; j < 3; j++)
                t[j] = w[j] - step * d[j];
            next = comb_loss(x, right, n, prior, t);
            if (next <= loss)
                break;
        }
        if (step <= 1e-6)
            break;
        for (int j = 0; j < 3; j++)
            w[j] = t[j];
        int done = loss - next < 1e-10 * (1 + fabs(loss));
        loss = next;
        if (done)
            break;
    }
}

void judge_fit_combiner(const double *z, const double *m, const int *right, int n, double w[3])
{
    double *x = xmalloc(sizeof(double) * 3 * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        x[3 * i] = 1;
        x[3 * i + 1] = z[i];
        x[3 * i + 2] = m[i];
    }
    static const double prior[3] = {0, 1, 0};
    int free_[3] = {1, 1, 1};
    w[0] = 0, w[1] = 1, w[2] = 0;
    comb_newton(x, right, n, prior, free_, w);
    for (int j = 1; j < 3; j++) /* a slope below 0: fix it at 0, refit the rest */
        if (w[j] < 0) {
            w[j] = 0;
            free_[j] = 0;
            comb_newton(x, right, n, prior, free_, w);
        }
    for (int j = 1; j < 3; j++)
        if (w[j] < 0)
            w[j] = 0;
    free(x);
}

/* The baseline sigmoid(a z + b): the combiner with the margin's weight
 * held at 0, and a at least 1e-3 so the score rises with MSP. */
void judge_calibrate(const double *z, const int *right, int n, double ab[2])
{
    double *x = xmalloc(sizeof(double) * 3 * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        x[3 * i] = 1;
        x[3 * i + 1] = z[i];
        x[3 * i + 2] = 0;
    }
    static const double prior[3] = {0, 1, 0};
    int free_[3] = {1, 1, 0};
    double w[3] = {0, 1, 0};
    comb_newton(x, right, n, prior, free_, w);
    if (w[1] < 1e-3) { /* refit b alone */
        w[1] = 1e-3;
        free_[1] = 0;
        comb_newton(x, right, n, prior, free_, w);
    }
    ab[0] = w[1];
    ab[1] = w[0];
    free(x);
}

/* ---- the pooled selection -------------------------------------------- */

static const double blend_lambdas[] = {0, 0.25, 0.5, 0.75, 1};
static const double blend_mus[] = {0, 0.25, 0.5, 1};
#define BLEND_RESAMPLES 200

/* AURC of kappa over the images with p == c. */
static double category_aurc(const blend_input_t *in, int c, const double *kappa, int *ys,
                            int *ps, double *ks)
{
    int m = 0;
    for (int i = 0; i < in->n; i++)
        if (in->p[i] == c) {
            ys[m] = in->y[i];
            ps[m] = in->p[i];
            ks[m++] = kappa[i];
        }
    return m ? metrics_aurc(m, ys, ps, ks).aurc : NAN;
}

/* The calibration of the blend at lambda. */
static void blend_cal(const blend_input_t *in, double lambda, double cal[3])
{
    cal[0] = (1 - lambda) * in->base[0] + lambda * in->comb[1];
    cal[1] = (1 - lambda) * in->base[1] + lambda * in->comb[0];
    cal[2] = lambda * in->comb[2];
}

typedef struct {
    int *ys, *ps;
    double *ks, *u, *base;
} blend_scratch_t;

/* The logit of a probability, finite (for ranking fixed scores). */
static double score_logit(double s)
{
    double q = s < 1e-300 ? 1e-300 : s > 1 - 1e-16 ? 1 - 1e-16 : s;
    return log(q) - log1p(-q);
}

/* One candidate's scores, as logits (no sigmoid saturation ties), into
 * out (n) with its per-category fall-back (use, aurc); returns the pooled
 * AURC. */
static double blend_try(const blend_input_t *in, double lambda, double mu, const double *g,
                        blend_scratch_t *w, int *use, double *aurc, double *out)
{
    double cal[3];
    blend_cal(in, lambda, cal);
    for (int i = 0; i < in->n; i++)
        w->u[i] = judge_offset(cal, in->z[i], in->m[i]) + mu * (g ? g[i] : 0);
    for (int c = 0; c < in->k; c++) {
        if (in->fixed[c]) {
            use[c] = 1;
            continue;
        }
        double a = category_aurc(in, c, w->u, w->ys, w->ps, w->ks);
        double a_msp = category_aurc(in, c, in->z, w->ys, w->ps, w->ks);
        use[c] = !(a > a_msp); /* NaN (no images) keeps the blend */
        aurc[c] = use[c] ? a : a_msp;
    }
    for (int i = 0; i < in->n; i++) {
        int c = in->p[i];
        out[i] = in->fixed[c] ? score_logit(in->fixed_score[i]) : use[c] ? w->u[i] : w->base[i];
    }
    return metrics_aurc(in->n, in->y, in->p, out).aurc;
}

/* Records the candidate as the best so far. */
static void blend_keep(const blend_input_t *in, blend_t *b, double lambda, double mu,
                       const int *use, const double *aurc, double pooled)
{
    b->lambda = lambda, b->mu = mu, b->pooled = pooled;
    double cal[3];
    blend_cal(in, lambda, cal);
    for (int c = 0; c < in->k; c++) {
        b->use[c] = use[c];
        b->aurc[c] = aurc[c];
        const double *src = use[c] ? cal : in->base;
        b->cal[c][0] = src[0], b->cal[c][1] = src[1], b->cal[c][2] = use[c] ? src[2] : 0;
        b->keep[c] = in->fixed[c]  ? KEEP_FROZEN
                     : !use[c]     ? KEEP_SHARED
                     : mu == 0     ? (lambda == 0 ? KEEP_SHARED : KEEP_POOLED)
                                   : KEEP_TRAINED;
    }
}

/* The share of BLEND_RESAMPLES paired bootstrap resamples of the images
 * on which the ranking by k1 has a lower AURC than by k0 (seeded: the
 * same inputs give the same share). */
static double bootstrap_win(const blend_input_t *in, const double *k0, const double *k1,
                            blend_scratch_t *w)
{
    int n = in->n, wins = 0;
    double *q1 = xmalloc(sizeof(double) * (n ? n : 1));
    rng_t rng;
    rng_seed(&rng, 0x5ee1b007ULL);
    for (int r = 0; r < BLEND_RESAMPLES; r++) {
        for (int j = 0; j < n; j++) {
            int i = (int)rng_below(&rng, (uint32_t)n);
            w->ys[j] = in->y[i];
            w->ps[j] = in->p[i];
            w->ks[j] = k0[i];
            q1[j] = k1[i];
        }
        double a1 = metrics_aurc(n, w->ys, w->ps, q1).aurc;
        wins += a1 < metrics_aurc(n, w->ys, w->ps, w->ks).aurc;
    }
    free(q1);
    return n ? (double)wins / BLEND_RESAMPLES : 0;
}

/* The best candidate over the grid with mu = 0 (nets 0) or mu > 0 (nets
 * 1) into b, its logits into best; 0 when there was none. */
static int blend_search(const blend_input_t *in, int nets, blend_scratch_t *w, double *cand,
                        blend_t *b, double *best)
{
    int use[DATASET_MAX_CLASSES], found = 0;
    double aurc[DATASET_MAX_CLASSES];
    for (size_t li = 0; li < sizeof blend_lambdas / sizeof *blend_lambdas; li++)
        for (size_t mi = 0; mi < sizeof blend_mus / sizeof *blend_mus; mi++) {
            double lambda = blend_lambdas[li], mu = blend_mus[mi];
            if ((mu > 0) != nets || (mu > 0 && !in->g))
                continue;
            double a = blend_try(in, lambda, mu, in->g, w, use, aurc, cand);
            if (!found || a < b->pooled) { /* ties keep the earlier, simpler one */
                blend_keep(in, b, lambda, mu, use, aurc, a);
                memcpy(best, cand, sizeof(double) * in->n);
                found = 1;
            }
        }
    return found;
}

void judge_blend_select(const blend_input_t *in, blend_t *b, double *out)
{
    int n = in->n ? in->n : 1;
    blend_scratch_t w = {xmalloc(sizeof(int) * n), xmalloc(sizeof(int) * n),
                         xmalloc(sizeof(double) * n), xmalloc(sizeof(double) * n),
                         xmalloc(sizeof(double) * n)};
    double *cand = xmalloc(sizeof(double) * n), *with_nets = xmalloc(sizeof(double) * n);
    blend_t *b1 = xmalloc(sizeof *b1);
    for (int i = 0; i < in->n; i++)
        w.base[i] = in->base[0] * in->z[i] + in->base[1];
    blend_search(in, 0, &w, cand, b, out);
    b->win = NAN;
    if (blend_search(in, 1, &w, cand, b1, with_nets) && b1->pooled < b->pooled) {
        double win = bootstrap_win(in, out, with_nets, &w);
        if (win >= BLEND_MIN_WIN) {
            *b = *b1;
            memcpy(out, with_nets, sizeof(double) * in->n);
        }
        b->win = win;
    }
    for (int c = 0; c < in->k; c++) {
        b->aurc_msp[c] = category_aurc(in, c, in->z, w.ys, w.ps, w.ks);
        if (in->fixed[c]) /* a fixed judge's own figure, reported */
            b->aurc[c] = category_aurc(in, c, in->fixed_score, w.ys, w.ps, w.ks);
    }
    for (int i = 0; i < in->n; i++) /* logits to scores; fixed ones exactly as they were */
        out[i] = in->fixed[in->p[i]] ? in->fixed_score[i] : 1 / (1 + exp(-out[i]));
    b->pooled_msp = metrics_aurc(in->n, in->y, in->p, in->z).aurc;
    free(w.ys);
    free(w.ps);
    free(w.ks);
    free(w.u);
    free(w.base);
    free(cand);
    free(with_nets);
    free(b1);
}

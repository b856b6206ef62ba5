/* stage2.c - judge calibration and per-judge selection (stage2.h). */
#include "train/stage2.h"

#include <math.h>
#include <stdlib.h>

#include "base/util.h"
#include "eval/metrics.h"
#include "train/train.h"

const char *const judge_keep_names[] = {"trained", "previous", "baseline", "frozen", "shared"};

double judge_baseline_score(const double ab[2], double msp)
{
    return 1 / (1 + exp(-(ab[0] * msp_logit(msp) + ab[1])));
}

/* The prior's weight, in samples: small next to a category's few hundred
 * judge-split images, large enough to keep a separable category finite. */
#define CALIB_PRIOR 1.0

/* Log loss plus prior of (a, b). */
static double calib_loss(const double *z, const int *right, int n, double a, double b)
{
    double l = 0.5 * CALIB_PRIOR * ((a - 1) * (a - 1) + b * b);
    for (int i = 0; i < n; i++) {
        double u = a * z[i] + b, y = right[i] != 0;
        l += log1p(exp(-fabs(u))) + (u > 0 ? u : 0) - y * u; /* stable -log sigmoid */
    }
    return l;
}

void judge_calibrate(const double *z, const int *right, int n, double ab[2])
{
    double a = 1, b = 0, loss = calib_loss(z, right, n, a, b);
    for (int it = 0; it < 100; it++) {
        double ga = CALIB_PRIOR * (a - 1), gb = CALIB_PRIOR * b;
        double haa = CALIB_PRIOR, hab = 0, hbb = CALIB_PRIOR;
        for (int i = 0; i < n; i++) {
            double u = a * z[i] + b, s = 1 / (1 + exp(-u)), r = s - (right[i] != 0);
            double w = s * (1 - s);
            ga += r * z[i];
            gb += r;
            haa += w * z[i] * z[i];
            hab += w * z[i];
            hbb += w;
        }
        double det = haa * hbb - hab * hab;
        if (!(det > 0))
            break;
        double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
        double step = 1, next = loss;
        for (; step > 1e-6; step *= 0.5) { /* halve until the loss falls */
            next = calib_loss(z, right, n, a - step * da, b - step * db);
            if (next <= loss)
                break;
        }
        if (step <= 1e-6)
            break;
        a -= step * da;
        b -= step * db;
        int done = loss - next < 1e-10 * (1 + fabs(loss));
        loss = next;
        if (done)
            break;
    }
    if (a < 1e-3) { /* keep the score rising with MSP: refit b alone */
        a = 1e-3;
        for (int it = 0; it < 100; it++) {
            double g = CALIB_PRIOR * b, h = CALIB_PRIOR;
            for (int i = 0; i < n; i++) {
                double s = 1 / (1 + exp(-(a * z[i] + b)));
                g += s - (right[i] != 0);
                h += s * (1 - s);
            }
            b -= g / h;
            if (fabs(g / h) < 1e-9)
                break;
        }
    }
    ab[0] = a;
    ab[1] = b;
}

/* AURC of kappa over the rows. */
static double rows_aurc(int m, const int *rows, const int *y, const int *p, const double *kappa)
{
    int *ys = xmalloc(sizeof(int) * (m ? m : 1)), *ps = xmalloc(sizeof(int) * (m ? m : 1));
    double *ks = xmalloc(sizeof(double) * (m ? m : 1));
    for (int j = 0; j < m; j++) {
        ys[j] = y[rows[j]];
        ps[j] = p[rows[j]];
        ks[j] = kappa[rows[j]];
    }
    double a = metrics_aurc(m, ys, ps, ks).aurc;
    free(ys);
    free(ps);
    free(ks);
    return a;
}

judge_keep_t judge_select(int m, const int *rows, const int *y, const int *p,
                          const double *trained, const double *previous, const double *msp,
                          double aurc[3])
{
    aurc[KEEP_TRAINED] = m ? rows_aurc(m, rows, y, p, trained) : NAN;
    aurc[KEEP_PREVIOUS] = m && previous ? rows_aurc(m, rows, y, p, previous) : NAN;
    aurc[KEEP_BASELINE] = m ? rows_aurc(m, rows, y, p, msp) : NAN;
    if (!m)
        return KEEP_TRAINED; /* nothing to judge by: keep what trained */
    judge_keep_t best = KEEP_BASELINE;
    if (previous && aurc[KEEP_PREVIOUS] < aurc[best])
        best = KEEP_PREVIOUS;
    if (aurc[KEEP_TRAINED] < aurc[best])
        best = KEEP_TRAINED;
    return best;
}

/* out[i] = own[i] for the images of categories with use[c], else shared[i]. */
static void pooled_scores(int n, const int *p, const double *own, const double *shared,
                          const int *use, double *out)
{
    for (int i = 0; i < n; i++)
        out[i] = use[p[i]] ? own[i] : shared[i];
}

void judge_pool_select(int n, int k, const int *y, const int *p, const double *own,
                       const double *shared, const int *fixed, const int *order, int *use,
                       double *out)
{
    for (int c = 0; c < k; c++)
        use[c] = fixed[c] != 0;
    pooled_scores(n, p, own, shared, use, out);
    double best = metrics_aurc(n, y, p, out).aurc;
    for (int j = 0; j < k; j++) {
        int c = order[j];
        if (use[c])
            continue;
        use[c] = 1;
        pooled_scores(n, p, own, shared, use, out);
        double a = metrics_aurc(n, y, p, out).aurc;
        if (a <= best)
            best = a;
        else
            use[c] = 0;
    }
    pooled_scores(n, p, own, shared, use, out);
}

/* report_unseen.c - the report's "Unseen kinds" section (DESIGN.md
 * section 3): how the two stages treat images of kinds the model never
 * saw (--holdout_classes, --ood_data). */
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include "eval/metrics.h"
#include "report/report_priv.h"

double report_share_other(const session_t *s, const scored_t *sc)
{
    long other = 0;
    for (int i = 0; i < sc->n; i++)
        other += !(sc->score[i] >= s->meta.tau[sc->p[i]]);
    return sc->n ? (double)other / sc->n : NAN;
}

static int cmp_desc(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a < b) - (a > b);
}

/* The MSP threshold that accepts as many test images as the judges do at
 * tau (the accepted-th largest test MSP; ties may accept a few more), and
 * the share of unseen images it sends to OTHER. NaN when the judges accept
 * no test image. */
double report_msp_other_at_coverage(const session_t *s, const scored_t *t, const scored_t *u,
                                           double *thr)
{
    long accepted = 0;
    for (int i = 0; i < t->n; i++)
        accepted += t->score[i] >= s->meta.tau[t->p[i]];
    *thr = NAN;
    if (!accepted || !u->n)
        return NAN;
    double *m = xmalloc(sizeof(double) * (size_t)t->n);
    for (int i = 0; i < t->n; i++)
        m[i] = t->msp[i];
    qsort(m, (size_t)t->n, sizeof *m, cmp_desc);
    *thr = m[accepted - 1];
    free(m);
    long other = 0;
    for (int i = 0; i < u->n; i++)
        other += !(u->msp[i] >= *thr);
    return (double)other / u->n;
}

static void print_source(FILE *fp, const session_t *s, const scored_t *u)
{
    const run_data_t *d = &s->data;
    fprintf(fp, "Unseen kinds: %d image%s", u->n, u->n == 1 ? "" : "s");
    if (d->held_names[0])
        fprintf(fp, "; %d test images of the held-out classes %s", d->unseen_held,
                d->held_names);
    if (s->cfg.data.ood_data[0])
        fprintf(fp, "; %d from --ood_data %s", d->unseen.n - d->unseen_held,
                s->cfg.data.ood_data);
    fputc('\n', fp);
}

void print_unseen_line(FILE *fp, const session_t *s, const scored_t *known, const char *what,
                       const scored_t *u)
{
    fprintf(fp, "Unseen kinds: %.1f%% of %d at OTHER at tau (%s %.1f%%); AUROC %s vs unseen: "
                "judge %.4f, MSP %.4f\n", 100 * report_share_other(s, u), u->n, what,
            100 * report_share_other(s, known), what,
            metrics_auroc_sets(known->n, known->score, u->n, u->score),
            metrics_auroc_sets(known->n, known->msp, u->n, u->msp));
}

void print_unseen(FILE *fp, const session_t *s, const scored_t *t, const scored_t *u)
{
    print_source(fp, s, u);
    fprintf(fp, "  at OTHER at tau     %6.2f%% of the unseen images, %6.2f%% of the test "
                "images\n", 100 * report_share_other(s, u), 100 * report_share_other(s, t));
    double thr, mo = report_msp_other_at_coverage(s, t, u, &thr);
    if (!isnan(mo))
        fprintf(fp, "  MSP at the same test coverage (MSP >= %.4f): %6.2f%% of the unseen "
                    "images at OTHER\n", thr, 100 * mo);
    fprintf(fp, "Telling test images (positive) from unseen ones (AUROC: higher is better; "
                "FPR at 95%% TPR: lower is better):\n");
    fprintf(fp, "  %-14s %8s %12s\n", "confidence", "AUROC", "FPR@95%TPR");
    fprintf(fp, "  %-14s %8.4f %12.4f\n", "judge score",
            metrics_auroc_sets(t->n, t->score, u->n, u->score),
            metrics_fpr_at_tpr(t->n, t->score, u->n, u->score, 0.95));
    fprintf(fp, "  %-14s %8.4f %12.4f\n", "MSP", metrics_auroc_sets(t->n, t->msp, u->n, u->msp),
            metrics_fpr_at_tpr(t->n, t->msp, u->n, u->msp, 0.95));
}

/* report.c - epoch lines and the final report (the progress: progress.c). */
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/metrics.h"
#include "report/report_priv.h"

void print_epoch_line(FILE *fp, const epoch_stats_t *st)
{
    fprintf(fp, "Epoch %d/%d: ", st->epoch, st->last_epoch);
    if (st->stage1_frozen)
        fprintf(fp, "Stage 1 frozen - ");
    else
        fprintf(fp, "Loss %.4f - Accuracy %.4f - ", st->s1_loss, st->s1_acc);
    fprintf(fp, "Val Loss %.4f - Val Accuracy %.4f - Judge Loss %.4f - Judge Accuracy %.4f"
                " - Val Judge Loss %.4f - Val Judge Accuracy %.4f - %.1fs (%.0f img/s)",
            st->s1_val_loss, st->s1_val_acc, st->j_loss, st->j_acc, st->j_val_loss,
            st->j_val_acc, st->seconds, st->img_s);
    const double *ph = st->phase_seconds;
    fprintf(fp, " [Stage 1 %.1fs, pool %.1fs, judges %.1fs, validation %.1fs; TTA %d]\n",
            ph[PHASE_STAGE1], ph[PHASE_POOL], ph[PHASE_JUDGES], ph[PHASE_VAL], st->val_tta);
    fflush(fp);
}

void print_training_status(FILE *fp, const session_t *s)
{
    const model_meta_t *m = &s->meta;
    fprintf(fp, "Training Status Summary:\n");
    fprintf(fp, "  %-14s %s\n", "Stage 1", s->stage1_frozen ? "\u2717 frozen" : "\u2713 trainable");
    for (int c = 0; c < m->k; c++)
        fprintf(fp, "  %-14s %s\n", m->class_names[c],
                m->trainable[c] ? "\u2713 trainable" : "\u2717 frozen");
    fprintf(fp, "Trainable judges:");
    int any = 0;
    for (int c = 0; c < m->k; c++)
        if (m->trainable[c])
            fprintf(fp, "%s %s", any++ ? "," : "", m->class_names[c]);
    fprintf(fp, "%s\n", any ? "" : " none");
}

/* ---- the final report ----------------------------------------------------- */

static void print_thresholds(FILE *fp, const session_t *s, const tune_info_t *tune)
{
    const model_meta_t *m = &s->meta;
    int global = 1;
    for (int c = 1; c < m->k; c++)
        global &= m->tau[c] == m->tau[0];
    if (global)
        fprintf(fp, "Threshold: tau = %.4f (one for every category)", m->tau[0]);
    else
        fprintf(fp, "Thresholds: one per category (listed below)");
    /* where tau came from: the threshold setting (what session.c and
     * model.ini call "threshold"), the workbench's keys, or a tuning rule */
    if (!m->tuned_by[0] || !strcmp(m->tuned_by, "threshold"))
        fprintf(fp, ", set by --threshold\n");
    else if (!strcmp(m->tuned_by, "workbench"))
        fprintf(fp, ", set in the workbench\n");
    else
        fprintf(fp, ", chosen by %s\n", m->tuned_by);
    if (tune && tune->tuned && tune->spec.rule == TH_RULE_RISK && !tune->spec.per_category)
        fprintf(fp, "SGR: selective risk <= %.4f with probability >= %.4f: bound b* = %.4f "
                    "at validation coverage %.4f (%s)\n",
                tune->spec.target, 1 - tune->spec.delta, tune->overall.bound,
                tune->overall.coverage, tune->overall.met ? "met" : "NOT met: rejecting all");
    if (tune && tune->tuned && tune->unmet)
        fprintf(fp, "Note: the rule could not be met in %d scope(s); those reject everything\n",
                tune->unmet);
}

static void print_selective(FILE *fp, const metrics_summary_t *ms, const tune_info_t *tune)
{
    fprintf(fp, "Selective classification at tau (test set, %d images):\n", ms->n);
    fprintf(fp, "  coverage            %6.2f%%  (%ld accepted)\n", 100 * ms->coverage,
            ms->accepted);
    fprintf(fp, "  selective accuracy  %6.2f%%%s\n", 100 * ms->sel_acc,
            ms->none_accepted ? "  (nothing accepted)" : "");
    fprintf(fp, "  selective risk      %6.2f%%", 100 * ms->sel_risk);
    if (tune && tune->tuned && tune->spec.rule == TH_RULE_RISK)
        fprintf(fp, "  (target %.2f%%, validation bound %.2f%%)", 100 * tune->spec.target,
                100 * tune->overall.bound);
    fputc('\n', fp);
}

double report_category_aurc(const scored_t *sc, int c, const double *kappa)
{
    int m = 0, *y = xmalloc(sizeof(int) * (sc->n ? sc->n : 1));
    int *p = xmalloc(sizeof(int) * (sc->n ? sc->n : 1));
    double *q = xmalloc(sizeof(double) * (sc->n ? sc->n : 1));
    for (int i = 0; i < sc->n; i++)
        if (sc->p[i] == c) {
            y[m] = sc->y[i];
            p[m] = sc->p[i];
            q[m++] = kappa[i];
        }
    double a = m ? 1000 * metrics_aurc(m, y, p, q).aurc : NAN;
    free(y);
    free(p);
    free(q);
    return a;
}

/* Each judge against MSP within its category, on the test set and on the
 * validation split the judges were chosen by (train/stage2.h). */
static void print_category_aurc(FILE *fp, const session_t *s, const scored_t *t)
{
    const scored_t *v = &s->val;
    int have_val = v->n > 0 && v->y;
    fprintf(fp, "Per category AURC x1000 (images Stage 1 assigned to it; judge / MSP):\n");
    fprintf(fp, "  %-14s %9s %9s %9s %9s  %s\n", "category", "test J", "test MSP", "val J",
            "val MSP", s->nhistory ? "judge kept" : "");
    for (int c = 0; c < s->meta.k; c++) {
        fprintf(fp, "  %-14s %9.2f %9.2f", s->meta.class_names[c],
                report_category_aurc(t, c, t->score), report_category_aurc(t, c, t->msp));
        if (have_val)
            fprintf(fp, " %9.2f %9.2f", report_category_aurc(v, c, v->score), report_category_aurc(v, c, v->msp));
        else
            fprintf(fp, " %9s %9s", "-", "-");
        if (s->nhistory)
            fprintf(fp, "  %s", judge_keep_names[s->last.cat[c].kept]);
        fputc('\n', fp);
    }
    fprintf(fp, "  %-14s %9.2f %9.2f", "(pooled)", 1000 * metrics_aurc(t->n, t->y, t->p, t->score).aurc,
            1000 * metrics_aurc(t->n, t->y, t->p, t->msp).aurc);
    if (have_val)
        fprintf(fp, " %9.2f %9.2f\n", 1000 * metrics_aurc(v->n, v->y, v->p, v->score).aurc,
                1000 * metrics_aurc(v->n, v->y, v->p, v->msp).aurc);
    else
        fprintf(fp, " %9s %9s\n", "-", "-");
}

/* The judges' baseline, sigmoid(a_c z + b_c + w_c m) (train/stage2.h),
 * as a row of the ranking table; models saved before calibration have
 * none. */
int report_calibrated_scores(const session_t *s, const scored_t *t, double *cal)
{
    int calibrated = 0;
    for (int c = 0; c < s->meta.k; c++)
        calibrated |= s->meta.calib[c][0] > 0;
    for (int i = 0; calibrated && i < t->n; i++)
        cal[i] = judge_baseline_score(s->meta.calib[t->p[i]], t->msp[i], t->margin[i]);
    return calibrated;
}

/* One row of the ranking table, with a note after it. */
static void print_ranking_row(FILE *fp, const scored_t *t, const char *name,
                              const double *kappa, const char *note)
{
    metrics_aurc_t a = metrics_aurc(t->n, t->y, t->p, kappa);
    fprintf(fp, "  %-14s %8.2f %8.2f %8.4f%s\n", name, 1000 * a.aurc, 1000 * a.eaurc,
            metrics_auroc(t->n, t->y, t->p, kappa), note);
}

/* The parts of the judge score on their own: the top-2 margin, and the
 * judges' baseline (g = 0). */
static void print_calibrated(FILE *fp, const session_t *s, const scored_t *t)
{
    print_ranking_row(fp, t, "top-2 margin", t->margin, "  (Stage 1's logit margin alone)");
    double *cal = xcalloc(t->n ? t->n : 1, sizeof *cal);
    if (report_calibrated_scores(s, t, cal))
        print_ranking_row(fp, t, "judge baseline", cal,
                          "  (the judges' calibration of MSP and the margin, no judge net)");
    free(cal);
}

/* The pooled choice the last epoch made on the validation split. */
static void print_blend(FILE *fp, const session_t *s)
{
    const blend_t *b = &s->blend;
    if (!s->have_blend)
        return;
    int fell = 0;
    for (int c = 0; c < s->meta.k; c++)
        fell += s->last.cat[c].kept == KEEP_SHARED && (b->lambda > 0 || b->mu > 0);
    fprintf(fp, "Stage 2's pooled choice on validation: lambda %.2f (towards the combiner), "
                "mu %.2f (of the judge nets), %d categor%s back at MSP's ranking; pooled "
                "validation AURC x1000 %.2f (MSP %.2f)",
            b->lambda, b->mu, fell, fell == 1 ? "y" : "ies",
            1000 * b->pooled, 1000 * b->pooled_msp);
    if (isnan(b->win))
        fprintf(fp, "; the judge nets did not lower it\n");
    else
        fprintf(fp, "; the judge nets won %.0f %% of bootstrap resamples (%.0f %% needed)\n",
                100 * b->win, 100 * BLEND_MIN_WIN);
}

static void print_ranking(FILE *fp, const session_t *s, const scored_t *t)
{
    int k = s->meta.k;
    metrics_aurc_t aj = metrics_aurc(t->n, t->y, t->p, t->score);
    metrics_aurc_t am = metrics_aurc(t->n, t->y, t->p, t->msp);
    double uj = metrics_auroc(t->n, t->y, t->p, t->score);
    double um = metrics_auroc(t->n, t->y, t->p, t->msp);
    fprintf(fp, "Telling Stage 1's errors from its hits (AURC and E-AURC x1000: lower is "
                "better; AUROC: higher is better):\n");
    fprintf(fp, "  %-14s %8s %8s %8s\n", "confidence", "AURC", "E-AURC", "AUROC");
    fprintf(fp, "  %-14s %8.2f %8.2f %8.4f\n", "judge score", 1000 * aj.aurc, 1000 * aj.eaurc, uj);
    fprintf(fp, "  %-14s %8.2f %8.2f %8.4f\n", "MSP", 1000 * am.aurc, 1000 * am.eaurc, um);
    print_calibrated(fp, s, t);
    fprintf(fp, "  %s\n", aj.aurc < am.aurc ? "The judges rank errors better than MSP."
                                           : "MSP ranks errors at least as well as the judges.");
    print_blend(fp, s);
    double *uc = xcalloc(k, sizeof *uc), *mc = xcalloc(k, sizeof *mc);
    metrics_auroc_per_class(t->n, k, t->y, t->p, t->score, uc);
    metrics_auroc_per_class(t->n, k, t->y, t->p, t->msp, mc);
    fprintf(fp, "Per category (test images Stage 1 assigned to it):\n");
    fprintf(fp, "  %-14s %7s %10s %10s %8s\n", "category", "tau", "judge AUROC", "MSP AUROC",
            "S1 acc");
    for (int c = 0; c < k; c++) {
        long n = 0, hit = report_class_hits(t, c, &n);
        fprintf(fp, "  %-14s %7.4f %10.4f %10.4f %7.1f%%\n", s->meta.class_names[c],
                s->meta.tau[c], uc[c], mc[c], n ? 100.0 * hit / n : 0.0);
    }
    free(uc);
    free(mc);
    print_category_aurc(fp, s, t);
}

long report_class_hits(const scored_t *sc, int c, long *n)
{
    long hit = 0;
    *n = 0;
    for (int i = 0; i < sc->n; i++)
        if (sc->y[i] == c) {
            (*n)++;
            hit += sc->p[i] == c;
        }
    return hit;
}

void report_figures(const session_t *s, const scored_t *t, report_figures_t *f)
{
    int k = s->meta.k, n[DATASET_MAX_CLASSES + 1] = {0}, kept[DATASET_MAX_CLASSES + 1] = {0};
    f->k = k;
    for (int i = 0; i < t->n; i++) {
        int c = t->p[i], ok = t->score[i] >= s->meta.tau[c];
        n[c]++, n[k]++;
        kept[c] += ok, kept[k] += ok;
    }
    for (int c = 0; c <= k; c++) {
        f->coverage[c] = n[c] ? (double)kept[c] / n[c] : NAN;
        f->aurc[c] = c < k ? report_category_aurc(t, c, t->score)
                           : 1000 * metrics_aurc(t->n, t->y, t->p, t->score).aurc;
    }
}

void print_before_after(FILE *fp, const session_t *s, const report_figures_t *b,
                        const report_figures_t *a)
{
    fprintf(fp, "Before -> after the retrain (test set, images Stage 1 assigned to each):\n");
    fprintf(fp, "  %-14s %21s %19s\n", "category", "judge AURC x1000", "coverage at tau");
    for (int c = 0; c <= a->k; c++)
        fprintf(fp, "  %-14s %9.2f -> %8.2f %7.1f%% -> %5.1f%%\n",
                c < a->k ? s->meta.class_names[c] : "(pooled)", b->aurc[c], a->aurc[c],
                100 * b->coverage[c], 100 * a->coverage[c]);
}

void print_report(FILE *fp, const session_t *s, const scored_t *t, const scored_t *unseen,
                  const tune_info_t *tune)
{
    int k = s->meta.k, n = t->n;
    int *o = xcalloc(n ? n : 1, sizeof(int)), *tg = xcalloc(n ? n : 1, sizeof(int));
    const char **names = xcalloc(k, sizeof *names);
    for (int c = 0; c < k; c++)
        names[c] = s->meta.class_names[c];
    metrics_outputs(n, k, t->p, t->score, s->meta.tau, o);
    metrics_targets(n, k, t->y, t->p, tg);
    metrics_summary_t ms;
    metrics_summary(n, k, t->y, t->p, o, &ms);
    metrics_report_t rep;
    metrics_report(n, k, tg, o, &rep);

    fprintf(fp, "\nData: %s\n", s->data.description);
    fprintf(fp, "Device: %s\n", s->be->desc);
    static const char *const tta[] = {"none", "mirror (2 views)",
                                      "mirror and 1-pixel shifts (6 views)"};
    fprintf(fp, "Model: Stage 1 '%s' and %d judge%s after %d epoch%s; test-time augmentation: "
                "%s\n", s->meta.arch, k, k == 1 ? "" : "s", s->meta.epoch,
            s->meta.epoch == 1 ? "" : "s", tta[s->cfg.train.tta]);
    print_thresholds(fp, s, tune);
    fprintf(fp, "Test loss: Stage 1 %.4f, judges %.4f\n\n", t->s1_loss, t->j_loss);
    print_selective(fp, &ms, tune);
    fputc('\n', fp);
    print_ranking(fp, s, t);
    if (unseen) {
        fputc('\n', fp);
        print_unseen(fp, s, t, unseen);
    }
    fprintf(fp, "\nClassification report (11-way target t: the true class where Stage 1 "
                "is right, else OTHER):\n");
    metrics_report_print(fp, &rep, names);
    fprintf(fp, "\nConfusion matrix (rows: target t, columns: final output o):\n");
    metrics_confusion_print(fp, k, ms.confusion, names);
    fprintf(fp, "\nFinal Accuracy: %.1f%% (11-way; always-OTHER %.1f%%, never-OTHER %.1f%%)\n",
            100 * ms.acc11, 100 * ms.always_other, 100 * ms.never_other);
    fprintf(fp, "Stage 1 test accuracy: %.1f%%\n", 100 * ms.stage1_acc);
    fflush(fp);
    metrics_report_free(&rep);
    metrics_summary_free(&ms);
    free(names);
    free(o);
    free(tg);
}

int write_predictions(const char *path, const session_t *s, const scored_t *t,
                      const scored_t *unseen, err_t *e)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = fopen(tmp, "w");
    if (!fp)
        return err_set(e, "--predictions %s: cannot create: %s", path, strerror(errno));
    int k = s->meta.k;
    fprintf(fp, "index,label,stage1_pred,msp,judge_score,final\n");
    for (int i = 0; i < t->n; i++) {
        int o = t->score[i] >= s->meta.tau[t->p[i]] ? t->p[i] : k;
        fprintf(fp, "%d,%d,%d,%.9g,%.9g,%d\n", i, t->y[i], t->p[i], t->msp[i], t->score[i], o);
    }
    for (int i = 0; unseen && i < unseen->n; i++) {
        const scored_t *u = unseen;
        int o = u->score[i] >= s->meta.tau[u->p[i]] ? u->p[i] : k;
        fprintf(fp, "%d,unseen,%d,%.9g,%.9g,%d\n", t->n + i, u->p[i], u->msp[i], u->score[i], o);
    }
    if (ferror(fp) | fclose(fp)) {
        unlink(tmp);
        return err_set(e, "--predictions %s: write failed: %s", path, strerror(errno));
    }
    if (rename(tmp, path)) {
        unlink(tmp);
        return err_set(e, "--predictions %s: cannot rename into place: %s", path,
                       strerror(errno));
    }
    return 0;
}

void print_recipe(FILE *fp, const session_t *s)
{
    const train_config_t *o = &s->cfg.train;
    fprintf(fp, "Recipe %s: batch %d, lr %g (warm-up %g epoch%s from %g, then %s), momentum "
                "%g%s, weight decay %g, label smoothing %g, BN-bias lr x%g, lookahead %s; "
                "augmentation %s (translate %d %s, flips %s); test-time augmentation %d\n",
            o->recipe, o->batch_size, o->lr, o->warmup_epochs, o->warmup_epochs == 1 ? "" : "s",
            o->warmup_from, o->lr_schedule,
            o->momentum, o->nesterov ? " Nesterov" : "", o->weight_decay, o->label_smoothing,
            o->bn_bias_lr_scale, o->lookahead ? "on" : "off", o->augment ? "on" : "off",
            o->crop_pad, o->crop_fill, o->flip, o->tta);
}

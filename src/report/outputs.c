/* outputs.c - tuned thresholds, the test report, predictions and plots. */
#include "report/outputs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eval/metrics.h"
#include "report/plot.h"
#include "report/report_json.h"

static void path_in(char *out, size_t len, const char *dir, const char *file)
{
    if (snprintf(out, len, "%s/%s", dir, file) >= (int)len)
        out[0] = 0;
}

int tune_thresholds(session_t *s, const char *spec_str, int per_category, tune_info_t *info,
                    err_t *e)
{
    memset(info, 0, sizeof *info);
    err_t pe;
    if (threshold_parse(spec_str, &info->spec, &pe))
        return err_set(e, "--tune_threshold: %s", pe.msg);
    info->spec.per_category |= per_category;
    session_score_val(s);
    if (s->val.n == 0)
        return err_set(e, "--tune_threshold needs a validation split, but it is empty");
    score_cache_t sc;
    score_cache_build(&sc, s->val.n, s->meta.k, s->val.y, s->val.p, s->val.msp, s->val.score);
    info->unmet = threshold_tune(&sc, &info->spec, s->meta.tau, &info->overall, NULL);
    score_cache_free(&sc);
    info->tuned = 1;
    threshold_format(&info->spec, s->meta.tuned_by, sizeof s->meta.tuned_by);
    return 0;
}

int write_history_plot(session_t *s, err_t *e)
{
    static const char *const want[] = {
        "epoch", "stage1_loss", "stage1_val_loss", "stage1_accuracy", "stage1_val_accuracy",
        "judge_loss", "judge_val_loss", "judge_accuracy", "judge_val_accuracy"};
    enum { NW = sizeof want / sizeof want[0] };
    double *c[NW];
    int rows;
    char path[2100];
    path_in(path, sizeof path, s->cfg.output_dir, "history.csv");
    if (history_read(path, want, NW, c, &rows, e))
        return -1;
    plot_history_t h = {rows, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]};
    path_in(path, sizeof path, s->cfg.output_dir, "training_history.png");
    int rc = plot_history(path, &h, e);
    for (int j = 0; j < NW; j++)
        free(c[j]);
    return rc;
}

/* "τ = 0.70", or "τ per category (0.55 to 0.90)". */
static const char *tau_text(const session_t *s, char *buf, size_t len)
{
    const double *t = s->meta.tau;
    double lo = t[0], hi = t[0];
    for (int c = 1; c < s->meta.k; c++) {
        lo = t[c] < lo ? t[c] : lo;
        hi = t[c] > hi ? t[c] : hi;
    }
    if (lo == hi)
        snprintf(buf, len, "\u03c4 = %.2f", lo);
    else
        snprintf(buf, len, "\u03c4 per category (%.2f to %.2f)", lo, hi);
    return buf;
}

static int confusion_plot(session_t *s, const scored_t *sc, const char *what, err_t *e)
{
    int k = s->meta.k, n = sc->n;
    int *o = xcalloc(n ? n : 1, sizeof(int)), *t = xcalloc(n ? n : 1, sizeof(int));
    metrics_outputs(n, k, sc->p, sc->score, s->meta.tau, o);
    metrics_targets(n, k, sc->y, sc->p, t);
    int64_t *m = xcalloc((size_t)(k + 1) * (k + 1), sizeof *m);
    for (int i = 0; i < n; i++)
        m[(size_t)t[i] * (k + 1) + o[i]]++;
    char **names = xcalloc(k + 1, sizeof *names);
    for (int c = 0; c < k; c++)
        names[c] = s->meta.class_names[c];
    names[k] = "OTHER";
    char title[160], path[2100], tau[48];
    snprintf(title, sizeof title, "Two-stage confusion on the %s set: %d images, %s", what, n,
             tau_text(s, tau, sizeof tau));
    path_in(path, sizeof path, s->cfg.output_dir, "confusion_matrix.png");
    int rc = plot_confusion_axes(path, k + 1, m, names, title,
                                 "Target (the true class where Stage 1 is right, else OTHER)",
                                 "Final output", e);
    free(names);
    free(m);
    free(o);
    free(t);
    return rc;
}

static int risk_plot(session_t *s, const scored_t *sc, const char *what, err_t *e)
{
    int n = sc->n;
    double *cov = xcalloc(n ? n : 1, sizeof(double)), *rj = xcalloc(n ? n : 1, sizeof(double));
    double *rm = xcalloc(n ? n : 1, sizeof(double));
    metrics_rc_curve(n, sc->y, sc->p, sc->score, cov, rj);
    metrics_rc_curve(n, sc->y, sc->p, sc->msp, cov, rm);
    metrics_aurc_t aj = metrics_aurc(n, sc->y, sc->p, sc->score);
    metrics_aurc_t am = metrics_aurc(n, sc->y, sc->p, sc->msp);
    int *o = xcalloc(n ? n : 1, sizeof(int));
    metrics_outputs(n, s->meta.k, sc->p, sc->score, s->meta.tau, o);
    metrics_summary_t ms;
    metrics_summary(n, s->meta.k, sc->y, sc->p, o, &ms);
    char lj[64], lm[64], mark[64], title[96], path[2100];
    snprintf(lj, sizeof lj, "judge score (AURC %.1f)", 1000 * aj.aurc);
    snprintf(lm, sizeof lm, "MSP (AURC %.1f)", 1000 * am.aurc);
    tau_text(s, mark, sizeof mark); /* the plot adds coverage and risk */
    plot_curve_t curves[2] = {
        {lj, n, cov, rj, !ms.none_accepted, ms.coverage, ms.sel_risk, mark},
        {lm, n, cov, rm, 0, 0, 0, NULL}};
    snprintf(title, sizeof title, "Risk-coverage on the %s set", what);
    path_in(path, sizeof path, s->cfg.output_dir, "risk_coverage.png");
    int rc = plot_risk_coverage(path, curves, 2, title, e);
    metrics_summary_free(&ms);
    free(o);
    free(cov);
    free(rj);
    free(rm);
    return rc;
}

int write_score_plots(session_t *s, const scored_t *sc, const char *what, err_t *e)
{
    if (confusion_plot(s, sc, what, e))
        return -1;
    return risk_plot(s, sc, what, e);
}

int write_report_json(const session_t *s, const finish_config_t *f, const scored_t *test,
                      const scored_t *unseen, const tune_info_t *tune, err_t *e)
{
    if (!f->report_json[0])
        return 0;
    json_t *doc = report_json(s, test, unseen, tune);
    if (f->settings)
        json_object_set(doc, "settings", f->settings);
    int rc = report_json_write(f->report_json, doc, e);
    json_decref(doc);
    return rc;
}

/* Where the models went, and which one the report describes. */
static void print_saved(FILE *fp, const session_t *s)
{
    const model_meta_t *m = &s->meta;
    const session_config_t *o = &s->cfg;
    if (s->stopped_early)
        fprintf(fp, "Stopped early after epoch %d: Stage 1's validation accuracy has not "
                    "improved for %d epoch%s (--patience)\n",
                m->epoch, o->train.patience, o->train.patience == 1 ? "" : "s");
    fprintf(fp, "Model saved to %s (after epoch %d; the report below describes it)\n",
            o->save_model, m->epoch);
    if (o->train.save_best && m->best_epoch > 0 && s->run_epochs > 0)
        fprintf(fp, "Best epoch %d (Stage 1 validation accuracy %.1f%%)%s %s.best\n",
                m->best_epoch, 100 * m->best_val_acc,
                m->best_epoch == m->epoch ? ", the same model, also in" : " saved to",
                o->save_model);
}

int finish_run(session_t *s, const finish_config_t *f, err_t *e)
{
    tune_info_t tune = {0};
    const session_config_t *o = &s->cfg;
    session_rescore_val(s);
    if (f->tune_threshold[0] && tune_thresholds(s, f->tune_threshold, f->per_category, &tune, e))
        return -1;
    if ((o->train.epochs > 0 || tune.tuned) && session_save(s, e))
        return -1;
    if (o->train.epochs > 0 && !f->quiet)
        print_saved(stderr, s);
    scored_t test = {0}, unseen = {0};
    session_score(s, &s->data.test, &test);
    if (s->data.has_unseen)
        session_score(s, &s->data.unseen, &unseen);
    const scored_t *u = s->data.has_unseen ? &unseen : NULL;
    print_report(stdout, s, &test, u, &tune);
    int rc = 0;
    if (f->predictions[0] && write_predictions(f->predictions, s, &test, u, e))
        rc = -1;
    if (!rc && write_report_json(s, f, &test, u, &tune, e))
        rc = -1;
    if (!rc && mkdir_p(o->output_dir, e))
        rc = -1;
    if (!rc && write_score_plots(s, &test, "test", e))
        rc = -1;
    scored_free(&test);
    scored_free(&unseen);
    return rc;
}

/* flag's path names a file mscnn can create: not a directory, in an
 * existing directory it can write in. */
static int check_out_file(const char *flag, const char *path, const char *what, err_t *e)
{
    struct stat st;
    char dir[1024];
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return err_set(e, "%s '%s' is a directory; expected the path of a %s file to write",
                       flag, path, what);
    path_parent(path, dir, sizeof dir);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return err_set(e, "%s '%s': the directory '%s' does not exist", flag, path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return err_set(e, "%s '%s': cannot write in '%s': %s", flag, path, dir,
                       strerror(errno));
    return 0;
}

int finish_config_check(const finish_config_t *f, err_t *e)
{
    th_spec_t spec;
    err_t pe;
    if (f->tune_threshold[0] && threshold_parse(f->tune_threshold, &spec, &pe))
        return err_set(e, "--tune_threshold: %s", pe.msg);
    if (f->predictions[0] && check_out_file("--predictions", f->predictions, "CSV", e))
        return -1;
    if (f->report_json[0] && check_out_file("--report_json", f->report_json, "JSON", e))
        return -1;
    if (f->predictions[0] && !strcmp(f->predictions, f->report_json))
        return err_set(e, "--report_json '%s' is also the --predictions file; give each its "
                          "own path", f->report_json);
    return 0;
}

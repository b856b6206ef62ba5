/* report_json.c - --report_json: the final report's figures as JSON, with
 * the model's and the data's identity (the layout: mscnn(1), FILES). Each
 * figure comes from the same metrics calls as the printed report; rates
 * are fractions (the text prints percent), AURC and E-AURC x1000 as the
 * text prints them, NaN as null. */
#include <config.h>

#include "report/report_json.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/metrics.h"
#include "report/report_priv.h"

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }
/* a text as a JSON string, null when it is not UTF-8 */
static json_t *str(const char *v)
{
    json_t *j = json_string(v);
    return j ? j : json_null();
}

static json_t *ranking_row(int n, const scored_t *t, const double *kappa)
{
    metrics_aurc_t a = metrics_aurc(n, t->y, t->p, kappa);
    return json_pack("{s:o, s:o, s:o}", "aurc_x1000", num(1000 * a.aurc), "eaurc_x1000",
                     num(1000 * a.eaurc), "auroc", num(metrics_auroc(n, t->y, t->p, kappa)));
}

static json_t *ranking(const session_t *s, const scored_t *t)
{
    json_t *r = json_object();
    json_object_set_new(r, "judge", ranking_row(t->n, t, t->score));
    json_object_set_new(r, "msp", ranking_row(t->n, t, t->msp));
    double *cal = xcalloc(t->n ? t->n : 1, sizeof *cal);
    json_object_set_new(r, "margin", ranking_row(t->n, t, t->margin));
    if (report_calibrated_scores(s, t, cal))
        json_object_set_new(r, "judge_baseline", ranking_row(t->n, t, cal));
    if (s->have_blend)
        json_object_set_new(r, "pooled_choice",
                            json_pack("{s:f, s:f, s:o}", "lambda", s->blend.lambda, "mu",
                                      s->blend.mu, "bootstrap_win", num(s->blend.win)));
    free(cal);
    double aj = metrics_aurc(t->n, t->y, t->p, t->score).aurc;
    double am = metrics_aurc(t->n, t->y, t->p, t->msp).aurc;
    json_object_set_new(r, "judges_better", json_boolean(aj < am));
    return r;
}

static json_t *aurc_pair(const scored_t *sc, int c, int have)
{
    if (!have)
        return json_pack("{s:n, s:n}", "judge_x1000", "msp_x1000");
    double j = c < 0 ? 1000 * metrics_aurc(sc->n, sc->y, sc->p, sc->score).aurc
                     : report_category_aurc(sc, c, sc->score);
    double m = c < 0 ? 1000 * metrics_aurc(sc->n, sc->y, sc->p, sc->msp).aurc
                     : report_category_aurc(sc, c, sc->msp);
    return json_pack("{s:o, s:o}", "judge_x1000", num(j), "msp_x1000", num(m));
}

static json_t *categories(const session_t *s, const scored_t *t)
{
    int k = s->meta.k, have_val = s->val.n > 0 && s->val.y;
    double *uc = xcalloc(k, sizeof *uc), *mc = xcalloc(k, sizeof *mc);
    metrics_auroc_per_class(t->n, k, t->y, t->p, t->score, uc);
    metrics_auroc_per_class(t->n, k, t->y, t->p, t->msp, mc);
    json_t *a = json_array();
    for (int c = 0; c < k; c++) {
        long n = 0, hit = report_class_hits(t, c, &n);
        json_t *row = json_pack("{s:o, s:o, s:o, s:o, s:o, s:I}", "name",
                                str(s->meta.class_names[c]), "tau", num(s->meta.tau[c]),
                                "judge_auroc", num(uc[c]), "msp_auroc", num(mc[c]),
                                "stage1_accuracy", n ? num((double)hit / n) : json_real(0),
                                "images", (json_int_t)n);
        json_object_set_new(row, "aurc_test", aurc_pair(t, c, 1));
        json_object_set_new(row, "aurc_val", aurc_pair(&s->val, c, have_val));
        const char *kept = s->nhistory ? judge_keep_names[s->last.cat[c].kept] : NULL;
        json_object_set_new(row, "judge_kept", kept ? json_string(kept) : json_null());
        json_array_append_new(a, row);
    }
    free(uc);
    free(mc);
    return a;
}

static json_t *prf(const metrics_prf_t *r, const char *name)
{
    json_t *o = json_pack("{s:o, s:o, s:o, s:I}", "precision", num(r->precision), "recall",
                          num(r->recall), "f1", num(r->f1), "support", (json_int_t)r->support);
    if (name)
        json_object_set_new(o, "name", str(name));
    return o;
}

static json_t *classification(const session_t *s, const metrics_report_t *rep)
{
    json_t *cls = json_array();
    for (int c = 0; c < rep->nclass; c++)
        json_array_append_new(cls, prf(&rep->cls[c], c < s->meta.k ? s->meta.class_names[c]
                                                                   : "OTHER"));
    return json_pack("{s:o, s:o, s:o, s:o}", "classes", cls, "accuracy", num(rep->accuracy),
                     "macro_avg", prf(&rep->macro, NULL), "weighted_avg",
                     prf(&rep->weighted, NULL));
}

static json_t *confusion(int k, const long *m)
{
    json_t *rows = json_array();
    for (int t = 0; t <= k; t++) {
        json_t *row = json_array();
        for (int o = 0; o <= k; o++)
            json_array_append_new(row, json_integer(m[(size_t)t * (k + 1) + o]));
        json_array_append_new(rows, row);
    }
    return rows;
}

static json_t *thresholds(const session_t *s, const tune_info_t *tune)
{
    const model_meta_t *m = &s->meta;
    json_t *tau = json_array();
    int global = 1;
    for (int c = 0; c < m->k; c++) {
        json_array_append_new(tau, num(m->tau[c]));
        global &= m->tau[c] == m->tau[0];
    }
    const char *by = !m->tuned_by[0] ? "threshold" : m->tuned_by;
    json_t *o = json_pack("{s:o, s:b, s:o}", "tau", tau, "global", global, "chosen_by", str(by));
    if (tune && tune->tuned && tune->spec.rule == TH_RULE_RISK && !tune->spec.per_category)
        json_object_set_new(o, "sgr", json_pack("{s:o, s:o, s:o, s:o, s:b}", "target_risk",
                                                num(tune->spec.target), "delta",
                                                num(tune->spec.delta), "bound",
                                                num(tune->overall.bound), "val_coverage",
                                                num(tune->overall.coverage), "met",
                                                tune->overall.met));
    json_object_set_new(o, "unmet_scopes", json_integer(tune && tune->tuned ? tune->unmet : 0));
    return o;
}

/* Telling npos test scores from nneg unseen ones. */
static json_t *detection(int npos, const double *pos, int nneg, const double *neg)
{
    return json_pack("{s:o, s:o}", "auroc", num(metrics_auroc_sets(npos, pos, nneg, neg)),
                     "fpr_at_95tpr", num(metrics_fpr_at_tpr(npos, pos, nneg, neg, 0.95)));
}

static json_t *unseen_part(const session_t *s, const scored_t *t, const scored_t *u)
{
    double thr, mo = report_msp_other_at_coverage(s, t, u, &thr);
    json_t *o = json_pack("{s:I, s:I, s:o, s:o}", "images", (json_int_t)u->n, "held_out_images",
                          (json_int_t)s->data.unseen_held, "other_share_unseen",
                          num(report_share_other(s, u)), "other_share_test",
                          num(report_share_other(s, t)));
    json_object_set_new(o, "held_out_classes", str(s->data.held_names));
    json_object_set_new(o, "ood_data", s->cfg.data.ood_data[0] ? str(s->cfg.data.ood_data)
                                                               : json_null());
    json_object_set_new(o, "msp_threshold_same_coverage", num(thr));
    json_object_set_new(o, "msp_other_share_unseen", num(mo));
    json_object_set_new(o, "judge", detection(t->n, t->score, u->n, u->score));
    json_object_set_new(o, "msp", detection(t->n, t->msp, u->n, u->msp));
    return o;
}

static json_t *identity(const session_t *s)
{
    const model_t *m = s->model;
    const run_data_t *d = &s->data;
    json_t *names = json_array();
    for (int c = 0; c < s->meta.k; c++)
        json_array_append_new(names, str(s->meta.class_names[c]));
    json_t *model = json_pack("{s:o, s:i, s:o, s:i, s:I, s:o, s:o, s:o, s:o, s:i}", "arch",
                              str(s->meta.arch), "classes", s->meta.k, "class_names", names,
                              "epochs", s->meta.epoch, "stage1_parameters",
                              (json_int_t)net_trainable_count(m->stage1), "stage1_mflop",
                              num(net_forward_flops(m->stage1) / 1e6), "judge_mflop",
                              num(net_forward_flops(m->judge) / 1e6), "save_model",
                              str(s->cfg.save_model), "load_model", str(s->cfg.load_model), "tta",
                              s->cfg.train.tta);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)s->meta.split_seed);
    json_object_set_new(model, "split_seed", json_string(seed));
    json_t *data = json_pack("{s:o, s:s, s:i, s:i, s:i, s:i, s:i}", "description",
                             str(d->description), "dataset", s->cfg.data.dataset, "train_images",
                             d->train.n, "judge_images", d->judge.n, "val_images", d->val.n,
                             "test_images", d->test.n, "unseen_images",
                             d->has_unseen ? d->unseen.n : 0);
    return json_pack("{s:o, s:o, s:o}", "model", model, "data", data, "device",
                     str(s->be->desc));
}

static json_t *test_part(const session_t *s, const scored_t *t)
{
    int k = s->meta.k, n = t->n;
    int *o = xcalloc(n ? n : 1, sizeof(int)), *tg = xcalloc(n ? n : 1, sizeof(int));
    metrics_outputs(n, k, t->p, t->score, s->meta.tau, o);
    metrics_targets(n, k, t->y, t->p, tg);
    metrics_summary_t ms;
    metrics_summary(n, k, t->y, t->p, o, &ms);
    metrics_report_t rep;
    metrics_report(n, k, tg, o, &rep);
    json_t *j = json_pack(
        "{s:i, s:{s:o, s:o}, s:{s:o, s:o, s:o, s:o}, s:{s:o, s:I, s:o, s:o, s:b}}", "images", n,
        "loss", "stage1", num(t->s1_loss), "judges", num(t->j_loss), "accuracy", "final_11way",
        num(ms.acc11), "always_other", num(ms.always_other), "never_other", num(ms.never_other),
        "stage1", num(ms.stage1_acc), "selective", "coverage", num(ms.coverage), "accepted",
        (json_int_t)ms.accepted, "selective_accuracy", num(ms.sel_acc), "selective_risk",
        num(ms.sel_risk), "none_accepted", ms.none_accepted);
    json_object_set_new(j, "ranking", ranking(s, t));
    json_object_set_new(j, "categories", categories(s, t));
    json_object_set_new(j, "pooled_aurc_test", aurc_pair(t, -1, 1));
    json_object_set_new(j, "pooled_aurc_val", aurc_pair(&s->val, -1, s->val.n > 0 && s->val.y));
    json_object_set_new(j, "classification_report", classification(s, &rep));
    json_object_set_new(j, "confusion", confusion(k, ms.confusion));
    metrics_report_free(&rep);
    metrics_summary_free(&ms);
    free(o);
    free(tg);
    return j;
}

json_t *report_json(const session_t *s, const scored_t *t, const scored_t *unseen,
                    const tune_info_t *tune)
{
    json_t *ident = identity(s);
    json_t *doc = json_pack("{s:s, s:i, s:s}", "format", "mscnn-report", "format_version", 1,
                            "mscnn_version", PACKAGE_VERSION);
    json_object_update(doc, ident);
    json_decref(ident);
    json_object_set_new(doc, "thresholds", thresholds(s, tune));
    json_object_set_new(doc, "test", test_part(s, t));
    json_object_set_new(doc, "unseen", unseen ? unseen_part(s, t, unseen) : json_null());
    return doc;
}

int report_json_write(const char *path, const json_t *doc, err_t *e)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    if (json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_ENSURE_ASCII)) {
        int err = errno;
        unlink(tmp);
        return err_set(e, "--report_json %s: cannot write '%s': %s", path, tmp,
                       err ? strerror(err) : "jansson failed");
    }
    if (rename(tmp, path)) {
        int err = errno;
        unlink(tmp);
        return err_set(e, "--report_json %s: cannot rename into place: %s", path, strerror(err));
    }
    return 0;
}

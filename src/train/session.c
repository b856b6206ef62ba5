/* session.c - opening, saving and closing a training session. */
#include "train/session.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/registry.h"

#define EVAL_BATCH 256
#define PATH_MAX_LEN 400 /* of a path in the divergence message */

void scored_free(scored_t *s)
{
    free(s->y);
    free(s->p);
    free(s->msp);
    free(s->score);
    free(s->margin);
    memset(s, 0, sizeof *s);
}

int parse_categories(const char *spec, char names[][MODEL_NAME_LEN], int k, int *trainable,
                     err_t *e)
{
    for (int c = 0; c < k; c++)
        trainable[c] = !*spec;
    if (!*spec)
        return 0;
    const char *list[DATASET_MAX_CLASSES];
    for (int c = 0; c < k; c++)
        list[c] = names[c];
    return dataset_parse_classes("--stage2_categories", spec, list, k, trainable, e) < 0 ? -1
                                                                                        : 0;
}

/* ---- the model of the session ------------------------------------------- */

static void meta_fresh(session_t *s)
{
    model_meta_t *m = &s->meta;
    const dataset_t *d = &s->data.train;
    snprintf(m->arch, sizeof m->arch, "%s", s->cfg.train.arch);
    m->k = d->k;
    for (int c = 0; c < m->k; c++) {
        snprintf(m->class_names[c], MODEL_NAME_LEN, "%s", d->class_names[c]);
        m->tau[c] = s->cfg.train.threshold;
        m->trainable[c] = 1;
    }
    snprintf(m->dataset, sizeof m->dataset, "%s", s->data.name);
    snprintf(m->tuned_by, sizeof m->tuned_by, "threshold");
    dataset_channel_stats(d, m->mean, m->std);
    for (int i = 0; i < 3; i++) /* a constant channel must not divide by 0 */
        m->std[i] = m->std[i] > 1e-3f ? m->std[i] : 1.0f;
    rng_seed(&m->rng, s->cfg.train.seed ^ 0x5eed5eed5eedULL);
}

/* Where the images came from, for a later run (a model saved before it was
 * recorded learns it from this run, whose classes matched). */
static void meta_data(session_t *s)
{
    model_data_t *d = &s->meta.data;
    const data_config_t *c = &s->cfg.data;
    if (d->known || s->cfg.no_data)
        return;
    d->known = 1;
    snprintf(d->dir, sizeof d->dir, "%s", s->data.dir);
    d->light_mode = c->light_mode;
    d->cifar100_coarse = c->cifar100_coarse;
    snprintf(d->holdout_classes, sizeof d->holdout_classes, "%s", s->data.held_names);
    d->synth_train = c->synth_train;
    d->synth_test = c->synth_test;
    d->folder_seed = c->folder_seed;
}

static int check_classes(const session_t *s, const char *dir, err_t *e)
{
    const model_meta_t *m = &s->meta;
    const dataset_t *d = &s->data.train;
    int same = m->k == d->k;
    for (int c = 0; same && c < m->k; c++)
        same = !strcmp(m->class_names[c], d->class_names[c]);
    if (!same && (s->data.held_names[0] || m->k < d->k))
        return err_set(e, "%s: the model was trained on %d classes of '%s' (%s, ...) but the "
                          "data has %d classes (%s, ...) with --holdout_classes '%s': give "
                          "the --holdout_classes the model was trained with (the data's "
                          "classes less the model's)", dir, m->k, m->dataset,
                       m->class_names[0], d->k, d->class_names[0], s->data.held_names);
    if (!same)
        return err_set(e, "%s: the model was trained on %d classes of '%s' (%s, ...) but the "
                          "data has %d classes (%s, ...)", dir, m->k, m->dataset,
                       m->class_names[0], d->k, d->class_names[0]);
    return 0;
}

const char *session_start_dir(const char *load_model, const char *save_model, int stage2_only,
                              int resume, err_t *e)
{
    if (load_model[0])
        return load_model;
    if (!stage2_only && !resume)
        return "";
    char ini[2100];
    snprintf(ini, sizeof ini, "%s/model.ini", save_model);
    if (access(ini, F_OK) == 0)
        return save_model;
    if (resume)
        err_set(e, "--resume continues the run saved at --save_model '%s', but there is no "
                   "model there (give --load_model DIR)", save_model);
    else
        err_set(e, "--stage2_only trains the judges of a trained model, but there is none at "
                   "'%s' (give --load_model DIR, or train both stages first)", save_model);
    return NULL;
}

/* air's frozen whitening conv comes from the patch statistics of (up to
 * 5 000) normalised training images; nets without one are left alone. */
static int init_whitening(session_t *s, err_t *e)
{
    if (!net_find_param(s->model->stage1, "stage1.whiten.weight"))
        return 0;
    const dataset_t *d = &s->data.train;
    const net_t *net = s->model->stage1;
    int n = d->n < 5000 ? d->n : 5000;
    int *idx = xmalloc(sizeof(int) * (n ? n : 1)), *labels = xmalloc(sizeof(int) * (n ? n : 1));
    float *images = afloat((size_t)(n ? n : 1) * net->in_c * net->in_h * net->in_w);
    for (int i = 0; i < n; i++)
        idx[i] = i;
    dataset_make_batch(d, idx, n, s->meta.mean, s->meta.std, 0, NULL, images, labels);
    int rc = net_init_whitening(s->model->stage1, images, n, e);
    afree(images);
    free(idx);
    free(labels);
    return rc;
}

static int setup_model(session_t *s, const char *dir, err_t *e)
{
    int max_batch = EVAL_BATCH;
    if (s->cfg.train.batch_size > max_batch)
        max_batch = s->cfg.train.batch_size;
    if (s->cfg.train.judge_batch_size > max_batch)
        max_batch = s->cfg.train.judge_batch_size;
    if (*dir && check_classes(s, dir, e))
        return -2; /* the data asked for does not match the model: a usage error */
    if (!*dir)
        meta_fresh(s);
    const dataset_t *d = &s->data.train; /* the image shape, for every buffer after */
    s->model = model_new(s->be, s->meta.arch, s->meta.k, d->c, d->h, d->w, max_batch, e);
    if (!s->model)
        return -1;
    net_set_norm_lr_scale(s->model->stage1, (float)s->cfg.train.bn_bias_lr_scale);
    if (*dir)
        return model_load_weights(dir, s->model, &s->meta, e);
    model_init(s->model, s->cfg.train.seed);
    return init_whitening(s, e);
}

static void apply_options(session_t *s)
{
    model_meta_t *m = &s->meta;
    if (s->cfg.train.threshold_given || !s->cfg.load_model[0])
        for (int c = 0; c < m->k; c++)
            m->tau[c] = s->cfg.train.threshold;
    if (s->cfg.train.threshold_given)
        snprintf(m->tuned_by, sizeof m->tuned_by, "threshold");
    s->stage1_frozen = s->cfg.train.stage2_only;
}

static int open_history(session_t *s, err_t *e);

/* The epochs this session trains and the schedule they follow: a resumed
 * run continues the model's own (its warm-up, decay and lookahead, to the
 * epoch it planned); any other a fresh one of cfg.train.epochs from here
 * (warm-up only for a fresh model). */
static void plan_run(session_t *s)
{
    model_meta_t *m = &s->meta;
    s->start_epoch = m->epoch;
    if (s->cfg.train.resume) {
        s->sched_start = m->run_start;
        s->sched_epochs = m->run_epochs;
        s->run_epochs = m->run_start + m->run_epochs - m->epoch;
        s->stage1_frozen = m->stage1_frozen;
        return;
    }
    s->sched_start = m->epoch;
    s->run_epochs = s->sched_epochs = s->cfg.train.epochs;
    if (s->run_epochs > 0) { /* a new run: a fresh lookahead, its own best epoch */
        lookahead_free(&s->model->la);
        m->best_epoch = 0;
    } /* (evaluating keeps a saved run's lookahead, should it be saved again) */
}

/* no_data: an empty training set of the model's classes, for the shape. */
static int no_data(session_t *s, const char *dir, err_t *e)
{
    if (!*dir)
        return err_set(e, "scoring without data needs a trained model (--load_model)");
    const char *names[DATASET_MAX_CLASSES];
    for (int c = 0; c < s->meta.k; c++)
        names[c] = s->meta.class_names[c];
    dataset_t *d = &s->data.train;
    d->c = 3;
    d->h = d->w = 32;
    d->k = s->meta.k;
    d->class_names = dataset_copy_names(names, s->meta.k);
    snprintf(s->data.name, sizeof s->data.name, "%s", s->meta.dataset);
    snprintf(s->data.description, sizeof s->data.description, "images given by the caller");
    return 0;
}

static void alloc_scratch(session_t *s)
{
    size_t b = (size_t)s->model->stage1->max_batch;
    s->gather_x = afloat(b * s->tr.img_floats);
    s->gather_probs = afloat(b * s->meta.k);
    s->gather_right = xcalloc(b, sizeof(int));
    s->gather_scores = xcalloc(b, sizeof(double));
    s->gather_offset = xcalloc(b, sizeof(double));
}

/* The backend's precision: --precision, auto taking bf16 for the air
 * recipe where the backend has it natively. */
static int open_precision(session_t *s, err_t *e)
{
    char warning[BACKEND_DESC_LEN + 96];
    const char *precision = s->cfg.precision[0] ? s->cfg.precision : "auto";
    if (backend_set_precision(s->be, precision, !strcmp(s->cfg.train.recipe, "air"), warning,
                              sizeof warning, e))
        return -1;
    if (warning[0])
        fprintf(stderr, "mscnn: warning: --precision bf16: %s\n", warning);
    return 0;
}

int session_open(session_t *s, const session_config_t *o, err_t *e)
{
    memset(s, 0, sizeof *s);
    s->cfg = *o;
    const char *dir = session_start_dir(o->load_model, o->save_model, o->train.stage2_only,
                                        o->train.resume, e);
    if (!dir)
        return -1;
    if (*dir && model_load_meta(dir, &s->meta, e))
        return -1;
    uint64_t seed = *dir ? s->meta.split_seed : o->data.split_seed;
    double holdout = *dir ? s->meta.judge_holdout : o->data.judge_holdout;
    if (!*dir) {
        s->meta.split_seed = seed;
        s->meta.judge_holdout = holdout;
    }
    s->cfg.data.split_seed = seed;
    s->cfg.data.judge_holdout = holdout;
    int rc = o->no_data ? no_data(s, dir, e) : run_data_load(&s->cfg.data, &s->data, e);
    if (rc)
        return rc;
    s->be = backend_open(o->device, o->threads, e);
    if (!s->be || open_precision(s, e))
        return -1;
    if ((rc = setup_model(s, dir, e)))
        return rc;
    meta_data(s);
    /* the model's own seed, so a resumed run draws the masks it would have */
    s->model->stage1->dropout_seed = s->meta.split_seed ^ 0xd20f0a75ULL;
    /* a resumed run keeps the model's judge flags unless told otherwise */
    if ((!o->train.resume || o->train.stage2_categories[0]) &&
        parse_categories(o->train.stage2_categories, s->meta.class_names, s->meta.k,
                         s->meta.trainable, e))
        return -2;
    apply_options(s);
    trainer_init(&s->tr, &s->cfg.train, s->model, s->meta.mean, s->meta.std);
    alloc_scratch(s);
    plan_run(s);
    return o->score_only ? 0 : open_history(s, e);
}

void session_close(session_t *s)
{
    history_close(&s->hist);
    if (s->tr.be)
        trainer_free(&s->tr);
    model_free(s->model);
    backend_free(s->be);
    run_data_free(&s->data);
    scored_free(&s->val);
    free(s->history);
    free(s->order);
    afree(s->pool_probs);
    free(s->pool_z);
    free(s->pool_margin);
    free(s->pool_pred);
    free(s->pool_right);
    free(s->plan);
    free(s->plan_idx);
    afree(s->gather_x);
    afree(s->gather_probs);
    free(s->gather_right);
    free(s->gather_scores);
    free(s->gather_offset);
    memset(s, 0, sizeof *s);
}

int session_save(session_t *s, err_t *e)
{
    if (session_diverged(s))
        return err_set(e, "not saving the model to '%s': %s", s->cfg.save_model,
                       s->diverged.msg);
    if (s->run_epochs > 0) { /* the run this session trains, for a resume */
        s->meta.run_start = s->sched_start;
        s->meta.run_epochs = s->sched_epochs;
        s->meta.stage1_frozen = s->stage1_frozen;
    }
    s->meta.partial_epoch = s->epoch_open; /* a save from the workbench */
    return model_save(s->cfg.save_model, s->model, &s->meta, e);
}

int session_epochs_left(const session_t *s)
{
    return s->start_epoch + s->run_epochs - s->meta.epoch;
}

int session_start_line(const session_t *s, char *buf, size_t len)
{
    buf[0] = 0;
    if (s->start_epoch == 0)
        return 0;
    if (s->cfg.train.resume)
        snprintf(buf, len, "Resuming the run after epoch %d of %d (its own schedule)%s",
                 s->start_epoch, s->sched_start + s->sched_epochs,
                 s->meta.partial_epoch ? "; the model was saved partway through the next "
                                         "epoch, so this is close to the planned run, not "
                                         "identical" : "");
    else if (s->run_epochs > 0)
        snprintf(buf, len, "Fine-tuning from epoch %d: %d epoch%s on a fresh schedule",
                 s->start_epoch, s->run_epochs, s->run_epochs == 1 ? "" : "s");
    else
        snprintf(buf, len, "Evaluating the model saved after epoch %d", s->start_epoch);
    return 1;
}

int session_diverged(const session_t *s) { return s->diverged.msg[0] != '\0'; }

void session_set_diverged(session_t *s, const char *hint, const char *fmt, ...)
{
    if (session_diverged(s))
        return; /* the first cause is the one to tell */
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char kept[PATH_MAX_LEN + 64];
    const char *start = session_start_dir(s->cfg.load_model, s->cfg.save_model,
                                          s->cfg.train.stage2_only, s->cfg.train.resume, NULL);
    if (s->meta.epoch > s->start_epoch || (start && !strcmp(start, s->cfg.save_model)))
        snprintf(kept, sizeof kept, "the model saved to '%.*s' after epoch %d is kept",
                 PATH_MAX_LEN, s->cfg.save_model, s->meta.epoch);
    else
        snprintf(kept, sizeof kept, "nothing was saved in this run");
    err_set(&s->diverged, "training diverged: %s; %s (lower %s)", what, kept, hint);
}

/* ---- history.csv -------------------------------------------------------- */

static const char *const base_cols[] = {
    "epoch", "stage1_loss", "stage1_accuracy", "stage1_val_loss", "stage1_val_accuracy",
    "judge_loss", "judge_accuracy", "judge_val_loss", "judge_val_accuracy", "lr", "judge_lr",
    "seconds", "images_per_s", "bf16", "val_tta", "stage1_val_accuracy_no_tta"};
#define NBASE ((int)(sizeof base_cols / sizeof base_cols[0]))
static const char *const cat_cols[] = {"stage1_val_accuracy", "judge_loss", "judge_accuracy",
                                       "judge_val_accuracy", "trainable"};
#define NCAT ((int)(sizeof cat_cols / sizeof cat_cols[0]))

static int open_history(session_t *s, err_t *e)
{
    if (mkdir_p(s->cfg.output_dir, e))
        return -1;
    int k = s->meta.k, n = NBASE + NCAT * k;
    char **cols = xcalloc(n, sizeof *cols);
    for (int i = 0; i < NBASE; i++)
        cols[i] = xstrdup(base_cols[i]);
    for (int c = 0; c < k; c++)
        for (int j = 0; j < NCAT; j++) {
            char buf[MODEL_NAME_LEN + 32];
            snprintf(buf, sizeof buf, "%s_%s", cat_cols[j], s->meta.class_names[c]);
            cols[NBASE + c * NCAT + j] = xstrdup(buf);
        }
    int rc = history_open(&s->hist, s->cfg.output_dir, (const char *const *)cols, n,
                          s->start_epoch > 0 ? s->start_epoch : -1, e);
    for (int i = 0; i < n; i++)
        free(cols[i]);
    free(cols);
    return rc;
}

int session_history_row(session_t *s, err_t *e)
{
    const epoch_stats_t *st = &s->last;
    int k = s->meta.k;
    double *row = xcalloc(NBASE + NCAT * k, sizeof *row);
    double base[NBASE] = {st->epoch, st->s1_loss, st->s1_acc, st->s1_val_loss, st->s1_val_acc,
                          st->j_loss, st->j_acc, st->j_val_loss, st->j_val_acc, st->lr,
                          st->judge_lr, st->seconds, st->img_s, s->be->bf16, st->val_tta,
                          st->s1_val_acc_plain};
    memcpy(row, base, sizeof base);
    for (int c = 0; c < k; c++) {
        const cat_stats_t *cs = &st->cat[c];
        double v[NCAT] = {cs->s1_val_acc, cs->judge_loss, cs->judge_acc, cs->val_judge_acc,
                          s->meta.trainable[c]};
        memcpy(row + NBASE + c * NCAT, v, sizeof v);
    }
    int rc = history_write(&s->hist, row, e);
    free(row);
    return rc;
}

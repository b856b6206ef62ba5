/* setup.c - each layer's config from the settings. */
#include "setup/setup.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/model_io.h"

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

void setup_data_config(const options_t *o, data_config_t *c)
{
    memset(c, 0, sizeof *c);
    COPY(c->dataset, o->dataset);
    COPY(c->data_dir, o->data_dir);
    c->cifar100_coarse = !strcmp(o->cifar100_labels, "coarse");
    c->light_mode = o->light_mode;
    c->val_fraction = o->val_fraction;
    c->val_light = o->val_light;
    c->synth_train = o->synth_train;
    c->synth_test = o->synth_test;
    c->folder_seed = o->seed;
    c->split_seed = o->seed;
    c->judge_holdout = o->judge_holdout;
    COPY(c->holdout_classes, o->holdout_classes);
    COPY(c->ood_data, o->ood_data);
}

void setup_train_config(const options_t *o, train_config_t *c)
{
    memset(c, 0, sizeof *c);
    COPY(c->arch, o->arch);
    COPY(c->recipe, o->recipe);
    c->seed = o->seed;
    c->epochs = o->epochs;
    c->batch_size = o->batch_size;
    c->lr = o->lr;
    c->momentum = o->momentum;
    c->nesterov = o->nesterov;
    c->weight_decay = o->weight_decay;
    c->label_smoothing = o->label_smoothing;
    c->warmup_epochs = o->warmup_epochs;
    c->warmup_from = o->warmup_from;
    COPY(c->lr_schedule, o->lr_schedule);
    c->bn_bias_lr_scale = o->bn_bias_lr_scale;
    c->lookahead = o->lookahead;
    c->tta = o->tta;
    c->epoch_tta = o->epoch_tta;
    c->augment = o->augment;
    c->crop_pad = o->crop_pad;
    COPY(c->crop_fill, o->crop_fill);
    COPY(c->flip, o->flip);
    c->resume = o->resume;
    c->save_best = o->save_best;
    c->patience = o->patience;
    c->stage2_only = o->stage2_only;
    COPY(c->stage2_categories, o->stage2_categories);
    c->threshold = o->threshold;
    c->threshold_given = o->threshold_given;
    c->judge_batch_size = o->judge_batch_size;
    c->judge_passes = o->judge_passes;
    c->judge_lr = o->judge_lr;
    c->judge_momentum = o->judge_momentum;
    c->judge_weight_decay = o->judge_weight_decay;
}

void setup_finish_config(const options_t *o, finish_config_t *c)
{
    memset(c, 0, sizeof *c);
    COPY(c->tune_threshold, o->tune_threshold);
    c->per_category = o->per_category;
    COPY(c->predictions, o->predictions);
    COPY(c->report_json, o->report_json);
    c->quiet = o->quiet;
}

/* path made absolute and normalised: ".", ".." and repeated or trailing
 * slashes resolved, and symbolic links in its longest existing prefix
 * (realpath), so two spellings of one directory compare equal. */
static void normalise_path(const char *path, char *out, size_t n)
{
    char abs[PATH_MAX * 2], lex[PATH_MAX * 2] = "";
    char cwd[PATH_MAX] = "/";
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    snprintf(abs, sizeof abs, "%s/%s", path[0] == '/' ? "" : cwd, path);
    size_t len = 0;
    for (char *tok = strtok(abs, "/"); tok; tok = strtok(NULL, "/")) {
        if (!strcmp(tok, "."))
            continue;
        if (!strcmp(tok, "..")) {
            char *slash = strrchr(lex, '/');
            len = slash ? (size_t)(slash - lex) : 0;
            lex[len] = '\0';
            continue;
        }
        len += (size_t)snprintf(lex + len, sizeof lex - len, "/%s", tok);
        if (len >= sizeof lex)
            len = sizeof lex - 1;
    }
    if (!len)
        snprintf(lex, sizeof lex, "/");
    /* the longest prefix that exists, through realpath; the rest as written */
    char prefix[sizeof lex], real[PATH_MAX];
    snprintf(prefix, sizeof prefix, "%s", lex);
    for (;;) {
        if (realpath(*prefix ? prefix : "/", real)) {
            const char *rest = lex + strlen(prefix);
            snprintf(out, n, "%s%s", strcmp(real, "/") || !*rest ? real : "", rest);
            return;
        }
        char *slash = strrchr(prefix, '/');
        if (!slash) {
            snprintf(out, n, "%s", lex);
            return;
        }
        *slash = '\0';
    }
}

/* --output_dir must not be the model directory or inside it: every save
 * replaces that directory, and history.csv and the plots with it. */
static int check_output_dir(const options_t *o, err_t *e)
{
    char out[PATH_MAX * 2], model[PATH_MAX * 2];
    normalise_path(o->output_dir, out, sizeof out);
    normalise_path(o->save_model, model, sizeof model);
    size_t n = strlen(model);
    if (strncmp(out, model, n) || (out[n] != '\0' && out[n] != '/' && strcmp(model, "/")))
        return 0;
    err_set(e, "--output_dir '%s' is %s --save_model '%s': each save replaces the model "
               "directory, which would delete history.csv and the plots; give --output_dir "
               "a directory outside the model's", o->output_dir,
            out[n] ? "inside the model directory" : "the same directory as", o->save_model);
    return -2;
}

/* The data settings the command line and the INI file left alone take the
 * loaded model's ([data] of its model.ini): the same images, the same
 * subset and the same held-out classes, wherever the run starts from. A
 * recorded directory that is gone is not adopted (the usual search runs). */
static void adopt_model_data(options_t *r, const model_meta_t *m, data_config_t *c)
{
    const model_data_t *d = &m->data;
    char num[32];
    if (!d->known)
        return;
    int same_kind = options_adopt(r, "data", "dataset", m->dataset) >= 0 &&
                    !strcmp(r->dataset, m->dataset);
    struct stat st;
    if (same_kind && d->dir[0] && stat(d->dir, &st) == 0 && S_ISDIR(st.st_mode))
        options_adopt(r, "data", "data_dir", d->dir);
    options_adopt(r, "data", "light_mode", d->light_mode ? "1" : "0");
    options_adopt(r, "data", "holdout_classes", d->holdout_classes);
    if (!strcmp(m->dataset, "cifar100"))
        options_adopt(r, "data", "cifar100_labels", d->cifar100_coarse ? "coarse" : "fine");
    if (!strcmp(m->dataset, "synth")) {
        snprintf(num, sizeof num, "%d", d->synth_train);
        options_adopt(r, "data", "synth_train", num);
        snprintf(num, sizeof num, "%d", d->synth_test);
        options_adopt(r, "data", "synth_test", num);
    }
    setup_data_config(r, c);
    if (same_kind && !strcmp(m->dataset, "folder"))
        c->folder_seed = d->folder_seed;
}

/* --resume continues an unfinished run as it was planned: refuses a run
 * that has ended and flags that contradict it. */
static int check_resume(const options_t *o, const char *dir, const model_meta_t *m, err_t *e)
{
    int end = m->run_start + m->run_epochs;
    if (m->epoch >= end)
        return err_set(e, "--resume: the model in '%s' has completed its run (epoch %d of "
                          "%d); there is nothing to resume (without --resume, --load_model "
                          "'%s' --epochs N trains N more epochs on a fresh schedule)",
                       dir, m->epoch, end, dir);
    if (o->epochs_given && o->epochs != m->run_epochs)
        return err_set(e, "--resume continues the run in '%s' as it was planned: %d epochs "
                          "(after epoch %d), %d done; --epochs %d would change its schedule "
                          "(give --epochs %d or leave it out)",
                       dir, m->run_epochs, m->run_start, m->epoch - m->run_start, o->epochs,
                       m->run_epochs);
    if (o->stage2_only && !m->stage1_frozen)
        return err_set(e, "--resume continues the run in '%s', which trains Stage 1 too; "
                          "drop --stage2_only (or --resume, to train the judges alone on a "
                          "fresh schedule)", dir);
    return 0;
}

int setup_session_config(const options_t *o, session_config_t *c, err_t *e)
{
    memset(c, 0, sizeof *c);
    if (check_output_dir(o, e) || setup_preflight(o, e))
        return -2;
    const char *dir = session_start_dir(o->load_model, o->save_model, o->stage2_only,
                                        o->resume, e);
    if (!dir)
        return -1;
    model_meta_t meta = {0};
    if (*dir && model_load_meta(dir, &meta, e))
        return -1;
    if (o->resume && check_resume(o, dir, &meta, e))
        return -2;
    options_t r = *o;
    if (o->resume)
        r.epochs = meta.run_epochs; /* the run's length, as it was planned */
    options_apply_recipe(&r, *dir ? meta.arch : o->arch);
    setup_data_config(&r, &c->data);
    if (*dir)
        adopt_model_data(&r, &meta, &c->data);
    setup_train_config(&r, &c->train);
    COPY(c->device, r.device);
    COPY(c->precision, r.precision);
    c->threads = r.threads;
    COPY(c->load_model, r.load_model);
    COPY(c->save_model, r.save_model);
    COPY(c->output_dir, r.output_dir);
    return 0;
}

struct json_t *setup_settings_json(const options_t *o, const char *arch)
{
    options_t r = *o;
    options_apply_recipe(&r, arch);
    return options_to_json(&r);
}

int setup_session_open(session_t *s, const options_t *o, err_t *e)
{
    session_config_t c;
    int rc = setup_session_config(o, &c, e);
    if (rc) {
        memset(s, 0, sizeof *s);
        return rc;
    }
    return session_open(s, &c, e);
}

/* run.c - the headless run: load data and model, train, save, report. */
#include <config.h>

#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_select.h"
#include "history.h"
#include "model_io.h"
#include "report.h"
#include "train.h"

#define EVAL_BATCH 256

typedef struct {
    const options_t *opt;
    run_data_t data;
    backend_t *be;
    net_t *net;
    model_meta_t meta;
    history_t hist;
} run_t;

static void meta_fresh(run_t *r)
{
    model_meta_t *m = &r->meta;
    memset(m, 0, sizeof *m);
    m->split_seed = r->opt->seed;
    snprintf(m->arch, sizeof m->arch, "%s", r->opt->arch);
    m->k = r->data.train.k;
    for (int c = 0; c < m->k; c++)
        snprintf(m->class_names[c], MODEL_NAME_LEN, "%s", r->data.train.class_names[c]);
    snprintf(m->dataset, sizeof m->dataset, "%s", r->data.name);
    dataset_channel_stats(&r->data.train, m->mean, m->std);
    for (int i = 0; i < 3; i++) /* a constant channel must not divide by 0 */
        m->std[i] = m->std[i] > 1e-3f ? m->std[i] : 1.0f;
    rng_seed(&m->rng, r->opt->seed ^ 0x5eed5eed5eedULL);
}

static int check_classes(const run_t *r, err_t *e)
{
    const model_meta_t *m = &r->meta;
    const dataset_t *d = &r->data.train;
    int same = m->k == d->k;
    for (int c = 0; same && c < m->k; c++)
        same = !strcmp(m->class_names[c], d->class_names[c]);
    if (!same)
        return err_set(e, "%s: the model was trained on %d classes of '%s' (%s, ...) but the "
                          "data has %d classes (%s, ...)", r->opt->load_model, m->k, m->dataset,
                       m->class_names[0], d->k, d->class_names[0]);
    return 0;
}

static int setup_model(run_t *r, err_t *e)
{
    const options_t *o = r->opt;
    int max_batch = o->batch_size > EVAL_BATCH ? o->batch_size : EVAL_BATCH;
    if (o->load_model[0]) {
        if (check_classes(r, e))
            return -1;
    } else {
        meta_fresh(r);
    }
    net_spec_t spec = {.arch = r->meta.arch, .prefix = "stage1.", .k = r->meta.k,
                       .in_c = 3, .in_h = 32, .in_w = 32, .max_batch = max_batch};
    r->net = net_new(r->be, &spec, e);
    if (!r->net)
        return -1;
    if (o->load_model[0])
        return model_load_weights(o->load_model, r->net, &r->meta, e);
    net_init(r->net, o->seed);
    return 0;
}

static int open_history(run_t *r, err_t *e)
{
    if (mkdir_p(r->opt->output_dir, e))
        return -1;
    const char *cols[] = {"epoch", "stage1_loss", "stage1_accuracy", "stage1_val_loss",
                          "stage1_val_accuracy", "lr", "seconds", "images_per_s"};
    return history_open(&r->hist, r->opt->output_dir, cols, 8, r->opt->load_model[0] != 0, e);
}

static void print_banner(const run_t *r)
{
    const net_t *net = r->net;
    fprintf(stderr, "mscnn %s: Stage 1 '%s' (%.2f M parameters, %.1f MFLOP/image) on %s "
                    "(%d threads)\n", PACKAGE_VERSION, net->arch,
            net_trainable_count(net) / 1e6, net_forward_flops(net) / 1e6, r->be->name,
            r->be->threads);
    fprintf(stderr, "Data: %s\n", r->data.description);
    if (r->opt->load_model[0])
        fprintf(stderr, "Resuming from %s after epoch %d\n", r->opt->load_model, r->meta.epoch);
}

/* Trains the run's epochs; 0 done, 1 error, 130 stopped. */
static int train_epochs(run_t *r, volatile sig_atomic_t *stop, err_t *e)
{
    const options_t *o = r->opt;
    int total = r->meta.epoch + o->epochs;
    trainer_t t;
    progress_t prog;
    trainer_init(&t, o, r->be, r->net, &r->meta, o->epochs);
    progress_init(&prog, total);
    t.on_step = progress_step;
    t.cb_user = &prog;
    t.stop = stop;
    eval_t val = {0};
    int rc = 0;
    for (int i = 0; i < o->epochs && !rc; i++) {
        epoch_stats_t st;
        if (trainer_epoch(&t, &r->data.train, &r->data.val, &st, &val)) {
            progress_clear(&prog);
            fprintf(stderr, "mscnn: stopped during epoch %d; %s\n", r->meta.epoch + 1,
                    r->meta.epoch > t.start_epoch
                        ? "the model saved after the last completed epoch is kept"
                        : "nothing was saved in this run");
            rc = 130;
            break;
        }
        progress_clear(&prog);
        print_epoch_line(stderr, &st, total);
        double row[8] = {st.epoch, st.loss, st.acc, st.val_loss, st.val_acc, st.lr,
                         st.seconds, st.img_s};
        if (history_write(&r->hist, row, e) || model_save(o->save_model, r->net, &r->meta, e))
            rc = 1;
    }
    eval_free(&val);
    trainer_free(&t);
    return rc;
}

static void final_report(run_t *r)
{
    trainer_t t;
    trainer_init(&t, r->opt, r->be, r->net, &r->meta, 0);
    eval_t test = {0};
    evaluate(&t, &r->data.test, &test);
    print_report(stdout, &test, r->data.test.class_names, r->data.description);
    eval_free(&test);
    trainer_free(&t);
}

int run_batch(const options_t *o, volatile sig_atomic_t *stop)
{
    run_t r = {.opt = o};
    err_t e = {{0}};
    int rc = 1;
    if (o->load_model[0] && model_load_meta(o->load_model, &r.meta, &e))
        goto fail;
    if (run_data_load(o, o->load_model[0] ? r.meta.split_seed : o->seed, &r.data, &e))
        goto fail;
    r.be = backend_new("cpu", o->threads);
    if (setup_model(&r, &e) || open_history(&r, &e))
        goto fail;
    print_banner(&r);
    rc = train_epochs(&r, stop, &e);
    if (rc == 1)
        goto fail;
    if (rc == 0) {
        if (o->epochs > 0)
            fprintf(stderr, "Model saved to %s\n", o->save_model);
        final_report(&r);
    }
    goto done;
fail:
    fprintf(stderr, "mscnn: %s\n", e.msg);
    rc = 1;
done:
    history_close(&r.hist);
    net_free(r.net);
    backend_free(r.be);
    run_data_free(&r.data);
    return rc;
}

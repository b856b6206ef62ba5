/* run.c - the headless run: train both stages, tune tau, save, report. */
#include <config.h>

#include "cli/run.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/outputs.h"
#include "report/report.h"
#include "setup/setup.h"
#include "train/session.h"

static void print_banner(const session_t *s)
{
    const model_t *m = s->model;
    fprintf(stderr, "mscnn %s: Stage 1 '%s' (%.2f M parameters, %.1f MFLOP/image) and %d "
                    "judges (%.1f MFLOP/image each) on %s\n",
            PACKAGE_VERSION, s->meta.arch, net_trainable_count(m->stage1) / 1e6,
            net_forward_flops(m->stage1) / 1e6, m->k, net_forward_flops(m->judge) / 1e6,
            s->be->desc);
    if (*s->be->note)
        fprintf(stderr, "Device: %s\n", s->be->note);
    fprintf(stderr, "Data: %s\n", s->data.description);
    print_recipe(stderr, s);
    char line[256];
    if (session_start_line(s, line, sizeof line))
        fprintf(stderr, "%s\n", line);
    if (s->cfg.train.epochs > 0)
        print_training_status(stderr, s);
}

/* Trains the run's epochs: 0 done, 1 error, 130 stopped by a signal.
 * quiet: no progress and no epoch lines. */
static int train(session_t *s, const options_t *o, volatile sig_atomic_t *stop, err_t *e)
{
    progress_t prog;
    progress_init(&prog, o->quiet, o->progress_every);
    for (;;) {
        int rc = session_step(s, e);
        if (rc < 0) {
            progress_clear(&prog);
            return 1;
        }
        if (session_epoch_done(s)) {
            progress_clear(&prog);
            if (!o->quiet)
                print_epoch_line(stderr, &s->last);
            if (write_history_plot(s, e))
                fprintf(stderr, "mscnn: warning: %s\n", e->msg);
        } else if (rc > 0 && progress_due(&prog)) {
            session_sync(s);
            progress_draw(&prog, s);
        }
        if (rc == 0)
            return 0;
        if (*stop) {
            progress_clear(&prog);
            /* live.epoch is the last epoch begun: the one in progress, or
             * the one just completed and saved when the stop came at its end */
            int saved = s->meta.epoch > s->start_epoch;
            if (s->live.epoch <= s->meta.epoch)
                fprintf(stderr, "mscnn: stopped after epoch %d; the model saved after it "
                                "is kept\n", s->meta.epoch);
            else
                fprintf(stderr, "mscnn: stopped during epoch %d; %s\n", s->live.epoch,
                        saved ? "the model saved after the last completed epoch is kept"
                              : "nothing was saved in this run");
            if (saved && session_epochs_left(s) > 0)
                fprintf(stderr, "mscnn: to finish the run, give the same command with "
                                "--resume (%d epochs are left)\n", session_epochs_left(s));
            return 130;
        }
    }
}

int run_batch(const options_t *o, volatile sig_atomic_t *stop)
{
    session_t s;
    err_t e = {{0}};
    int rc = setup_session_open(&s, o, &e);
    if (rc) {
        fprintf(stderr, "mscnn: %s\n", e.msg);
        session_close(&s);
        return rc == -2 ? 2 : 1;
    }
    if (!o->quiet)
        print_banner(&s);
    rc = train(&s, o, stop, &e);
    finish_config_t fin;
    setup_finish_config(o, &fin);
    fin.settings = o->report_json[0] ? setup_settings_json(o, s.meta.arch) : NULL;
    if (rc == 0)
        rc = finish_run(&s, &fin, &e) ? 1 : 0;
    json_decref(fin.settings);
    if (rc == 1)
        fprintf(stderr, "mscnn: %s\n", e.msg);
    session_close(&s);
    return rc;
}

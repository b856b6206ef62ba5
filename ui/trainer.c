/* trainer.c - the workbench's training thread (see trainer.h for the
 * threads and the lock). It owns the session: steps, commands between
 * steps, the outputs a --batch run writes, and the snapshots. */
#include <config.h>

#include "ui/trainer.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/outputs.h"
#include "report/report.h"

#define TAKE_MAX 16

typedef struct {
    wb_trainer_t *t;
    int paused, idle, quit, finished, error;
    unsigned long applied;
    long steps;
    int published_history; /* s->nhistory at the last publish of `last` */
    double synced;         /* when live's Stage 1 sums were last read */
    double step_x;         /* x of the last step point published */
} loop_t;

static wb_state_t state_of(const loop_t *l)
{
    if (l->error)
        return WB_ERROR;
    if (l->finished)
        return WB_FINISHED;
    return l->paused ? WB_PAUSED : WB_TRAINING;
}

/* Seconds left in the run, every phase of every epoch left and the test
 * set's scoring (report/progress.h: the batch run's ETA). */
static double estimate_eta(const session_t *s)
{
    eta_input_t in;
    eta_input_of(s, now_seconds(), &in);
    return eta_seconds(&in);
}

/* A step point of Stage 1's running figures (under the lock, after a sync). */
static void push_step(loop_t *l)
{
    const session_t *s = l->t->s;
    const epoch_stats_t *e = &s->live;
    if (!s->epoch_open || e->phase != PHASE_STAGE1 || e->step <= 0 || e->steps <= 0 ||
        isnan(e->s1_loss))
        return;
    double x = e->epoch - 1 + (double)e->step / e->steps;
    if (x <= l->step_x)
        return;
    wb_curves_t *c = &l->t->sh.curves;
    ui_ring_push(&c->step[WB_STEP_LOSS], x, e->s1_loss);
    ui_ring_push(&c->step[WB_STEP_ACC], x, e->s1_acc);
    ui_ring_push(&c->step[WB_STEP_LR], x, e->lr);
    l->step_x = x;
    l->t->sh.snap.curves_version++;
}

static void publish(loop_t *l, wb_state_t state)
{
    wb_trainer_t *t = l->t;
    session_t *s = t->s;
    wb_snap_t *p = &t->sh.snap;
    int k = s->meta.k;
    double eta = estimate_eta(s), now = now_seconds();
    int fresh = 0;
    if (state != WB_TRAINING || now - l->synced >= 0.1) { /* a few reads a second */
        session_sync(s);
        l->synced = now;
        fresh = 1;
    }
    pthread_mutex_lock(&t->sh.mu);
    if (fresh)
        push_step(l);
    p->state = state;
    p->paused = l->paused;
    p->epoch_open = s->epoch_open;
    if (s->epoch_open)
        p->live = s->live;
    if (l->published_history != s->nhistory) {
        p->last = s->last;
        p->nhistory = s->nhistory;
        l->published_history = s->nhistory;
    }
    p->start_epoch = s->start_epoch;
    p->last_epoch = s->start_epoch + s->run_epochs;
    p->stage1_frozen = s->stage1_frozen;
    memcpy(p->tau, s->meta.tau, sizeof(double) * k);
    memcpy(p->trainable, s->meta.trainable, sizeof(int) * k);
    snprintf(p->tuned_by, sizeof p->tuned_by, "%.63s", s->meta.tuned_by);
    p->eta = state == WB_TRAINING ? eta : NAN;
    p->steps = l->steps;
    p->applied_seq = l->applied;
    pthread_mutex_unlock(&t->sh.mu);
}

static void set_error(loop_t *l, const char *what, const char *msg)
{
    wb_trainer_t *t = l->t;
    wb_shared_notice(&t->sh, "error: %s: %s", what, msg);
    pthread_mutex_lock(&t->sh.mu);
    snprintf(t->sh.snap.error, sizeof t->sh.snap.error, "%.40s: %.100s", what, msg);
    pthread_mutex_unlock(&t->sh.mu);
}

static void clear_error(loop_t *l)
{
    pthread_mutex_lock(&l->t->sh.mu);
    l->t->sh.snap.error[0] = '\0';
    pthread_mutex_unlock(&l->t->sh.mu);
}

/* Copies s->val for the UI to re-threshold. */
static void publish_val(wb_trainer_t *t)
{
    const scored_t *v = &t->s->val;
    if (!v->y)
        return;
    pthread_mutex_lock(&t->sh.mu);
    wb_scores_copy(&t->sh.val, v->n, v->k, v->y, v->p, v->msp, v->score);
    t->sh.snap.val_version++;
    pthread_mutex_unlock(&t->sh.mu);
}

static void push_curves(wb_trainer_t *t, const epoch_stats_t *st)
{
    const double y[WB_NSERIES] = {
        [WB_S1_LOSS] = st->s1_loss, [WB_S1_VAL_LOSS] = st->s1_val_loss,
        [WB_J_LOSS] = st->j_loss,   [WB_J_VAL_LOSS] = st->j_val_loss,
        [WB_S1_ACC] = st->s1_acc,   [WB_S1_VAL_ACC] = st->s1_val_acc,
        [WB_J_ACC] = st->j_acc,     [WB_J_VAL_ACC] = st->j_val_acc,
        [WB_LR] = st->stage1_frozen ? NAN : st->lr};
    pthread_mutex_lock(&t->sh.mu);
    for (int i = 0; i < WB_NSERIES; i++)
        ui_ring_push(&t->sh.curves.r[i], st->epoch, y[i]);
    t->sh.snap.curves_version++;
    pthread_mutex_unlock(&t->sh.mu);
}

/* Text a report.h printer writes, into the log. */
static void log_printed(wb_trainer_t *t, void (*print)(FILE *, const session_t *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        return;
    print(fp, t->s);
    fclose(fp);
    wb_shared_log_text(&t->sh, buf);
    free(buf);
}

static void print_epoch(FILE *fp, const session_t *s) { print_epoch_line(fp, &s->last); }

/* With --holdout_classes or --ood_data: the unseen images against the
 * validation split (the test set waits for the final report). */
static void log_unseen(wb_trainer_t *t)
{
    session_t *s = t->s;
    if (!s->data.has_unseen || !s->data.unseen.n || !s->val.n)
        return;
    scored_t u = {0};
    session_score(s, &s->data.unseen, &u);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (fp) {
        print_unseen_line(fp, s, &s->val, "validation", &u);
        fclose(fp);
        wb_shared_log_text(&t->sh, buf);
        free(buf);
    }
    scored_free(&u);
}

static void on_epoch_end(loop_t *l)
{
    wb_trainer_t *t = l->t;
    err_t e = {{0}};
    log_printed(t, print_epoch);
    log_unseen(t);
    t->changed = 0; /* the session saved the model with the epoch */
    if (write_history_plot(t->s, &e))
        wb_shared_log(&t->sh, "warning: %s", e.msg);
    push_curves(t, &t->s->last);
    publish_val(t);
}

static void log_banner(wb_trainer_t *t)
{
    const session_t *s = t->s;
    const model_t *m = s->model;
    wb_shared_log(&t->sh, "mscnn %s: Stage 1 '%s' (%.2f M parameters) and %d judges on %s",
                  PACKAGE_VERSION, s->meta.arch, net_trainable_count(m->stage1) / 1e6, m->k,
                  s->be->desc);
    if (*s->be->note)
        wb_shared_log(&t->sh, "Device: %s", s->be->note);
    wb_shared_log(&t->sh, "Data: %s", s->data.description);
    log_printed(t, print_recipe);
    char line[256];
    if (session_start_line(s, line, sizeof line))
        wb_shared_log(&t->sh, "%s", line);
    log_printed(t, print_training_status);
}

static void save(loop_t *l, const char *why)
{
    wb_trainer_t *t = l->t;
    err_t e = {{0}};
    if (session_save(t->s, &e)) {
        set_error(l, "saving the model", e.msg);
        t->exit_status = 1;
        return;
    }
    t->changed = 0;
    wb_shared_notice(&t->sh, "Model saved to %s (%s; %d epoch%s completed)", t->s->cfg.save_model,
                  why, t->s->meta.epoch, t->s->meta.epoch == 1 ? "" : "s");
}

/* After a retrain: each category's judge AURC and coverage before and
 * after, in the log. */
static void log_before_after(wb_trainer_t *t, const scored_t *test)
{
    report_figures_t now;
    report_figures(t->s, test, &now);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = t->have_figures ? open_memstream(&buf, &len) : NULL;
    if (fp) {
        print_before_after(fp, t->s, &t->figures, &now);
        fclose(fp);
        wb_shared_log_raw(&t->sh, buf);
        free(buf);
    }
    t->figures = now;
    t->have_figures = 1;
}

/* Before a retrain's plots replace them: the earlier ones as
 * NAME_before_retrain.png. */
static void keep_plots_before(wb_trainer_t *t)
{
    static const char *const names[] = {"confusion_matrix", "risk_coverage"};
    for (int i = 0; i < 2; i++) {
        char from[2200], to[2200];
        snprintf(from, sizeof from, "%s/%s.png", t->s->cfg.output_dir, names[i]);
        snprintf(to, sizeof to, "%s/%s_before_retrain.png", t->s->cfg.output_dir, names[i]);
        if (rename(from, to) == 0)
            wb_shared_log(&t->sh, "Kept the plot before the retrain as %s", to);
    }
}

/* The end of the run's epochs: what finish_run() does in --batch, with the
 * report going to the log (and printed on stdout after the screen closes). */
static void finish(loop_t *l)
{
    wb_trainer_t *t = l->t;
    session_t *s = t->s;
    const finish_config_t *f = &t->fin;
    const session_config_t *o = &s->cfg;
    err_t e = {{0}};
    tune_info_t tune = {0};
    publish(l, WB_FINISHING);
    wb_shared_notice(&t->sh, "Training done: scoring the test set");
    if (session_rescore_val(s)) /* stopped before the last epoch */
        publish_val(t);
    if (f->tune_threshold[0] && !t->manual_tau) {
        if (tune_thresholds(s, f->tune_threshold, f->per_category, &tune, &e))
            set_error(l, "tuning tau", e.msg);
        else
            publish_val(t);
    }
    if (t->changed || tune.tuned)
        save(l, "end of training");
    const model_meta_t *m = &s->meta;
    if (s->stopped_early)
        wb_shared_log(&t->sh, "Stopped early after epoch %d: Stage 1's validation accuracy has "
                              "not improved for %d epochs (--patience)", m->epoch,
                      o->train.patience);
    if (o->train.save_best && m->best_epoch > 0 && m->best_epoch != m->epoch)
        wb_shared_log(&t->sh, "Best epoch %d (Stage 1 validation accuracy %.1f%%) saved to "
                              "%s.best; the report describes epoch %d", m->best_epoch,
                      100 * m->best_val_acc, o->save_model, m->epoch);
    scored_t test = {0}, unseen = {0};
    session_score(s, &s->data.test, &test);
    if (s->data.has_unseen)
        session_score(s, &s->data.unseen, &unseen);
    const scored_t *u = s->data.has_unseen ? &unseen : NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (fp) {
        print_report(fp, s, &test, u, &tune);
        fclose(fp);
        wb_shared_log(&t->sh, "---- test report (printed again when mscnn exits) ----");
        wb_shared_log_raw(&t->sh, buf);
        free(t->report_before);
        t->report_before = t->report; /* a retrain keeps the report before it */
        t->report = buf;
    }
    log_before_after(t, &test);
    if (t->report_before)
        keep_plots_before(t);
    if (f->predictions[0] && write_predictions(f->predictions, s, &test, u, &e))
        set_error(l, "--predictions", e.msg);
    if (write_report_json(s, f, &test, u, &tune, &e))
        set_error(l, "--report_json", e.msg);
    if (mkdir_p(o->output_dir, &e) || write_score_plots(s, &test, "test", &e))
        set_error(l, "plots", e.msg);
    else
        wb_shared_notice(&t->sh, "Wrote confusion_matrix.png and risk_coverage.png in %s",
                      o->output_dir);
    scored_free(&test);
    scored_free(&unseen);
    pthread_mutex_lock(&t->sh.mu);
    t->sh.snap.have_report = 1;
    pthread_mutex_unlock(&t->sh.mu);
}

static void retrain(loop_t *l)
{
    wb_trainer_t *t = l->t;
    session_t *s = t->s;
    char names[1024] = "";
    size_t used = 0;
    int n = 0;
    for (int c = 0; c < s->meta.k; c++)
        if (s->meta.trainable[c]) {
            int w = snprintf(names + used, sizeof names - used, "%s%s", n ? ", " : "",
                             s->meta.class_names[c]);
            if (w > 0 && (size_t)w < sizeof names - used)
                used += (size_t)w;
            n++;
        }
    if (session_diverged(s)) {
        wb_shared_notice(&t->sh, "Retrain: training diverged, the weights in memory are not "
                                 "finite; quit and start again with a lower learning rate");
        return;
    }
    if (n == 0) {
        wb_shared_notice(&t->sh, "Retrain: no judge is checked (Space checks one, a checks all)");
        return;
    }
    int epochs = s->cfg.train.epochs > 0 ? s->cfg.train.epochs : 1;
    session_retrain_judges(s, epochs);
    l->idle = l->finished = l->error = l->paused = 0;
    clear_error(l);
    wb_shared_notice(&t->sh, "Retraining %d judge%s (%s) for %d epoch%s, Stage 1 frozen%s", n,
                  n == 1 ? "" : "s", names, epochs, epochs == 1 ? "" : "s",
                  s->epoch_open ? ", after the current epoch" : "");
}

static void apply(loop_t *l, const wb_cmd_t *c)
{
    wb_trainer_t *t = l->t;
    session_t *s = t->s;
    int k = s->meta.k;
    switch (c->kind) {
    case WB_CMD_TRAINABLE:
        for (int j = 0; j < k; j++)
            if (c->c < 0 || c->c == j)
                session_set_trainable(s, j, c->on);
        if (c->c < 0)
            wb_shared_notice(&t->sh, "%s (from the next step)",
                          c->on ? "Every judge trainable" : "Every judge frozen");
        else if (c->c < k)
            wb_shared_notice(&t->sh, "Judge %s: %s (from the next step)", s->meta.class_names[c->c],
                          c->on ? "trainable" : "frozen");
        t->changed = 1;
        break;
    case WB_CMD_TAU:
        for (int j = 0; j < k && j < c->k; j++)
            s->meta.tau[j] = c->tau[j] < 0 ? 0 : c->tau[j] > 1 ? 1 : c->tau[j];
        snprintf(s->meta.tuned_by, sizeof s->meta.tuned_by, "%s", c->tuned_by);
        t->manual_tau = t->changed = 1;
        break;
    case WB_CMD_PAUSE:
        if (l->finished || l->error) {
            wb_shared_notice(&t->sh, "Nothing to pause: training is %s",
                          l->error ? "stopped by an error" : "done (r retrains judges)");
            break;
        }
        l->paused = !l->paused;
        wb_shared_notice(&t->sh, "%s", l->paused ? "Paused" : "Resumed");
        break;
    case WB_CMD_RETRAIN:
        retrain(l);
        break;
    case WB_CMD_SAVE:
        save(l, "on request");
        break;
    case WB_CMD_QUIT:
        l->quit = 1;
        break;
    }
    l->applied = c->seq;
}

static void step(loop_t *l)
{
    wb_trainer_t *t = l->t;
    err_t e = {{0}};
    int rc = session_step(t->s, &e);
    t->changed = 1;
    l->steps++;
    if (rc < 0) {
        set_error(l, "training", e.msg);
        t->exit_status = 1;
        l->error = l->idle = 1;
        if (session_diverged(t->s))
            t->changed = 0; /* the weights in memory are not finite: nothing to save */
        return;
    }
    if (session_epoch_done(t->s))
        on_epoch_end(l);
    if (rc == 0) {
        finish(l);
        l->finished = l->idle = 1;
    }
}

static void *thread_main(void *arg)
{
    loop_t l = {.t = arg};
    wb_trainer_t *t = l.t;
    session_t *s = t->s;
    log_banner(t);
    if (t->loaded && s->data.val.n > 0) { /* thresholds work before the first epoch */
        session_score(s, &s->data.val, &s->val);
        publish_val(t);
    }
    publish(&l, WB_TRAINING);
    while (!l.quit) {
        wb_cmd_t cmd[TAKE_MAX];
        int n = wb_shared_take(&t->sh, cmd, TAKE_MAX, l.paused || l.idle);
        for (int i = 0; i < n && !l.quit; i++)
            apply(&l, &cmd[i]);
        if (l.quit)
            break;
        if (!l.paused && !l.idle)
            step(&l);
        publish(&l, state_of(&l));
    }
    publish(&l, WB_STOPPING);
    if (session_diverged(s))
        wb_shared_notice(&t->sh, "Not saved on quit: %s", s->diverged.msg);
    else if (t->changed)
        save(&l, "on quit");
    else if (t->s->meta.epoch > 0 || t->loaded)
        wb_shared_notice(&t->sh, "Model saved to %s is up to date (%d epoch%s completed)",
                      t->s->cfg.save_model, t->s->meta.epoch, t->s->meta.epoch == 1 ? "" : "s");
    else
        wb_shared_notice(&t->sh, "Nothing was trained: no model saved");
    publish(&l, WB_STOPPED);
    return NULL;
}

static void fill_static(wb_trainer_t *t)
{
    const session_t *s = t->s;
    wb_snap_t *p = &t->sh.snap;
    p->state = WB_STARTING;
    p->k = s->meta.k;
    for (int c = 0; c < s->meta.k; c++)
        snprintf(p->class_names[c], MODEL_NAME_LEN, "%s", s->meta.class_names[c]);
    snprintf(p->device, sizeof p->device, "%s", s->be->desc);
    snprintf(p->dataset, sizeof p->dataset, "%s", s->data.name);
    snprintf(p->save_dir, sizeof p->save_dir, "%s", s->cfg.save_model);
    p->start_epoch = s->start_epoch;
    p->last_epoch = s->start_epoch + s->run_epochs;
    p->stage1_frozen = s->stage1_frozen;
    memcpy(p->tau, s->meta.tau, sizeof(double) * s->meta.k);
    memcpy(p->trainable, s->meta.trainable, sizeof(int) * s->meta.k);
    snprintf(p->tuned_by, sizeof p->tuned_by, "%.63s", s->meta.tuned_by);
}

int wb_trainer_start(wb_trainer_t *t, session_t *s, const finish_config_t *fin, err_t *e)
{
    memset(t, 0, sizeof *t);
    t->s = s;
    t->fin = *fin;
    t->loaded = s->start_epoch > 0 || s->cfg.load_model[0] || s->cfg.train.stage2_only;
    if (wb_shared_init(&t->sh))
        return err_set(e, "cannot create the lock the training thread needs");
    fill_static(t);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGWINCH);
    sigaddset(&block, SIGTSTP); /* ncurses' handler must run in the UI thread */
    pthread_sigmask(SIG_BLOCK, &block, &old); /* the new thread inherits the mask */
    int rc = pthread_create(&t->thread, NULL, thread_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        wb_shared_destroy(&t->sh);
        return err_set(e, "cannot start the training thread: %s", strerror(rc));
    }
    t->started = 1;
    return 0;
}

void wb_trainer_join(wb_trainer_t *t)
{
    if (!t->started)
        return;
    pthread_join(t->thread, NULL);
    t->started = 0;
    wb_shared_destroy(&t->sh);
}

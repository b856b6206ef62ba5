/* session_epoch.c - an epoch of the two-stage model, one step at a time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/session.h"

/* Learning-rate factor at `progress` epochs into the schedule's run
 * (0..sched_epochs): linear warm-up from warmup_from (runs from a fresh
 * model only), then the configured decay. */
static double schedule(const session_t *s, double progress)
{
    const train_config_t *o = &s->cfg.train;
    double total = s->sched_epochs > 0 ? s->sched_epochs : 1;
    double warm = s->sched_start == 0 ? fmin(o->warmup_epochs, total) : 0.0;
    if (progress < warm)
        return o->warmup_from + (1.0 - o->warmup_from) * progress / warm;
    double frac = total > warm ? (progress - warm) / (total - warm) : 0.0;
    if (!strcmp(o->lr_schedule, "linear"))
        return 1.0 - frac;
    if (!strcmp(o->lr_schedule, "cosine"))
        return 0.5 * (1.0 + cos(M_PI * frac));
    return 1.0;
}

/* "NaN", "+Inf" or "-Inf". */
static const char *nonfinite_name(double v) { return isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf"; }

static int batch_steps(int n, int bs) { return (n + bs - 1) / bs; }

/* The judge pool is the judge split, labelled by Stage 1. */
static int pool_size(const session_t *s) { return s->data.judge.n; }

int session_epoch_tta(const session_t *s, int epoch)
{
    const train_config_t *o = &s->cfg.train;
    if (epoch >= s->start_epoch + s->run_epochs || o->patience > 0)
        return o->tta;
    return o->epoch_tta < o->tta ? o->epoch_tta : o->tta;
}

/* Pool steps of this epoch: none while the pool is Stage 1's answer at
 * the epoch's level. */
static int pool_steps(const session_t *s)
{
    int fresh = s->pool_fresh && s->pool_tta == s->live.val_tta;
    return fresh ? 0 : batch_steps(pool_size(s), s->tr.max_batch);
}

/* Ends the phase in progress (adding its time) and starts ph. */
static void set_phase(session_t *s, phase_t ph, int steps)
{
    double now = now_seconds();
    if (s->live.phase < PHASE_IDLE && s->phase_t0 > 0)
        s->live.phase_seconds[s->live.phase] += now - s->phase_t0;
    s->phase_t0 = now;
    s->live.phase = ph;
    s->live.step = 0;
    s->live.steps = steps;
}

static void shuffled_order(session_t *s, int n)
{
    s->order = xrealloc(s->order, sizeof(int) * (n ? n : 1));
    for (int i = 0; i < n; i++)
        s->order[i] = i;
    rng_shuffle(&s->meta.rng, s->order, n);
}

/* The augmentation of Stage 1's training images (for_pool 0) or of the
 * judges' images (1: alternating flips become random ones there, as the
 * judges see several views of each image per epoch). NULL when off. */
static const augment_t *augmentation(const session_t *s, int for_pool, augment_t *aug)
{
    const train_config_t *o = &s->cfg.train;
    if (!o->augment)
        return NULL;
    aug->pad = o->crop_pad;
    aug->reflect = !strcmp(o->crop_fill, "reflect");
    aug->flip = !strcmp(o->flip, "none")        ? FLIP_NONE
                : !strcmp(o->flip, "random") || for_pool ? FLIP_RANDOM
                                                         : FLIP_ALTERNATE;
    aug->epoch = s->meta.epoch;
    aug->flip_key = s->meta.split_seed ^ 0xf11bf11bf11bULL;
    return aug;
}

/* Lookahead runs over this run's Stage 1 steps; it ends (the weights
 * become the slow copy) after the last epoch's Stage 1 phase, or when
 * Stage 1 is frozen partway. */
static void lookahead_begin(session_t *s)
{
    if (!s->cfg.train.lookahead || s->model->la.slow)
        return; /* off, or running (a resumed run's too) */
    long per_epoch = batch_steps(s->data.train.n, s->cfg.train.batch_size);
    lookahead_init(&s->model->la, s->model->stage1, per_epoch * s->sched_epochs);
}

static void lookahead_end(session_t *s)
{
    if (!s->model->la.slow)
        return;
    s->pool_fresh = 0;
    lookahead_finish(&s->model->la, s->model->stage1);
    lookahead_free(&s->model->la);
}

static void begin_epoch(session_t *s)
{
    memset(&s->live, 0, sizeof s->live);
    s->live.epoch = s->meta.epoch + 1;
    s->live.last_epoch = s->start_epoch + s->run_epochs;
    s->live.stage1_frozen = s->stage1_frozen;
    s->live.val_tta = session_epoch_tta(s, s->live.epoch);
    s->live.s1_loss = s->live.s1_acc = NAN;
    s->s1_seen = 0;
    s->s1_stale = 0;
    trainer_stats_reset(&s->tr, STATS_STAGE1);
    memset(s->judge_loss_sum, 0, sizeof s->judge_loss_sum);
    memset(s->judge_correct, 0, sizeof s->judge_correct);
    memset(s->judge_seen, 0, sizeof s->judge_seen);
    memset(s->judged, 0, sizeof s->judged);
    s->t0 = now_seconds();
    s->phase_t0 = s->t0;
    s->epoch_open = 1;
    double progress = s->meta.epoch - s->sched_start;
    s->live.judge_lr = s->cfg.train.judge_lr * schedule(s, progress + 0.5);
    if (s->stage1_frozen) {
        lookahead_end(s);
        set_phase(s, PHASE_POOL, pool_steps(s));
    } else {
        lookahead_begin(s);
        shuffled_order(s, s->data.train.n);
        set_phase(s, PHASE_STAGE1, batch_steps(s->data.train.n, s->cfg.train.batch_size));
    }
}

static void update_clock(session_t *s, long images)
{
    s->live.seconds = now_seconds() - s->t0;
    s->live.img_s = s->live.seconds > 0 ? images / s->live.seconds : 0;
}

static void step_stage1(session_t *s)
{
    int n = s->data.train.n, bs = s->cfg.train.batch_size, i = s->live.step;
    int b = (i + 1) * bs <= n ? bs : n - i * bs;
    rng_t *rng = &s->meta.rng;
    augment_t aug;
    trainer_load(&s->tr, &s->data.train, s->order + (size_t)i * bs, b,
                 augmentation(s, 0, &aug), rng);
    double progress = s->meta.epoch - s->sched_start + (double)i / s->live.steps;
    s->live.lr = s->cfg.train.lr * schedule(s, progress);
    stage1_step(&s->tr, b, (float)s->live.lr, (uint64_t)s->meta.step);
    lookahead_step(&s->model->la, s->model->stage1);
    s->pool_fresh = 0;
    s->meta.step++;
    s->s1_seen += b;
    s->s1_stale = 1;
    update_clock(s, s->s1_seen);
    if (++s->live.step == s->live.steps) {
        session_sync(s); /* once a phase: a NaN loss stops here, not in the judges */
        if (s->meta.epoch + 1 >= s->start_epoch + s->run_epochs)
            lookahead_end(s);
        set_phase(s, PHASE_POOL, pool_steps(s));
    }
}

static void pool_alloc(session_t *s)
{
    int n = pool_size(s), k = s->meta.k, passes = s->cfg.train.judge_passes;
    if (s->pool_n == n && s->pool_probs)
        return;
    afree(s->pool_probs);
    s->pool_n = n;
    s->pool_probs = afloat((size_t)(n ? n : 1) * k);
    s->pool_z = xrealloc(s->pool_z, sizeof(double) * (n ? n : 1));
    s->pool_pred = xrealloc(s->pool_pred, sizeof(int) * (n ? n : 1));
    s->pool_right = xrealloc(s->pool_right, sizeof(int) * (n ? n : 1));
    s->plan_idx = xrealloc(s->plan_idx, sizeof(int) * ((size_t)n * passes + 1));
    s->plan = xrealloc(s->plan, sizeof(int) * 3 * ((size_t)n * passes + k + 1));
}

/* Groups the pool by Stage 1's prediction into judge mini-batches of the
 * trainable categories: judge_passes shuffled passes over each category's
 * images, the batches in a shuffled order. */
static void make_plan(session_t *s)
{
    int k = s->meta.k, jb = s->cfg.train.judge_batch_size, used = 0;
    s->nplan = 0;
    for (int c = 0; c < k; c++) {
        if (!s->meta.trainable[c])
            continue;
        int first = used;
        for (int pass = 0; pass < s->cfg.train.judge_passes; pass++) {
            int from = used;
            for (int i = 0; i < s->pool_n; i++)
                if (s->pool_pred[i] == c)
                    s->plan_idx[used++] = i;
            rng_shuffle(&s->meta.rng, s->plan_idx + from, used - from);
        }
        for (int at = first; at < used; at += jb) {
            int *p = s->plan + 3 * s->nplan++;
            p[0] = c, p[1] = at, p[2] = used - at < jb ? used - at : jb;
        }
    }
    for (int i = s->nplan - 1; i > 0; i--) { /* shuffle whole batches */
        int j = (int)rng_below(&s->meta.rng, (uint32_t)i + 1);
        for (int f = 0; f < 3; f++) {
            int t = s->plan[3 * i + f];
            s->plan[3 * i + f] = s->plan[3 * j + f];
            s->plan[3 * j + f] = t;
        }
    }
}

/* The pool: the judge split, unaugmented, through Stage 1 with the
 * evaluation's test-time views, so the judges learn from the answers
 * they will judge. */
static void step_pool(session_t *s)
{
    if (s->live.step == 0) {
        pool_alloc(s);
        s->order = xrealloc(s->order, sizeof(int) * (s->pool_n ? s->pool_n : 1));
        for (int i = 0; i < s->pool_n; i++)
            s->order[i] = i;
    }
    int k = s->meta.k, mb = s->tr.max_batch, start = s->live.step * mb;
    int b = s->pool_n - start < mb ? s->pool_n - start : mb;
    trainer_load(&s->tr, &s->data.judge, s->order + start, b, NULL, NULL);
    stage1_infer(&s->tr, b, s->live.val_tta);
    memcpy(s->pool_probs + (size_t)start * k, s->tr.probs_host, sizeof(float) * k * b);
    for (size_t i = 0; i < (size_t)b * k; i++)
        if (!isfinite(s->tr.probs_host[i])) {
            session_set_diverged(s, "--lr", "Stage 1's output is %s at epoch %d, pool step %d of %d",
                                 nonfinite_name(s->tr.probs_host[i]), s->live.epoch,
                                 s->live.step + 1, s->live.steps);
            break;
        }
    for (int i = 0; i < b; i++) {
        const float *pr = s->tr.probs_host + (size_t)i * k;
        int p = argmax_row(pr, k);
        s->pool_pred[start + i] = p;
        s->pool_right[start + i] = p == s->tr.labels_host[i];
        s->pool_z[start + i] = msp_logit(pr[p]);
    }
    if (++s->live.step == s->live.steps) {
        s->pool_fresh = 1;
        s->pool_tta = s->live.val_tta;
    }
}

/* After the pool: calibrate and plan the judges. */
static void begin_judges(session_t *s)
{
    pool_alloc(s);
    memcpy(s->judged, s->meta.trainable, sizeof s->judged);
    stage2_calibrate(s);
    make_plan(s);
    set_phase(s, PHASE_JUDGES, s->nplan);
}

/* Pool rows idx[0..b) into the gather buffers: each image in a fresh
 * augmented view, with Stage 1's answer on the unaugmented one. */
static void gather_pool(session_t *s, int c, const int *idx, int b)
{
    int k = s->meta.k, lab[b];
    augment_t aug;
    dataset_make_batch_aug(&s->data.judge, idx, b, s->tr.mean, s->tr.std,
                           augmentation(s, 1, &aug), &s->meta.rng, s->gather_x, lab);
    const double *ab = s->meta.calib[c];
    for (int i = 0; i < b; i++) {
        memcpy(s->gather_probs + (size_t)i * k, s->pool_probs + (size_t)idx[i] * k,
               sizeof(float) * k);
        s->gather_right[i] = s->pool_right[idx[i]];
        s->gather_offset[i] = judge_offset(ab, s->pool_z[idx[i]], s->pool_margin[idx[i]]);
    }
}

static void summarise_judges(session_t *s)
{
    double loss = 0;
    long correct = 0, seen = 0;
    for (int c = 0; c < s->meta.k; c++) {
        cat_stats_t *cs = &s->live.cat[c];
        cs->judge_n = (int)s->judge_seen[c];
        cs->judge_loss = cs->judge_n ? s->judge_loss_sum[c] / cs->judge_n : NAN;
        cs->judge_acc = cs->judge_n ? (double)s->judge_correct[c] / cs->judge_n : NAN;
        loss += s->judge_loss_sum[c];
        correct += s->judge_correct[c];
        seen += s->judge_seen[c];
    }
    s->live.j_loss = seen ? loss / seen : NAN;
    s->live.j_acc = seen ? (double)correct / seen : NAN;
}

/* One planned judge mini-batch (skipped when its judge was switched off
 * since the plan was made). */
static void train_planned_batch(session_t *s, const int *plan)
{
    int c = plan[0], b = plan[2], correct = 0;
    if (!s->meta.trainable[c])
        return;
    gather_pool(s, c, s->plan_idx + plan[1], b);
    double loss = judge_step(&s->tr, c, s->gather_x, s->gather_probs, s->gather_offset,
                             s->gather_right, b, (float)s->live.judge_lr, 1, NULL, &correct);
    if (!isfinite(loss))
        session_set_diverged(s, "--judge_lr", "judge '%s' loss is %s at epoch %d, judge step %d of %d",
                             s->meta.class_names[c], nonfinite_name(loss), s->live.epoch,
                             s->live.step + 1, s->live.steps);
    s->judge_loss_sum[c] += loss;
    s->judge_correct[c] += correct;
    s->judge_seen[c] += b;
    summarise_judges(s);
    update_clock(s, s->stage1_frozen ? s->data.judge.n : s->s1_seen);
}

static void step_judges(session_t *s)
{
    if (s->live.steps > 0)
        train_planned_batch(s, s->plan + 3 * s->live.step);
    if (s->live.steps == 0 || ++s->live.step == s->live.steps) {
        summarise_judges(s);
        scored_free(&s->val);
        set_phase(s, PHASE_VAL, batch_steps(s->data.val.n, s->tr.max_batch));
    }
}

/* The pooled choice for every judge that trained this epoch (frozen ones
 * stay bit-identical; one switched off during the epoch still gets its
 * choice), then the validation judge loss and hits of the kept scores. */
static void select_judges(session_t *s)
{
    scored_t *v = &s->val;
    stage2_select(s);
    s->val_j_sum = 0;
    s->val_j_correct = 0;
    for (int i = 0; i < v->n; i++) {
        int right = v->p[i] == v->y[i];
        double q = right ? v->score[i] : 1 - v->score[i];
        s->val_j_sum += -log(q > 1e-300 ? q : 1e-300);
        s->val_j_correct += (v->score[i] >= 0.5) == right;
    }
}

/* Per-category and overall validation figures from s->val. */
static void summarise_val(session_t *s)
{
    const scored_t *v = &s->val;
    int k = s->meta.k, n = v->n;
    long hit = 0, per_n[DATASET_MAX_CLASSES] = {0}, per_hit[DATASET_MAX_CLASSES] = {0};
    long jn[DATASET_MAX_CLASSES] = {0}, jhit[DATASET_MAX_CLASSES] = {0};
    for (int i = 0; i < n; i++) {
        int right = v->p[i] == v->y[i];
        hit += right;
        per_n[v->y[i]]++;
        per_hit[v->y[i]] += right;
        jn[v->p[i]]++;
        jhit[v->p[i]] += (v->score[i] >= 0.5f) == right;
    }
    s->live.s1_val_loss = n ? s->val_s1_sum / n : NAN;
    s->live.s1_val_acc = n ? (double)hit / n : NAN;
    s->live.s1_val_acc_plain = n ? (double)v->plain_hits / n : NAN;
    s->live.j_val_loss = n ? s->val_j_sum / n : NAN;
    s->live.j_val_acc = n ? (double)s->val_j_correct / n : NAN;
    for (int c = 0; c < k; c++) {
        cat_stats_t *cs = &s->live.cat[c];
        cs->s1_val_acc = per_n[c] ? (double)per_hit[c] / per_n[c] : NAN;
        cs->val_n = (int)jn[c];
        cs->val_judge_acc = jn[c] ? (double)jhit[c] / jn[c] : NAN;
    }
}

void session_sync(session_t *s)
{
    if (!s->s1_stale)
        return;
    double loss, hits;
    trainer_stats(&s->tr, STATS_STAGE1, &loss, &hits);
    s->live.s1_loss = loss / s->s1_seen;
    s->live.s1_acc = hits / s->s1_seen;
    s->s1_stale = 0;
    if (!isfinite(loss)) { /* the sums are read every few steps: it turned by this one */
        int bs = s->cfg.train.batch_size;
        int steps = batch_steps(s->data.train.n, bs), step = (int)((s->s1_seen + bs - 1) / bs);
        session_set_diverged(s, "--lr", "Stage 1 loss is %s at epoch %d, step %d of %d",
                             nonfinite_name(loss), s->live.epoch, step, steps);
    }
}

/* Before an epoch counts (history row, save): its losses and every weight
 * must be finite. Returns 0 or -1 with s diverged. */
static int check_epoch(session_t *s)
{
    session_sync(s);
    if (session_diverged(s))
        return -1;
    int ep = s->live.epoch;
    if (!isfinite(s->val_s1_sum))
        session_set_diverged(s, "--lr", "Stage 1 validation loss is %s at epoch %d",
                             nonfinite_name(s->val_s1_sum), ep);
    else if (!isfinite(s->val_j_sum))
        session_set_diverged(s, "--judge_lr", "judge validation loss is %s at epoch %d",
                             nonfinite_name(s->val_j_sum), ep);
    else {
        err_t w = {{0}};
        if (model_check_finite(s->model, &w))
            session_set_diverged(s, strncmp(w.msg, "tensor judge.", 13) ? "--lr" : "--judge_lr",
                                 "%s at the end of epoch %d", w.msg, ep);
    }
    return session_diverged(s) ? -1 : 0;
}

/* The best epoch of the run so far: the highest Stage 1 validation
 * accuracy of the unaugmented images (the same footing whatever an
 * epoch's TTA level; the first of equals, as Keras's checkpoint); epochs
 * that did not train Stage 1 do not count. With --patience, the run ends (its
 * schedule shortened to the epochs done, the lookahead finished) after
 * that many epochs without a better one. Returns 1 when this epoch is the
 * best. */
static int note_best(session_t *s)
{
    model_meta_t *m = &s->meta;
    double v = s->last.s1_val_acc_plain;
    if (s->last.stage1_frozen)
        return 0;
    int best = isfinite(v) && (m->best_epoch == 0 || v > m->best_val_acc);
    if (best) {
        m->best_epoch = m->epoch;
        m->best_val_acc = v;
    }
    int patience = s->cfg.train.patience, end = s->start_epoch + s->run_epochs;
    if (patience > 0 && m->best_epoch > 0 && m->epoch - m->best_epoch >= patience &&
        m->epoch < end) {
        s->stopped_early = 1;
        s->run_epochs = m->epoch - s->start_epoch;
        s->sched_epochs = m->epoch - s->sched_start;
        lookahead_end(s);
    }
    return best;
}

static int save_best(session_t *s, err_t *e)
{
    char dir[sizeof s->cfg.save_model + 8];
    snprintf(dir, sizeof dir, "%s.best", s->cfg.save_model);
    return model_save(dir, s->model, &s->meta, e);
}

static int end_epoch(session_t *s, err_t *e)
{
    if (check_epoch(s))
        return err_set(e, "%s", s->diverged.msg);
    select_judges(s);
    summarise_val(s);
    set_phase(s, PHASE_IDLE, 0); /* the validation phase's time */
    s->live.seconds = now_seconds() - s->t0;
    long images = s->stage1_frozen ? s->data.judge.n : s->data.train.n;
    s->live.img_s = s->live.seconds > 0 ? images / s->live.seconds : 0;
    s->meta.epoch++;
    s->last = s->live;
    s->last.phase = PHASE_IDLE;
    s->history = xrealloc(s->history, sizeof *s->history * (s->nhistory + 1));
    s->history[s->nhistory++] = s->last;
    s->epoch_open = 0;
    s->just_finished = 1;
    int best = note_best(s);
    if (session_history_row(s, e) || session_save(s, e))
        return -1;
    if (best && s->cfg.train.save_best && save_best(s, e))
        return -1;
    return 0;
}

static int step_val(session_t *s, err_t *e)
{
    const dataset_t *d = &s->data.val;
    int mb = s->tr.max_batch;
    if (s->live.step == 0) {
        scored_alloc(&s->val, d->n, s->meta.k, s->live.val_tta);
        s->val_s1_sum = s->val_j_sum = 0;
        s->val_j_correct = 0;
    }
    if (s->live.steps > 0) {
        int start = s->live.step * mb, b = d->n - start < mb ? d->n - start : mb;
        session_score_batch(s, d, start, b, &s->val, &s->val_s1_sum, &s->val_j_sum,
                            &s->val_j_correct);
    }
    if (s->live.steps == 0 || ++s->live.step == s->live.steps)
        return end_epoch(s, e);
    return 0;
}

int session_step(session_t *s, err_t *e)
{
    s->just_finished = 0;
    if (session_diverged(s))
        return err_set(e, "%s", s->diverged.msg);
    if (!s->epoch_open) {
        if (s->meta.epoch >= s->start_epoch + s->run_epochs)
            return 0;
        begin_epoch(s);
    }
    int rc = 0;
    switch (s->live.phase) {
    case PHASE_STAGE1:
        step_stage1(s);
        break;
    case PHASE_POOL:
        if (s->live.steps > 0)
            step_pool(s);
        if (s->live.step == s->live.steps && !session_diverged(s))
            begin_judges(s);
        break;
    case PHASE_JUDGES:
        step_judges(s);
        break;
    case PHASE_VAL:
        rc = step_val(s, e);
        break;
    case PHASE_IDLE:
        break;
    }
    if (rc)
        return -1;
    if (session_diverged(s)) /* a judge step's loss */
        return err_set(e, "%s", s->diverged.msg);
    return s->epoch_open || s->meta.epoch < s->start_epoch + s->run_epochs;
}

int session_epoch_done(const session_t *s) { return s->just_finished; }

void session_set_trainable(session_t *s, int c, int on)
{
    if (c >= 0 && c < s->meta.k)
        s->meta.trainable[c] = on != 0;
}

void session_retrain_judges(session_t *s, int epochs)
{
    int planned_end = s->meta.epoch + (s->epoch_open ? 1 : 0);
    s->stage1_frozen = 1;
    s->run_epochs = planned_end - s->start_epoch + epochs;
    s->sched_epochs = planned_end - s->sched_start + epochs;
}

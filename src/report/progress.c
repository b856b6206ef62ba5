/* progress.c - the progress bar or lines of a batch run, and the ETA of
 * the whole run. */
#include "report/progress.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#define BAR_WIDTH 24

static const char *const phase_names[] = {"Stage 1", "judge pool", "judges", "validation",
                                          ""};

/* ---- the ETA -------------------------------------------------------------- */

/* Seconds of phase ph in a whole epoch as measured: the last epoch of this
 * kind, this epoch's when it has ended, or its rate so far; NaN when none. */
static double measured_phase(const eta_input_t *in, int ph)
{
    if (isfinite(in->measured[ph]))
        return in->measured[ph];
    if (!in->epoch_open)
        return NAN;
    if ((int)in->phase > ph)
        return in->done[ph];
    if ((int)in->phase == ph && in->step > 0 && in->steps > 0)
        return in->phase_elapsed * in->steps / in->step;
    return NAN;
}

/* The pool and validation phases (and the test set) scale with their
 * test-time views: factor of views v against the measured ones. */
static int scales(int ph) { return ph == PHASE_POOL || ph == PHASE_VAL; }

static double views_factor(const eta_input_t *in, double v)
{
    return in->views_measured > 0 && v > 0 ? v / in->views_measured : 1;
}

double eta_seconds(const eta_input_t *in)
{
    double est[PHASE_IDLE], secs = 0, work = 0;
    for (int ph = 0; ph < PHASE_IDLE; ph++) {
        est[ph] = measured_phase(in, ph);
        if (isfinite(est[ph]) && est[ph] > 0 && in->work[ph] > 0) {
            secs += est[ph];
            work += in->work[ph];
        }
    }
    /* FLOPs per second of the phases measured so far, for the others */
    double rate = secs > 0 ? work / secs : NAN;
    for (int ph = 0; ph < PHASE_IDLE; ph++)
        if (!isfinite(est[ph]))
            est[ph] = in->work[ph] > 0 ? in->work[ph] / rate : 0;
    double left = 0, now = views_factor(in, in->views_now);
    if (in->epoch_open) {
        int cur = in->phase;
        if (cur < PHASE_IDLE) {
            double rest = in->step > 0 && in->steps > 0
                              ? in->phase_elapsed * (in->steps - in->step) / in->step
                              : est[cur] * (scales(cur) ? now : 1) - in->phase_elapsed;
            left += rest > 0 ? rest : 0;
        }
        for (int ph = cur + 1; ph < PHASE_IDLE; ph++)
            left += est[ph] * (scales(ph) ? now : 1);
    }
    double fixed = 0, viewed = 0; /* an epoch's phases that do not scale, and do */
    for (int ph = 0; ph < PHASE_IDLE; ph++)
        if (in->runs_later[ph])
            *(scales(ph) ? &viewed : &fixed) += est[ph];
    if (in->epochs_after > 0)
        left += in->epochs_after * fixed +
                ((in->epochs_after - 1) * views_factor(in, in->views_later) +
                 views_factor(in, in->views_last)) * viewed;
    if (in->test_images > 0)
        left += in->val_images > 0 && isfinite(measured_phase(in, PHASE_VAL))
                    ? est[PHASE_VAL] * views_factor(in, in->views_test) * in->test_images /
                          in->val_images
                    : in->test_work / rate;
    return isfinite(left) ? left : NAN;
}

static double tta_views(int tta) { return tta == 0 ? 1 : tta == 1 ? 2 : 6; }

void eta_input_of(const session_t *s, double now, eta_input_t *in)
{
    const run_data_t *d = &s->data;
    const epoch_stats_t *l = &s->live;
    double f1 = net_forward_flops(s->model->stage1), fj = net_forward_flops(s->model->judge);
    int end = s->start_epoch + s->run_epochs;
    double trainable = 0;
    for (int c = 0; c < s->meta.k; c++)
        trainable += s->meta.trainable[c];
    in->epoch_open = s->epoch_open;
    in->phase = l->phase;
    in->step = l->step;
    in->steps = l->steps;
    in->phase_elapsed = s->epoch_open ? now - s->phase_t0 : 0;
    for (int ph = 0; ph < PHASE_IDLE; ph++) {
        in->done[ph] = l->phase_seconds[ph];
        in->measured[ph] = NAN;
    }
    in->views_now = tta_views(s->epoch_open ? l->val_tta : session_epoch_tta(s, s->meta.epoch + 1));
    in->views_measured = in->views_now;
    for (int i = s->nhistory - 1; i >= 0; i--)
        if (s->history[i].stage1_frozen == s->stage1_frozen) {
            for (int ph = 0; ph < PHASE_IDLE; ph++)
                in->measured[ph] = s->history[i].phase_seconds[ph];
            in->views_measured = tta_views(s->history[i].val_tta);
            break;
        }
    in->views_later = tta_views(session_epoch_tta(s, end - 1));
    in->views_last = tta_views(session_epoch_tta(s, end));
    in->views_test = tta_views(s->cfg.train.tta);
    double views = in->views_measured; /* the work of the phases measured */
    in->work[PHASE_STAGE1] = 3 * f1 * d->train.n; /* forward and backward */
    in->work[PHASE_POOL] = f1 * views * d->judge.n;
    in->work[PHASE_JUDGES] =
        3 * fj * d->judge.n * s->cfg.train.judge_passes * (s->meta.k ? trainable / s->meta.k : 0);
    in->work[PHASE_VAL] = (f1 * views + 2 * fj) * d->val.n;
    /* a frozen Stage 1 keeps the pool's labels from one epoch to the next */
    in->runs_later[PHASE_STAGE1] = in->runs_later[PHASE_POOL] = !s->stage1_frozen;
    in->runs_later[PHASE_JUDGES] = in->runs_later[PHASE_VAL] = 1;
    in->epochs_after = s->epoch_open ? end - l->epoch : end - s->meta.epoch;
    if (in->epochs_after < 0)
        in->epochs_after = 0;
    in->test_images = d->test.n + (d->has_unseen ? d->unseen.n : 0);
    in->val_images = d->val.n;
    in->test_work = (f1 * in->views_test + fj) * in->test_images;
}

void eta_format(double seconds, char *buf, size_t n)
{
    if (!isfinite(seconds) || seconds < 0) {
        snprintf(buf, n, "unknown");
        return;
    }
    long t = lround(seconds);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* ---- the bar and the lines ------------------------------------------------- */

void progress_init(progress_t *p, int quiet, double every)
{
    p->mode = quiet ? PROGRESS_OFF : isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_LINES;
    p->every = p->mode == PROGRESS_BAR ? 0.1 : every;
    p->last_draw = p->mode == PROGRESS_BAR ? 0 : now_seconds();
}

int progress_due(const progress_t *p)
{
    return p->mode != PROGRESS_OFF && now_seconds() - p->last_draw >= p->every;
}

/* Images the phase in progress has worked through so far. */
static double phase_images(const session_t *s)
{
    const epoch_stats_t *l = &s->live;
    double mb = s->tr.max_batch, done = 0;
    switch (l->phase) {
    case PHASE_STAGE1:
        return (double)s->s1_seen;
    case PHASE_POOL:
        done = l->step * mb;
        return done < s->data.judge.n ? done : s->data.judge.n;
    case PHASE_JUDGES:
        for (int i = 0; i < l->step && i < s->nplan; i++)
            done += s->plan[3 * i + 2];
        return done;
    case PHASE_VAL:
        done = l->step * mb;
        return done < s->data.val.n ? done : s->data.val.n;
    default:
        return 0;
    }
}

static void draw_bar(const session_t *s, const char *eta)
{
    const epoch_stats_t *st = &s->live;
    int filled = st->steps ? (int)((double)BAR_WIDTH * st->step / st->steps) : BAR_WIDTH;
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '=' : (i == filled ? '>' : '.');
    bar[BAR_WIDTH] = 0;
    fprintf(stderr, "\rEpoch %d/%d %-10s %5d/%-5d [%s]", st->epoch, st->last_epoch,
            phase_names[st->phase], st->step, st->steps, bar);
    if (!isnan(st->s1_loss))
        fprintf(stderr, " loss %.4f acc %.4f", st->s1_loss, st->s1_acc);
    if (st->phase >= PHASE_JUDGES && !isnan(st->j_loss))
        fprintf(stderr, " judge %.4f/%.4f", st->j_loss, st->j_acc);
    fprintf(stderr, " %.0f img/s ETA %s\033[K", st->img_s, eta);
}

static void write_line(const session_t *s, double now, const char *eta)
{
    const epoch_stats_t *st = &s->live;
    double t = now - s->phase_t0, img = phase_images(s);
    fprintf(stderr, "Progress: epoch %d/%d, %s step %d/%d, %.0f img/s, ETA %s (whole run)\n",
            st->epoch, st->last_epoch, phase_names[st->phase], st->step, st->steps,
            t > 0 ? img / t : 0.0, eta);
}

void progress_draw(progress_t *p, const session_t *s)
{
    if (!progress_due(p) || !s->epoch_open)
        return;
    double now = now_seconds();
    p->last_draw = now;
    eta_input_t in;
    eta_input_of(s, now, &in);
    char eta[32];
    eta_format(eta_seconds(&in), eta, sizeof eta);
    if (p->mode == PROGRESS_BAR)
        draw_bar(s, eta);
    else
        write_line(s, now, eta);
    fflush(stderr);
}

void progress_clear(progress_t *p)
{
    if (p->mode == PROGRESS_BAR)
        fputs("\r\033[K", stderr);
}

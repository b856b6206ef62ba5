/* actions.c - what the keys do: the key table's actions on the UI's
 * state, and the commands they send to the training thread. */
#include "ui/app_priv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "eval/threshold.h"

static void send(app_t *a, wb_cmd_t *c)
{
    unsigned long seq = wb_shared_send(&a->tr.sh, c);
    if (!seq) {
        app_message(a, R_ERROR, "the trainer is busy; try again in a moment");
        return;
    }
    a->sent = seq;
}

static void send_simple(app_t *a, wb_cmd_kind_t kind, int c, int on)
{
    wb_cmd_t cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = kind;
    cmd.c = c;
    cmd.on = on;
    send(a, &cmd);
}

static void send_tau(app_t *a, const char *tuned_by)
{
    wb_cmd_t cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = WB_CMD_TAU;
    cmd.k = a->k;
    memcpy(cmd.tau, a->tau, sizeof(double) * a->k);
    snprintf(cmd.tuned_by, sizeof cmd.tuned_by, "%s", tuned_by);
    send(a, &cmd);
    app_evaluate(a);
    a->dirty |= DIRTY_ALL;
}

/* ---- what the keys do ----------------------------------------------------------------- */

/* "tau 0.70" or "mean tau 0.70" (per-category taus): for the log. */
static void tau_text(const app_t *a, const double *tau, char *buf, size_t n)
{
    double mean = 0;
    int uniform = 1;
    for (int c = 0; c < a->k; c++) {
        mean += tau[c] / a->k;
        uniform &= tau[c] == tau[0];
    }
    if (uniform)
        snprintf(buf, n, "tau %.2f", tau[0]);
    else
        snprintf(buf, n, "mean tau %.2f (one per category)", mean);
}

static void move_tau(app_t *a, double d)
{
    char before[64], after[64];
    tau_text(a, a->tau, before, sizeof before);
    for (int c = 0; c < a->k; c++) {
        double t = round((a->tau[c] + d) * 10000) / 10000;
        a->tau[c] = t < 0 ? 0 : t > 1 ? 1 : t;
    }
    send_tau(a, "workbench");
    tau_text(a, a->tau, after, sizeof after);
    if (!strcmp(before, after))
        app_message(a, C_NORMAL, "%s stays: it is at its limit", before);
    else if (a->have_cache)
        app_message(a, C_NORMAL, "%s -> %s (%+.2f): validation coverage %.1f%%, 11-way acc %.1f%%",
                    before, after, d, 100 * a->ev.coverage, 100 * a->ev.acc11);
    else
        app_message(a, C_NORMAL, "%s -> %s (%+.2f)", before, after, d);
}

/* Sets the tau an auto-tune chose (a->tune_*) and says what it gives. */
static void apply_tune(app_t *a)
{
    memcpy(a->tau, a->tune_tau, sizeof(double) * a->k);
    send_tau(a, a->tune_by);
    char tau[64];
    tau_text(a, a->tau, tau, sizeof tau);
    app_message(a, a->tune_unmet ? R_WARN : C_NORMAL,
                "auto-tuned (%s): %s; validation 11-way acc %.1f%%, coverage %.1f%%%s",
                a->tune_by, tau, 100 * a->ev.acc11, 100 * a->ev.coverage,
                a->tune_unmet ? " (rule NOT met)" : "");
}

/* Auto-tuning that would reject (nearly) every validation image keeps the
 * old tau and asks first (y applies it). */
static void auto_tune(app_t *a)
{
    if (!a->have_cache) {
        app_message(a, R_WARN, "auto-tune needs validation scores: wait for the first epoch");
        return;
    }
    const char *rule = a->opt->tune_threshold[0] ? a->opt->tune_threshold : "accuracy";
    th_spec_t spec;
    err_t e;
    if (threshold_parse(rule, &spec, &e)) {
        app_message(a, R_ERROR, "--tune_threshold: %s", e.msg);
        return;
    }
    spec.per_category |= a->opt->per_category;
    th_choice_t overall;
    a->tune_unmet = threshold_tune(&a->cache, &spec, a->tune_tau, &overall, NULL);
    threshold_format(&spec, a->tune_by, sizeof a->tune_by);
    score_eval_t ev;
    score_cache_eval(&a->cache, a->tune_tau, &ev, NULL, NULL);
    a->tune_cov = ev.coverage;
    if (!(ev.coverage >= UI_TUNE_MIN_COVERAGE)) {
        char now[64], tuned[64];
        tau_text(a, a->tau, now, sizeof now);
        tau_text(a, a->tune_tau, tuned, sizeof tuned);
        app_message(a, R_WARN,
                    "auto-tune (%s)%s would set %s: validation coverage %.1f%%, it rejects "
                    "nearly everything; %s kept unless you confirm (y)", a->tune_by,
                    a->tune_unmet ? " is NOT met and" : "", tuned, 100 * ev.coverage, now);
        a->confirming = UI_ACT_AUTO_TUNE;
        return;
    }
    apply_tune(a);
}

static void set_view(app_t *a, ui_view_t v)
{
    a->view = v;
    if (v != UI_VIEW_CONFUSION && a->sel >= a->k) /* OTHER is a confusion row only */
        a->sel = a->k - 1;
    draw_relayout(a);
}

static int training_runs(const app_t *a)
{
    wb_state_t s = a->v.snap.state;
    return s == WB_STARTING || s == WB_TRAINING || s == WB_PAUSED || s == WB_FINISHING;
}

void app_quit(app_t *a)
{
    a->quitting = 1;
    send_simple(a, WB_CMD_QUIT, 0, 0);
    app_message(a, R_WARN, "saving the model to %s and stopping...", a->v.snap.save_dir);
}

/* Up/down/page keys: the selection, or the scroll position of the view. */
static void move_sel(app_t *a, int d, int page)
{
    const ui_layout_t *L = &a->lay;
    if (a->view == UI_VIEW_LOG) {
        int step = page ? (L->pane[UI_PANE_LOG].h > 1 ? L->pane[UI_PANE_LOG].h - 1 : 1) : 1;
        a->log_back -= d * step;
        if (a->log_back < 0)
            a->log_back = 0; /* draw_log clamps the other end */
    } else if (a->view == UI_VIEW_HELP) {
        a->help_first += d * (page ? (L->help_rows > 1 ? L->help_rows - 1 : 1) : 1);
        if (a->help_first < 0)
            a->help_first = 0;
    } else {
        int n = a->view == UI_VIEW_CONFUSION ? a->k + 1 : a->k;
        int rows = a->view == UI_VIEW_CONFUSION ? L->cm_rows : L->table_rows;
        a->sel += d * (page ? (rows > 1 ? rows : 1) : 1);
        a->sel = a->sel < 0 ? 0 : a->sel >= n ? n - 1 : a->sel;
    }
    a->dirty |= DIRTY_ALL;
}

static void toggle_selected(app_t *a)
{
    if (a->sel >= a->k)
        return;
    a->trainable[a->sel] = !a->trainable[a->sel];
    send_simple(a, WB_CMD_TRAINABLE, a->sel, a->trainable[a->sel]);
}

static void set_all(app_t *a, int on)
{
    for (int c = 0; c < a->k; c++)
        a->trainable[c] = on;
    send_simple(a, WB_CMD_TRAINABLE, -1, on);
}

static void act(app_t *a, ui_action_t act)
{
    a->dirty |= DIRTY_ALL;
    switch (act) {
    case UI_ACT_SELECT_UP: move_sel(a, -1, 0); break;
    case UI_ACT_SELECT_DOWN: move_sel(a, 1, 0); break;
    case UI_ACT_PAGE_UP: move_sel(a, -1, 1); break;
    case UI_ACT_PAGE_DOWN: move_sel(a, 1, 1); break;
    case UI_ACT_TOGGLE_SELECTED: toggle_selected(a); break;
    case UI_ACT_TOGGLE_ALL: set_all(a, 1); break;
    case UI_ACT_TOGGLE_NONE: set_all(a, 0); break;
    case UI_ACT_TAU_UP_SMALL:
    case UI_ACT_TAU_DOWN_SMALL:
    case UI_ACT_TAU_UP_LARGE:
    case UI_ACT_TAU_DOWN_LARGE: move_tau(a, ui_action_tau_delta(act)); break;
    case UI_ACT_AUTO_TUNE: auto_tune(a); break;
    case UI_ACT_VIEW_DASHBOARD: set_view(a, UI_VIEW_DASHBOARD); break;
    case UI_ACT_VIEW_CONFUSION: set_view(a, UI_VIEW_CONFUSION); break;
    case UI_ACT_VIEW_LOG: a->log_back = 0; set_view(a, UI_VIEW_LOG); break;
    case UI_ACT_VIEW_HELP: set_view(a, UI_VIEW_HELP); break;
    case UI_ACT_PAUSE: send_simple(a, WB_CMD_PAUSE, 0, 0); break;
    case UI_ACT_RETRAIN: send_simple(a, WB_CMD_RETRAIN, 0, 0); break;
    case UI_ACT_SAVE:
        send_simple(a, WB_CMD_SAVE, 0, 0);
        app_message(a, C_NORMAL, "saving the model to %s", a->v.snap.save_dir);
        break;
    case UI_ACT_QUIT: app_quit(a); break;
    default: break;
    }
}

void app_on_key(app_t *a, int key)
{
    if (a->quitting)
        return;
    if (a->confirming != UI_ACT_NONE) {
        ui_action_t r = ui_key_confirm_action(key);
        if (r == UI_ACT_NONE)
            return;
        ui_action_t what = a->confirming;
        a->confirming = UI_ACT_NONE;
        a->dirty |= DIRTY_ALL;
        if (r == UI_ACT_CONFIRM_YES && what == UI_ACT_AUTO_TUNE) {
            apply_tune(a);
        } else if (r == UI_ACT_CONFIRM_YES) {
            act(a, what);
        } else if (what == UI_ACT_AUTO_TUNE) {
            char tau[64];
            tau_text(a, a->tau, tau, sizeof tau);
            app_message(a, C_NORMAL, "auto-tune cancelled: %s kept", tau);
        } else {
            app_message(a, C_NORMAL, "cancelled");
        }
        return;
    }
    ui_action_t what = ui_key_action(key);
    const ui_key_t *entry = ui_key_find(what);
    /* quit asks only while training runs; retrain always asks */
    if (entry && entry->confirm && (what != UI_ACT_QUIT || training_runs(a))) {
        a->confirming = what;
        a->dirty |= DIRTY_ALL;
        return;
    }
    act(a, what);
}

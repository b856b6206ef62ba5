/* app.c - the workbench's UI thread: terminal set-up and tear-down, the
 * loop (one getch timeout per tick, no busy waiting), keys and what they
 * do. Drawing is in draw.c and draw_views.c; the trainer in trainer.c. */
#include <config.h>

#include "ui/app.h"

#include <errno.h>
#include <jansson.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <term.h>
#include <unistd.h>

#include "setup/setup.h"
#include "ui/app_priv.h"

#define TICK_MS 150      /* getch timeout: the frame rate when nothing happens */
#define MSG_SECONDS 4.0

/* ---- signals and fatal paths ------------------------------------------------ */

static volatile sig_atomic_t got_winch;
static void on_winch(int sig) { (void)sig; got_winch = 1; }

/* What a crash or exit() restores without curses: the saved terminal modes
 * and the terminfo strings that leave the alternate screen, show the
 * cursor and reset attributes (written with write(2), which is safe in a
 * signal handler). */
static struct termios saved_tio;
static int have_tio;
static char restore_seq[256];
static volatile sig_atomic_t screen_on;

static void restore_terminal_raw(void)
{
    if (!screen_on)
        return;
    screen_on = 0;
    if (have_tio)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
    ssize_t w = write(STDOUT_FILENO, restore_seq, strlen(restore_seq));
    (void)w;
}

static void on_fatal(int sig)
{
    restore_terminal_raw();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void add_cap(const char *name)
{
    char *s = tigetstr((char *)name);
    if (s && s != (char *)-1 && strlen(restore_seq) + strlen(s) < sizeof restore_seq)
        strcat(restore_seq, s);
}

static void guard_fatal_paths(void)
{
    restore_seq[0] = '\0';
    add_cap("sgr0");
    add_cap("cnorm");
    add_cap("rmcup");
    strcat(restore_seq, "\r\n");
    screen_on = 1;
    static int once;
    if (!once) {
        once = 1;
        atexit(restore_terminal_raw);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
}

/* ---- messages, sync with the trainer ---------------------------------------------- */

static void set_status(app_t *a, int role, const char *text)
{
    snprintf(a->msg, sizeof a->msg, "%s", text);
    a->msg_role = role;
    a->msg_until = now_seconds() + MSG_SECONDS;
    a->dirty |= DIRTY_PANE(UI_PANE_STATUS);
}

/* A message on the status line for a few seconds, and in the log. */
void app_message(app_t *a, int role, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    set_status(a, role, buf);
    wb_log_add(&a->v.log, "%s", buf);
    a->dirty |= DIRTY_PANE(UI_PANE_LOG);
}

void app_evaluate(app_t *a)
{
    if (!a->have_cache)
        return;
    score_cache_eval(&a->cache, a->tau, &a->ev, a->prec, a->rec);
    const wb_scores_t *v = &a->v.val;
    int n = v->n, k1 = a->k + 1;
    metrics_outputs(n, a->k, v->p, v->score, a->tau, a->o);
    metrics_targets(n, a->k, v->y, v->p, a->t);
    memset(a->cm, 0, sizeof(long) * k1 * k1);
    memset(a->n_true, 0, sizeof a->n_true);
    memset(a->n_out, 0, sizeof a->n_out);
    for (int i = 0; i < n; i++) {
        a->cm[(size_t)a->t[i] * k1 + a->o[i]]++;
        if (v->y[i] >= 0 && v->y[i] < a->k)
            a->n_true[v->y[i]]++;
        if (a->o[i] >= 0 && a->o[i] < a->k)
            a->n_out[a->o[i]]++;
    }
}

static void rebuild_cache(app_t *a)
{
    const wb_scores_t *v = &a->v.val;
    if (a->have_cache)
        score_cache_free(&a->cache);
    a->have_cache = v->n > 0;
    if (!a->have_cache)
        return;
    score_cache_build(&a->cache, v->n, a->k, v->y, v->p, v->msp, v->score);
    a->o = xrealloc(a->o, sizeof(int) * v->n);
    a->t = xrealloc(a->t, sizeof(int) * v->n);
    if (!a->cm)
        a->cm = xcalloc((size_t)(a->k + 1) * (a->k + 1), sizeof(long));
}

static void sync_view(app_t *a)
{
    long before = a->v.log.total;
    unsigned ch = wb_view_sync(&a->tr.sh, &a->v);
    const wb_snap_t *s = &a->v.snap;
    int re_eval = 0;
    if (ch & WB_CHANGED_VAL) {
        rebuild_cache(a);
        re_eval = 1;
    }
    if ((ch & WB_CHANGED_SNAP) && s->applied_seq >= a->sent) {
        if (memcmp(a->tau, s->tau, sizeof(double) * a->k))
            re_eval = 1;
        memcpy(a->tau, s->tau, sizeof(double) * a->k);
        memcpy(a->trainable, s->trainable, sizeof(int) * a->k);
    }
    if (re_eval)
        app_evaluate(a);
    if (ch & (WB_CHANGED_SNAP | WB_CHANGED_VAL | WB_CHANGED_CURVES))
        a->dirty |= DIRTY_ALL & ~DIRTY_PANE(UI_PANE_LOG) & ~DIRTY_PANE(UI_PANE_HELP);
    if (s->notice_seq != a->notice_seen) { /* the trainer's replies on the status line */
        a->notice_seen = s->notice_seq;
        set_status(a, !strncmp(s->notice, "error", 5) ? R_ERROR : C_NORMAL, s->notice);
    }
    if (ch & WB_CHANGED_LOG) {
        a->dirty |= DIRTY_PANE(UI_PANE_LOG);
        if (a->log_back > 0) /* keep the lines being read in place */
            a->log_back += a->v.log.total - before;
    }
}

/* After SIGWINCH or KEY_RESIZE: resizes curses to the terminal and lays
 * the panes out again, only when the size really changed (resizeterm()
 * itself queues a KEY_RESIZE, which must not start another round). */
static void resize(app_t *a)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
        (ws.ws_row != LINES || ws.ws_col != COLS))
        resizeterm(ws.ws_row, ws.ws_col);
    if (LINES != a->rows || COLS != a->cols)
        draw_relayout(a);
}

/* ---- terminal set-up and the loop ---------------------------------------------------------- */

static int start_screen(app_t *a)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_winch;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGWINCH, &sa, NULL); /* before newterm: ours, not ncurses' */
    have_tio = tcgetattr(STDIN_FILENO, &saved_tio) == 0;
    if (!newterm(NULL, stdout, stdin))
        return -1;
    guard_fatal_paths();
    const char *no_color = getenv("NO_COLOR");
    a->color = has_colors() && !a->opt->no_color && !(no_color && *no_color);
    if (a->color && start_color() == OK) {
        if (use_default_colors() == ERR)
            assume_default_colors(COLOR_WHITE, COLOR_BLACK);
    } else {
        a->color = 0;
    }
    if (a->color && COLORS < 8)
        a->color = 0;
    draw_colors(a);
    cbreak(); /* ^C stays a signal: it saves and exits like SIGTERM */
    noecho();
    nonl();
    curs_set(0);
    set_escdelay(25);
    /* Keys are read from a window nothing is drawn in: wgetch() refreshes
     * its window first when that was changed, and stdscr (cleared by
     * resizeterm) would then blank the panes. */
    a->input = newwin(1, 1, 0, 0);
    if (!a->input)
        return -1;
    keypad(a->input, TRUE);
    wtimeout(a->input, TICK_MS);
    wnoutrefresh(a->input);
    draw_relayout(a);
    return 0;
}

static void end_screen(app_t *a)
{
    draw_end(a);
    if (a->input) {
        delwin(a->input);
        a->input = NULL;
    }
    if (screen_on) {
        endwin();
        screen_on = 0;
    }
}

/* Returns 1 when the trainer has stopped. */
static int loop(app_t *a, volatile sig_atomic_t *stop)
{
    for (;;) {
        if (*stop && !a->signalled) {
            a->signalled = 1;
            a->confirming = UI_ACT_NONE;
            if (!a->quitting)
                app_quit(a);
            return 0;
        }
        if (got_winch) {
            got_winch = 0;
            resize(a);
        }
        sync_view(a);
        if (a->v.snap.state == WB_STOPPED)
            return 1;
        if (a->msg[0] && now_seconds() >= a->msg_until) {
            a->msg[0] = '\0';
            a->dirty |= DIRTY_PANE(UI_PANE_STATUS);
        }
        draw_frame(a);
        int key = wgetch(a->input); /* sleeps up to TICK_MS */
        if (key == KEY_RESIZE)
            resize(a);
        else if (key != ERR)
            app_on_key(a, key);
    }
}

static int not_a_terminal(void)
{
    fprintf(stderr, "mscnn: the interactive workbench needs a terminal, but %s is not one; "
                    "run headless with --batch (see mscnn --help)\n",
            isatty(STDOUT_FILENO) ? "stdin" : "stdout");
    return 2;
}

static void app_init(app_t *a, const options_t *o)
{
    memset(a, 0, sizeof *a);
    a->opt = o;
    a->confirming = UI_ACT_NONE;
    wb_view_init(&a->v);
    setlocale(LC_ALL, "");
    a->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
}

static void app_free(app_t *a)
{
    if (a->have_cache)
        score_cache_free(&a->cache);
    free(a->cm);
    free(a->o);
    free(a->t);
    free(a->cells);
    wb_view_free(&a->v);
}

int workbench_run(const options_t *o, volatile sig_atomic_t *stop)
{
    if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
        return not_a_terminal();
    static app_t app; /* large (log copies): not on the stack */
    app_t *a = &app;
    app_init(a, o);
    /* Worker threads the session starts (BLAS, OpenMP) inherit this mask:
     * the signals are for the UI thread, which unblocks them below. A
     * signal that comes meanwhile waits and is handled then. */
    sigset_t sigs, old_mask;
    sigemptyset(&sigs);
    int sig_list[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP};
    for (size_t i = 0; i < sizeof sig_list / sizeof sig_list[0]; i++)
        sigaddset(&sigs, sig_list[i]);
    pthread_sigmask(SIG_BLOCK, &sigs, &old_mask);
    session_t s;
    err_t e = {{0}};
    int rc = setup_session_open(&s, o, &e);
    if (rc) {
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        fprintf(stderr, "mscnn: %s\n", e.msg);
        session_close(&s);
        app_free(a);
        return rc == -2 ? 2 : 1;
    }
    a->k = s.meta.k;
    int screen_rc = start_screen(a);
    finish_config_t fin;
    setup_finish_config(o, &fin);
    fin.settings = o->report_json[0] ? setup_settings_json(o, s.meta.arch) : NULL;
    if (screen_rc == 0 && wb_trainer_start(&a->tr, &s, &fin, &e)) {
        end_screen(a);
        screen_rc = -2;
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    if (screen_rc == -2) {
        fprintf(stderr, "mscnn: %s\n", e.msg);
        json_decref(fin.settings);
        session_close(&s);
        app_free(a);
        return 1;
    }
    if (screen_rc) {
        fprintf(stderr, "mscnn: cannot use the terminal (TERM=%s); run headless with --batch\n",
                getenv("TERM") ? getenv("TERM") : "unset");
        json_decref(fin.settings);
        session_close(&s);
        app_free(a);
        return 1;
    }
    memcpy(a->tau, s.meta.tau, sizeof(double) * a->k);
    memcpy(a->trainable, s.meta.trainable, sizeof(int) * a->k);
    int stopped = loop(a, stop);
    if (!stopped) { /* a signal: restore the terminal now, then wait for the save */
        end_screen(a);
        fprintf(stderr, "mscnn: signal received: saving the model to %s before exiting\n",
                o->save_model);
    }
    wb_trainer_join(&a->tr);
    end_screen(a);
    int status = a->tr.exit_status ? 1 : a->signalled ? 130 : 0;
    if (a->tr.report_before && a->tr.report && !a->signalled) {
        fputs("---- the test report before the retrain of the judges ----\n", stdout);
        fputs(a->tr.report_before, stdout);
        fputs("---- the test report after it ----\n", stdout);
    }
    if (a->tr.report && !a->signalled)
        fputs(a->tr.report, stdout);
    long last = a->tr.sh.log.total - 1; /* the trainer's last word: saved or not */
    if (last >= 0)
        fprintf(stderr, "mscnn: %s\n", wb_log_get(&a->tr.sh.log, last));
    free(a->tr.report);
    free(a->tr.report_before);
    json_decref(fin.settings);
    session_close(&s);
    app_free(a);
    return status;
}

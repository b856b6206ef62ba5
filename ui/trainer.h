/* trainer.h - the workbench's training thread and what it shares with the
 * UI thread (DESIGN.md section 6).
 *
 * Threads and locks:
 *  - The training thread owns the session_t: it alone calls session_*(),
 *    saves, scores and writes the CSV/PNG outputs. The UI thread never
 *    touches the session; it is the only thread that calls curses.
 *  - Everything the two share lives in wb_shared_t under ONE mutex (mu):
 *    the command queue (UI -> trainer), the snapshot, the curve rings, a
 *    copy of the validation scores and the log (trainer -> UI). Critical
 *    sections are short copies; nothing slow (a step, a save, a curses
 *    call, an allocation of the score cache) ever runs under mu.
 *  - The trainer takes all queued commands between two steps, applies
 *    them outside the lock, steps, then publishes. While paused, finished
 *    or in error it sleeps on the condition variable cv, which every
 *    wb_send() signals: no busy waiting on either side. The UI thread
 *    sleeps in getch() with a timeout (its tick).
 *  - Versions tell the UI what changed: curves_version and val_version
 *    bump when the rings or the validation scores are replaced; log_total
 *    counts lines ever logged; applied_seq is the sequence number of the
 *    last command applied, so the UI keeps its optimistic copies of tau
 *    and the trainable flags until the trainer has caught up.
 *
 * Ownership: wb_shared_t and wb_view_t own their arrays (free with the
 * matching _destroy/_free); wb_trainer_t borrows the session, which the
 * caller closes after wb_trainer_join().
 */
#ifndef MSCNN_UI_TRAINER_H
#define MSCNN_UI_TRAINER_H

#include <pthread.h>

#include "ui/chart.h"
#include "report/outputs.h"
#include "train/session.h"

/* ---- the log: a ring of lines ------------------------------------------ */

#define WB_LOG_CAP 512
#define WB_LOG_LEN 200
#define WB_LOG_WRAP 78 /* longer lines wrap (at a space), so 80 columns show them whole */

typedef struct {
    char line[WB_LOG_CAP][WB_LOG_LEN];
    long total; /* lines ever added; the ring holds the last WB_LOG_CAP */
} wb_log_t;

void wb_log_init(wb_log_t *l);
void wb_log_add(wb_log_t *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds each line of text (split at '\n'; a trailing newline adds nothing;
 * lines over WB_LOG_WRAP cells wrap). */
void wb_log_add_text(wb_log_t *l, const char *text);
/* The oldest line still held (an absolute index) and line i, "" when
 * i is not held. */
/* The same without wrapping (tables: the log view cuts them at its edge). */
void wb_log_add_raw(wb_log_t *l, const char *text);
long wb_log_first(const wb_log_t *l);
const char *wb_log_get(const wb_log_t *l, long i);

/* ---- commands (UI -> trainer) ------------------------------------------ */

typedef enum {
    WB_CMD_TRAINABLE, /* c (-1: every category), on */
    WB_CMD_TAU,       /* tau[0..k), tuned_by */
    WB_CMD_PAUSE,     /* toggles pause / resume */
    WB_CMD_RETRAIN,   /* Stage 2 only, the checked judges, --epochs more */
    WB_CMD_SAVE,
    WB_CMD_QUIT       /* save, then the thread ends */
} wb_cmd_kind_t;

typedef struct {
    wb_cmd_kind_t kind;
    int c, on;
    int k;
    double tau[DATASET_MAX_CLASSES];
    char tuned_by[64];
    unsigned long seq; /* set by wb_queue_push */
} wb_cmd_t;

#define WB_QUEUE_CAP 64

typedef struct {
    wb_cmd_t q[WB_QUEUE_CAP];
    int head, n;
    unsigned long next_seq; /* the last seq given out */
} wb_queue_t;

void wb_queue_init(wb_queue_t *q);
/* Appends a copy of c; returns its sequence number (1, 2, ...), or 0 when
 * the queue is full (nothing is added). */
unsigned long wb_queue_push(wb_queue_t *q, const wb_cmd_t *c);
/* Moves up to max commands, oldest first, into out; returns how many. */
int wb_queue_take(wb_queue_t *q, wb_cmd_t *out, int max);

/* ---- the snapshot (trainer -> UI) -------------------------------------- */

typedef enum {
    WB_STARTING, /* before the first step */
    WB_TRAINING,
    WB_PAUSED,
    WB_FINISHING, /* scoring the test set, writing the report */
    WB_FINISHED,  /* the run's epochs are done; waiting for commands */
    WB_ERROR,     /* a step failed; waiting for commands (save, quit) */
    WB_STOPPING,  /* saving before the thread ends */
    WB_STOPPED    /* the thread has ended */
} wb_state_t;

const char *wb_state_name(wb_state_t s);

typedef struct {
    wb_state_t state;
    int paused;                 /* also set while WB_FINISHING etc. */
    int k;
    char class_names[DATASET_MAX_CLASSES][MODEL_NAME_LEN];
    char device[BACKEND_DESC_LEN]; /* the backend's desc: "cpu: 2 threads, AVX2" */
    char dataset[256];
    char save_dir[1024];
    epoch_stats_t live;         /* the epoch in progress (valid when epoch_open) */
    epoch_stats_t last;         /* the last completed epoch (valid when nhistory) */
    int epoch_open, nhistory;
    int start_epoch, last_epoch; /* the run ends after last_epoch */
    int stage1_frozen;
    double tau[DATASET_MAX_CLASSES];
    int trainable[DATASET_MAX_CLASSES];
    char tuned_by[64];
    double eta;                 /* seconds left, NaN when unknown */
    long steps;                 /* session steps taken by this thread */
    unsigned long applied_seq;  /* the last command applied */
    unsigned curves_version, val_version;
    long log_total;
    char notice[WB_LOG_LEN];    /* the latest notice (wb_shared_notice) */
    unsigned notice_seq;
    char error[WB_LOG_LEN];     /* the last error, "" when none */
    int have_report;            /* the test report is in the log */
} wb_snap_t;

/* Per-epoch curves for the dashboard (x: epoch; WB_LR: Stage 1's
 * learning rate at the epoch's last step). */
enum {
    WB_S1_LOSS, WB_S1_VAL_LOSS, WB_J_LOSS, WB_J_VAL_LOSS,
    WB_S1_ACC, WB_S1_VAL_ACC, WB_J_ACC, WB_J_VAL_ACC, WB_LR, WB_NSERIES
};
/* Within epochs, while Stage 1 trains (x: epoch - 1 + step / steps):
 * its running loss and accuracy, read whenever the trainer syncs them
 * (a few times a second), and the learning rate of that step. The rings
 * keep the last UI_RING_CAP points across epochs, so the epoch just
 * done keeps its detail after it ends. */
enum { WB_STEP_LOSS, WB_STEP_ACC, WB_STEP_LR, WB_NSTEP };
typedef struct {
    ui_ring_t r[WB_NSERIES];
    ui_ring_t step[WB_NSTEP];
} wb_curves_t;

/* Validation scores: what the UI re-thresholds. */
typedef struct {
    int n, k;
    int *y, *p;
    double *msp, *score;
} wb_scores_t;

void wb_scores_free(wb_scores_t *v);
/* Copies n entries of each array (replacing what dst held). */
void wb_scores_copy(wb_scores_t *dst, int n, int k, const int *y, const int *p,
                    const double *msp, const double *score);

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;  /* signalled on every command pushed */
    wb_queue_t queue;
    wb_snap_t snap;
    wb_curves_t curves;
    wb_scores_t val;
    wb_log_t log;
} wb_shared_t;

/* 0, or -1 when the mutex or condition variable cannot be made. */
int wb_shared_init(wb_shared_t *sh);
void wb_shared_destroy(wb_shared_t *sh);

/* UI side: queues a command and wakes the trainer. Returns its sequence
 * number, 0 when the queue is full. */
unsigned long wb_shared_send(wb_shared_t *sh, const wb_cmd_t *c);

/* Trainer side: takes the queued commands (up to max); with wait set,
 * sleeps on cv until there is at least one. Returns how many. */
int wb_shared_take(wb_shared_t *sh, wb_cmd_t *out, int max, int wait);

/* Logs a line under the lock (trainer side). */
void wb_shared_log(wb_shared_t *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line for the log that the UI also shows on its status line (replies
 * to commands, errors, the end of training). */
void wb_shared_notice(wb_shared_t *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wb_shared_log_text(wb_shared_t *sh, const char *text);
void wb_shared_log_raw(wb_shared_t *sh, const char *text);

/* ---- the UI's copy ------------------------------------------------------ */

typedef struct {
    wb_snap_t snap;
    wb_curves_t curves;
    wb_scores_t val;
    wb_log_t log;          /* trainer lines and the UI's own */
    long log_seen;         /* trainer lines copied so far */
} wb_view_t;

enum { WB_CHANGED_SNAP = 1, WB_CHANGED_CURVES = 2, WB_CHANGED_VAL = 4, WB_CHANGED_LOG = 8 };

void wb_view_init(wb_view_t *v);
void wb_view_free(wb_view_t *v);
/* Copies what changed since the last call (under the lock: plain copies
 * only); returns WB_CHANGED_* bits. The snapshot is compared whole, so an
 * unchanged trainer gives 0 and the UI can skip the frame. */
unsigned wb_view_sync(wb_shared_t *sh, wb_view_t *v);

/* ---- the training thread ------------------------------------------------ */

typedef struct {
    wb_shared_t sh;
    session_t *s;        /* borrowed; only the thread uses it once started */
    finish_config_t fin; /* what the end of the run's epochs does */
    pthread_t thread;
    int started;
    int loaded;          /* the session started from a saved model */
    int changed;         /* weights or settings changed since the start */
    int manual_tau;      /* tau was set from the UI: no --tune_threshold at the end */
    int exit_status;     /* 0, or 1 after an error or a failed final save */
    char *report;        /* the test report once the run's epochs are done (malloc'd,
                          * the caller frees it after wb_trainer_join), or NULL */
    char *report_before; /* after a retrain of the judges: the report before it (the
                          * same ownership), or NULL */
    report_figures_t figures; /* the last report's per-category figures */
    int have_figures;
} wb_trainer_t;

/* Starts the thread on an opened session (the session must not be used by
 * the caller until wb_trainer_join returns); fin: what the end of the
 * run's epochs does (copied). The thread blocks SIGINT,
 * SIGTERM, SIGHUP, SIGWINCH and SIGTSTP so they reach the UI thread (as
 * do the threads it starts: they inherit its mask). 0, or -1
 * with e set (nothing to join then). */
int wb_trainer_start(wb_trainer_t *t, session_t *s, const finish_config_t *fin, err_t *e);
/* Waits for the thread to end (send WB_CMD_QUIT first) and frees the
 * shared state; the session is the caller's again. */
void wb_trainer_join(wb_trainer_t *t);

#endif

/* progress.h - a batch run's progress on stderr and the ETA of the whole
 * run.
 *
 * On a terminal: a Keras-style bar, redrawn in place at most ten times a
 * second. Otherwise (a log file, a pipe, CI): one line every `every`
 * seconds (0: after every step), since a bar redrawn with \r is noise
 * there and nothing at all for minutes looks like a hang. Both say the
 * phase, the step, images per second and the ETA of the whole run.
 */
#ifndef MSCNN_PROGRESS_H
#define MSCNN_PROGRESS_H

#include "train/session.h"

typedef enum { PROGRESS_OFF, PROGRESS_BAR, PROGRESS_LINES } progress_mode_t;

typedef struct {
    progress_mode_t mode;
    double every;      /* PROGRESS_LINES: seconds between lines */
    double last_draw;  /* when the last bar or line was drawn (or progress_init) */
} progress_t;

/* The bar when stderr is a terminal, else lines every `every` seconds;
 * nothing when quiet. */
void progress_init(progress_t *p, int quiet, double every);
/* 1 when progress_draw() would draw now */
int progress_due(const progress_t *p);
/* Draws the bar or writes a line for s's epoch in progress (call
 * session_sync() first for Stage 1's running loss). */
void progress_draw(progress_t *p, const session_t *s);
/* Erases the bar (before an epoch line or a message); lines stay. */
void progress_clear(progress_t *p);

/* ---- the ETA of the whole run -------------------------------------------- */

/* What the estimate needs, read from a session by eta_input_of(); seconds,
 * phases indexed by phase_t. */
typedef struct {
    int epoch_open;              /* an epoch is in progress */
    phase_t phase;               /* its phase */
    int step, steps;             /* within that phase */
    double phase_elapsed;        /* seconds spent in that phase so far */
    double done[PHASE_IDLE];     /* seconds of this epoch's phases that have ended */
    double measured[PHASE_IDLE]; /* seconds of each phase in the last completed
                                    epoch of this kind (Stage 1 frozen or not);
                                    NaN when there is none */
    double work[PHASE_IDLE];     /* FLOPs of each phase in one epoch: the
                                    estimate of a phase not measured yet */
    int runs_later[PHASE_IDLE];  /* the phase runs in the epochs after this one */
    int epochs_after;            /* epochs to begin after the one in progress
                                    (all those left when none is) */
    /* test-time views of the pool and validation phases: in the epoch the
       figures above come from, in the one in progress (or next), in the
       later ones but the run's last, in that last; and of the test set.
       0 counts as 1 */
    double views_measured, views_now, views_later, views_last, views_test;
    double test_images;          /* images the report scores after training */
    double val_images;           /* images of the validation phase */
    double test_work;            /* FLOPs of that scoring */
} eta_input_t;

void eta_input_of(const session_t *s, double now, eta_input_t *in);

/* Seconds left in the run: the rest of the phase in progress (from its
 * own rate once it has done a step), the phases after it in this epoch,
 * the later epochs' phases, and the report's scoring of the test set (at
 * the validation phase's rate per image). A phase's time is what it took
 * in the last completed epoch of this kind, else in this epoch, else its
 * FLOPs at the FLOP rate of the phases measured so far; the pool's and
 * validation's scale with their test-time views. NaN before any phase has
 * a measured step. */
double eta_seconds(const eta_input_t *in);

/* "1:02:03", "3:12" or "unknown" (NaN). */
void eta_format(double seconds, char *buf, size_t n);

#endif

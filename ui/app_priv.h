/* app_priv.h - the UI thread's state, shared by app.c (life cycle, keys),
 * draw.c (panes, colours) and draw_views.c (confusion, log, help). Only
 * the UI thread uses any of it; the trainer is reached through tr.sh. */
#ifndef MSCNN_UI_APP_PRIV_H
#define MSCNN_UI_APP_PRIV_H

#include <curses.h>

#include "ui/chart.h"
#include "ui/keys.h"
#include "ui/layout.h"
#include "eval/metrics.h"
#include "settings/options.h"
#include "ui/trainer.h"

/* Colour roles beyond chart.h's (ui_role_t): the workbench's own. */
enum {
    R_HEADER = C_ROLE_COUNT,
    R_STATUS,
    R_SELECTED,
    R_ON,      /* trainable mark */
    R_OFF,     /* frozen mark */
    R_ERROR,
    R_WARN,    /* OTHER column, paused */
    R_DIAG,    /* confusion: right answers */
    R_OFFDIAG, /* confusion: wrong answers */
    R_DIM,
    R_ROLE_COUNT
};

#define UI_FEW_IMAGES 20 /* figures on fewer images are drawn dim */

#define DIRTY_ALL (~0u)
#define DIRTY_PANE(p) (1u << (p))
#define DIRTY_DIALOG (1u << UI_PANE_COUNT)

typedef struct {
    const options_t *opt;
    wb_trainer_t tr;
    wb_view_t v;                 /* the UI's copy of what the trainer shares */
    int k;
    /* the UI's working copies: taken from the snapshot once the trainer
     * has applied every command sent (applied_seq >= sent) */
    double tau[DATASET_MAX_CLASSES];
    int trainable[DATASET_MAX_CLASSES];
    unsigned long sent;
    unsigned notice_seen;        /* the trainer's last notice shown */
    /* figures at tau, from the cached validation scores */
    score_cache_t cache;
    int have_cache;
    score_eval_t ev;
    double prec[DATASET_MAX_CLASSES + 1], rec[DATASET_MAX_CLASSES + 1];
    long *cm;                    /* (k+1) x (k+1): target x output */
    /* validation images of category c, and those the final output calls c
     * (what the figures of the table rest on: dim under UI_FEW_IMAGES) */
    long n_true[DATASET_MAX_CLASSES], n_out[DATASET_MAX_CLASSES];
    ui_ring_t merged;            /* scratch: a curve's epoch and step points */
    int *o, *t;                  /* (n) scratch */
    /* view state */
    ui_view_t view;
    int sel, table_first, cm_row0, cm_col0, help_first;
    long log_back;               /* lines scrolled back from the newest */
    ui_action_t confirming;      /* UI_ACT_NONE, or the action awaiting y/n */
    /* an auto-tune awaiting y/n (it rejects nearly everything on validation) */
    double tune_tau[DATASET_MAX_CLASSES];
    char tune_by[64];
    double tune_cov;
    int tune_unmet;
    char msg[256];
    int msg_role;
    double msg_until;
    /* terminal */
    int utf8, color;
    int rows, cols;
    ui_layout_t lay;
    WINDOW *win[UI_PANE_COUNT];
    WINDOW *dialog;
    WINDOW *input;               /* 1x1, never drawn in: keys are read here */
    attr_t attr[R_ROLE_COUNT];
    short pair[R_ROLE_COUNT];
    unsigned dirty;
    ui_cell_t *cells;            /* scratch grid, rows * cols */
    size_t ncells;
    int quitting, signalled;
} app_t;

/* draw.c */
void draw_colors(app_t *a);     /* after start_color(), or monochrome */
void draw_relayout(app_t *a);   /* windows from the current screen size */
void draw_frame(app_t *a);      /* dirty panes, wnoutrefresh each, one doupdate */
void draw_end(app_t *a);        /* frees the windows and the scratch grid */
/* A grid over the scratch cells for an h x w pane (cleared to C_NORMAL). */
ui_grid_t draw_grid(app_t *a, int h, int w);
/* Text into a grid; in an ASCII locale non-ASCII glyphs become ASCII. */
int draw_put(app_t *a, ui_grid_t *g, int y, int x, int role, const char *s);
int draw_printf(app_t *a, ui_grid_t *g, int y, int x, int role, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* "12.3%" or "--", right-aligned in w. */
void draw_pct(char *buf, size_t n, int w, double v);
int draw_tau_uniform(const app_t *a);

/* draw_views.c */
void draw_confusion(app_t *a, WINDOW *matrix, WINDOW *legend);
void draw_dash_matrix(app_t *a, WINDOW *w); /* the dashboard's (roomy layout) */
void draw_log(app_t *a, WINDOW *w);
void draw_help(app_t *a, WINDOW *w);
void draw_dialog(app_t *a);
/* Copies a grid into a window (one run of text per colour role). */
void draw_blit(app_t *a, WINDOW *w, const ui_grid_t *g);

/* app.c */
void app_message(app_t *a, int role, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The figures at tau: score-cache evaluation and the confusion matrix. */
void app_evaluate(app_t *a);

/* actions.c */
void app_on_key(app_t *a, int key); /* a key read in the loop */
void app_quit(app_t *a);            /* asks the trainer to save and stop */

#endif

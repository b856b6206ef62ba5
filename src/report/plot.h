/* plot.h - the three PNG figures a run writes (DESIGN.md section 5):
 * training_history.png, confusion_matrix.png and risk_coverage.png.
 *
 * Drawing and text go through cairo (antialiased, "sans-serif" toy font);
 * the PNG is encoded by cairo through libpng. Every function draws the whole
 * figure in memory, writes it to "<path>.tmp" and renames that into place,
 * so a reader never sees a half-written image; on failure the .tmp file is
 * removed. Each returns 0, or -1 with e set to a message that names the
 * output file and the problem.
 *
 * Ownership: the functions only read the caller's arrays and strings during
 * the call and keep no pointer to them; they allocate nothing that outlives
 * the call and keep no state of their own between calls.
 *
 * Missing values: NaN (or +-Inf) entries in any series are skipped; a line
 * is broken across them. */
#ifndef MSCNN_PLOT_H
#define MSCNN_PLOT_H

#include <stdint.h>

#include "base/util.h"

/* Image sizes in pixels (fixed, so tests and documentation can rely on them). */
#define PLOT_HISTORY_W 1200
#define PLOT_HISTORY_H 800
#define PLOT_CONFUSION_W 1000
#define PLOT_CONFUSION_H 900
#define PLOT_RISK_W 1000
#define PLOT_RISK_H 700
#define PLOT_DELTAS_W 1000
#define PLOT_DELTAS_H 650

/* Series colours, 0xRRGGBB (matplotlib's tab10 palette). In the history
 * figure "train" is drawn in PLOT_COLOR_TRAIN and "val" in PLOT_COLOR_VAL;
 * risk-coverage curve k uses PLOT_PALETTE[k % PLOT_PALETTE_N]. */
#define PLOT_COLOR_TRAIN 0x1f77b4u
#define PLOT_COLOR_VAL 0xff7f0eu
#define PLOT_PALETTE_N 10
#define PLOT_PALETTE                                                          \
    {0x1f77b4u, 0xff7f0eu, 0x2ca02cu, 0xd62728u, 0x9467bdu,                   \
     0x8c564bu, 0xe377c2u, 0x7f7f7fu, 0xbcbd22u, 0x17becfu}

/* Per-epoch history. Every array, when not NULL, holds n values; a NULL
 * array (or n == 0) is a missing series. Accuracies are fractions in [0, 1]
 * and are drawn as percentages. epoch holds the epoch numbers (whole numbers,
 * increasing; they start above 1 after a resume); NULL means 1..n. */
typedef struct {
    int n;
    const double *epoch;
    const double *s1_train_loss, *s1_val_loss; /* Stage 1 */
    const double *s1_train_acc, *s1_val_acc;
    const double *j_train_loss, *j_val_loss;   /* Stage 2 judges (all pooled) */
    const double *j_train_acc, *j_val_acc;
} plot_history_t;

/* A 2x2 figure, PLOT_HISTORY_W x PLOT_HISTORY_H: top row Stage 1 loss |
 * accuracy, bottom row Stage 2 judges loss | accuracy; each panel shows the
 * train and val series against the epoch, with a legend (the val accuracy
 * entry names its best value and epoch). A panel without any finite value
 * says "no Stage 1 data" / "no Stage 2 data" instead. */
int plot_history(const char *path, const plot_history_t *h, err_t *e);

/* A heatmap of the n x n confusion matrix m (row-major; rows are the true
 * class, columns the prediction; counts >= 0), PLOT_CONFUSION_W x
 * PLOT_CONFUSION_H. Colour is the row-normalised share (white -> dark blue,
 * with a colourbar); counts are printed in each cell while they fit (a font
 * of at least 7 px), class names label both axes (rotated 45 degrees when
 * they do not fit horizontally; only every k-th class is labelled when the
 * classes are too narrow for all names). names may be NULL (classes are then
 * numbered from 0), title may be NULL ("Confusion matrix"). */
int plot_confusion(const char *path, int n, const int64_t *m, char *const *names,
                   const char *title, err_t *e);
/* The same with the axes named rows and cols (plot_confusion(): "True"
 * and "Predicted"). */
int plot_confusion_axes(const char *path, int n, const int64_t *m, char *const *names,
                        const char *title, const char *rows, const char *cols, err_t *e);

/* Where plot_confusion() puts the matrix for the same n, names and title:
 * cell (i, j) covers x in [x + j*cell, x + (j+1)*cell), y in
 * [y + i*cell, y + (i+1)*cell) (pixels). For tests and tools. */
typedef struct {
    double x, y, cell;
} plot_grid_t;
int plot_confusion_layout(int n, char *const *names, const char *title, plot_grid_t *g,
                          err_t *e);

/* One risk-coverage curve: n points (coverage[i] in [0, 1], risk[i] >= 0,
 * in any order of coverage; they are drawn sorted by coverage). label names
 * it in the legend (e.g. "judge (AURC 12.3)"). With has_marker set, the
 * point (marker_coverage, marker_risk) is marked with a dot and annotated
 * with marker_label (e.g. "tau = 0.80"; NULL: the point's coordinates). */
typedef struct {
    const char *label;
    int n;
    const double *coverage;
    const double *risk;
    int has_marker;
    double marker_coverage, marker_risk;
    const char *marker_label;
} plot_curve_t;

/* Risk (y, from 0 to a tick above the largest value) against coverage (x,
 * 0..1) for ncurves curves (ncurves may be 0: empty axes saying "no data"),
 * PLOT_RISK_W x PLOT_RISK_H, with a legend and grid. title may be NULL
 * ("Risk-coverage"). */
int plot_risk_coverage(const char *path, const plot_curve_t *curves, int ncurves,
                       const char *title, err_t *e);

/* mscnn compare's figure, PLOT_DELTAS_W x PLOT_DELTAS_H: per category the
 * differences B - A (fractions, drawn in percentage points) of Stage 1 and
 * 11-way accuracy as a pair of bars; a "*" over the Stage 1 bar where p[c]
 * < alpha. NaN differences draw no bar. */
typedef struct {
    int k;
    const char *const *names;      /* k */
    const double *s1, *acc11, *p;  /* k each */
    double alpha;
    const char *title;             /* NULL: none */
} plot_deltas_t;

int plot_deltas(const char *path, const plot_deltas_t *d, err_t *e);

#endif

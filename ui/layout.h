/* layout.h - where every pane of the workbench goes: pure arithmetic from
 * (rows, cols, view, K, line counts) to rectangles. No curses here; the
 * drawing code makes one window (or region) per shown pane and rebuilds
 * them from ui_layout() after every resize. tests/test_ui_pure.c sweeps the
 * sizes: nothing overlaps, nothing is off screen, every shown pane has a
 * positive size.
 *
 * The rules (every view, rows x cols, K categories):
 *
 *  R1 Minimum size. Below UI_MIN_ROWS x UI_MIN_COLS (80x24) the layout is
 *     "too small": only UI_PANE_TOO_SMALL (the whole screen) is shown and
 *     the caller writes ui_layout_too_small_msg() in it, centred. A screen
 *     with no rows or columns shows nothing at all.
 *  R2 Every view has a header (row 0, full width, 1 row: epoch, step,
 *     img/s, ETA, device) and a status/key-hint line (last row, full
 *     width). The "body" is the rows between them: rows - 2 rows.
 *  R3 Dashboard, narrow (cols < UI_WIDE_COLS, or the whole table already
 *     fits the narrow way): top to bottom header, table, threshold bar,
 *     curves, status, all full width. The threshold bar has UI_THRESH_H (2)
 *     rows (gauge line; coverage / selective / 11-way accuracy line). Of
 *     the avail = rows - 2 - UI_THRESH_H rows left, the curves keep
 *     curves_min = max(UI_CHART_MIN_H, avail / 3) and the table takes what
 *     it wants (1 title row + K rows) up to avail - curves_min; the curves
 *     get the rest. At 80x24: avail 20, the table has up to 13 category
 *     rows (K = 10 shows all ten), the curves 6 or more rows.
 *  R4 Dashboard, wide (cols >= UI_WIDE_COLS and 1 + K rows do not fit the
 *     table the narrow way): the table (UI_TABLE_W columns) and the curves
 *     sit side by side, separated by one blank column, over the full
 *     height between the header and the threshold bar, which (like the
 *     status line) stays full width below them.
 *  R4b Dashboard, roomy (checked before R4 and R3: cols >= UI_TABLE_W + 1 +
 *     UI_CHART_MIN_W, the whole confusion matrix fits UI_TABLE_W columns at
 *     UI_CM_CELL_MIN_W per cell, and avail >= 2K + 5): the left column
 *     (UI_TABLE_W wide) holds the whole table (1 + K rows), a blank row and
 *     the confusion matrix (UI_PANE_DMATRIX: a title row, the column-title
 *     row and K + 1 rows; dm_cell_w per cell, at most UI_CM_CELL_PREF_W);
 *     right of it, one blank column between, the loss, accuracy and
 *     learning-rate charts (UI_PANE_LR) are stacked over the same height,
 *     a third each, when each gets UI_CHART_MIN_H rows (else loss and
 *     accuracy by R5, no learning rate). The threshold bar and the status
 *     line stay full width below. At 120x40 with K = 10: table 11 rows,
 *     matrix 25 rows, charts 47x12 each.
 *  R5 Curves inside their rectangle (ui_layout_curves, w x h):
 *     side by side (loss left, accuracy right, each half the width) when
 *     w >= 2 * UI_CHART_MIN_W and either w >= 4 * h (cells are about twice
 *     as tall as wide, so each half is still at least as wide as tall) or
 *     stacking does not fit; else stacked (loss above accuracy) when
 *     h >= 2 * UI_CHART_MIN_H and w >= UI_CHART_MIN_W; else loss only when
 *     one UI_CHART_MIN_W x UI_CHART_MIN_H chart fits; else no curves.
 *  R6 The table pane includes its column-title row: table_rows = table.h -
 *     1 category rows fit; table_scroll_max = max(0, K - table_rows).
 *  R7 Confusion view: the matrix has K + 1 rows and columns (the K
 *     categories and OTHER, the judge's rejections) plus a column-title row
 *     and a row-label column of UI_CM_LABEL_W. The legend goes right of the
 *     matrix (UI_CM_LEGEND_W columns, one blank column between) when the
 *     whole matrix fits beside it at UI_CM_CELL_PREF_W per cell; otherwise
 *     it takes the last UI_CM_LEGEND_H body rows under the matrix. The cell
 *     width is (matrix.w - label) / (K + 1) clamped to
 *     [UI_CM_CELL_MIN_W, UI_CM_CELL_PREF_W]; cm_cols / cm_rows say how many
 *     matrix columns / rows are visible (they scroll when K + 1 is more).
 *  R8 Log view: the log pane is the whole body; log_rows = min(lines, h)
 *     are visible, log_scroll_max = max(0, lines - h).
 *  R9 Help view: the help pane is the whole body. When the help lines do
 *     not fit in one column and the pane is at least 2 * UI_HELP_COL_W
 *     wide, they flow into two columns of help_col_w each; help_rows rows
 *     per column, help_scroll_max lines beyond what the columns show.
 *  R10 A pane that is not shown has h = w = 0 (ui_rect_shown() is 0).
 *     Panes of one view never overlap and always lie on the screen.
 *     ui_layout_dialog() (a centred confirmation box) is the one rectangle
 *     drawn over others on purpose.
 */
#ifndef MSCNN_UI_LAYOUT_H
#define MSCNN_UI_LAYOUT_H

#include <stddef.h>

#define UI_MIN_ROWS 24
#define UI_MIN_COLS 80

#define UI_HEADER_H 1
#define UI_STATUS_H 1
#define UI_THRESH_H 2        /* gauge line + coverage/accuracy line */
#define UI_TABLE_W 72        /* table width in the wide dashboard */
#define UI_WIDE_COLS 150     /* from here the dashboard may go wide (R4) */
#define UI_CHART_MIN_W 40    /* title + y labels + >= 30 plot columns */
#define UI_CHART_MIN_H 6     /* title, >= 4 plot rows, x labels */
#define UI_CM_LABEL_W 12     /* row labels: class name (OTHER too) */
#define UI_CM_CELL_MIN_W 4
#define UI_CM_CELL_PREF_W 6
#define UI_CM_LEGEND_W 26
#define UI_CM_LEGEND_H 3
#define UI_HELP_COL_W 40

typedef struct {
    int y, x, h, w; /* top-left corner and size, in cells */
} ui_rect_t;

typedef enum {
    UI_VIEW_DASHBOARD,
    UI_VIEW_CONFUSION,
    UI_VIEW_LOG,
    UI_VIEW_HELP,
    UI_VIEW_COUNT
} ui_view_t;

typedef enum {
    UI_PANE_HEADER,
    UI_PANE_STATUS,
    UI_PANE_TABLE,  /* dashboard */
    UI_PANE_THRESH, /* dashboard */
    UI_PANE_LOSS,   /* dashboard, loss curves */
    UI_PANE_ACC,    /* dashboard, accuracy curves */
    UI_PANE_MATRIX, /* confusion view */
    UI_PANE_LEGEND, /* confusion view */
    UI_PANE_LOG,    /* log view */
    UI_PANE_HELP,   /* help view */
    UI_PANE_LR,     /* dashboard (roomy), learning-rate curve */
    UI_PANE_DMATRIX, /* dashboard (roomy), confusion matrix */
    UI_PANE_TOO_SMALL,
    UI_PANE_COUNT
} ui_pane_t;

typedef enum {
    UI_CURVES_NONE,
    UI_CURVES_LOSS_ONLY,
    UI_CURVES_STACKED,
    UI_CURVES_SIDE
} ui_curves_t;

typedef struct {
    int rows, cols;   /* terminal size (getmaxyx of stdscr) */
    ui_view_t view;
    int k;            /* categories, without OTHER (10, 20, 100...) */
    int log_lines;    /* lines held by the log */
    int help_lines;   /* ui_keys_help_count() */
} ui_layout_in_t;

typedef struct {
    int too_small;                  /* R1: only UI_PANE_TOO_SMALL shown */
    ui_rect_t pane[UI_PANE_COUNT];  /* h = w = 0: not shown in this view */
    int wide;                       /* dashboard R4 in use */
    int roomy;                      /* dashboard R4b in use */
    int dm_cell_w;                  /* R4b: cell width of the dashboard matrix */
    ui_curves_t curves;             /* R5 */
    int table_rows, table_scroll_max;            /* R6 */
    int cm_label_w, cm_cell_w, cm_rows, cm_cols; /* R7 */
    int log_rows, log_scroll_max;                /* R8 */
    int help_cols, help_col_w, help_rows, help_scroll_max; /* R9 */
} ui_layout_t;

/* Fills *out for in (all of *out is written; negative counts read as 0,
 * an unknown view lays out the dashboard). */
void ui_layout(const ui_layout_in_t *in, ui_layout_t *out);

/* R5 on its own: splits r into the loss and accuracy rectangles (an unused
 * one is all zeros) and returns the arrangement. */
ui_curves_t ui_layout_curves(ui_rect_t r, ui_rect_t *loss, ui_rect_t *acc);

/* A centred box for a confirmation prompt of text_h lines of up to text_w
 * cells, with a one-cell border all round, clipped to the screen. */
ui_rect_t ui_layout_dialog(int rows, int cols, int text_h, int text_w);

/* "terminal too small: need 80x24 (now 70x20)" into buf (n bytes). */
void ui_layout_too_small_msg(char *buf, size_t n, int rows, int cols);

/* Keeps the selected row visible: returns the new first visible row for
 * `total` rows of which `visible` fit, given the old first row. */
int ui_scroll_first(int first, int selected, int visible, int total);

int ui_rect_shown(ui_rect_t r);                      /* h > 0 and w > 0 */
int ui_rect_overlap(ui_rect_t a, ui_rect_t b);       /* share a cell */
int ui_rect_inside(ui_rect_t r, int rows, int cols); /* on the screen */

const char *ui_view_name(ui_view_t v);
const char *ui_pane_name(ui_pane_t p);

#endif

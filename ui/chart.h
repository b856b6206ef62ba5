/* chart.h - terminal line charts and the threshold gauge, drawn into a
 * caller-provided grid of cells instead of a window, so that they are
 * tested without a terminal. The drawing code copies a grid to curses cell
 * by cell (colour pair from the role, then the cell's string); every cell
 * holds one code point of display width 1.
 *
 * Ownership: the grid's cells and the rings belong to the caller; nothing
 * here allocates or keeps a pointer after a call returns. No global state.
 */
#ifndef MSCNN_UI_CHART_H
#define MSCNN_UI_CHART_H

#include <stddef.h>

/* Semantic colour roles; the drawing code maps each to a colour pair per
 * scheme (monochrome included). Values are stable: append new ones. */
typedef enum {
    C_NORMAL = 0,
    C_TITLE,
    C_AXIS,       /* chart axes, gauge brackets */
    C_LABEL,      /* tick labels, legend names, gauge text */
    C_LOSS_TRAIN, /* Stage 1 */
    C_LOSS_VAL,
    C_ACC_TRAIN,
    C_ACC_VAL,
    C_JUDGE_TRAIN, /* Stage 2 judges (pooled) */
    C_JUDGE_VAL,
    C_GAUGE_FILL,
    C_GAUGE_EMPTY,
    C_GAUGE_MARK, /* the tau position (ASCII '|', UTF-8 partial block) */
    C_ROLE_COUNT
} ui_role_t;

typedef enum {
    UI_GLYPH_UTF8,  /* Braille charts (2x4 dots per cell), block-element gauge */
    UI_GLYPH_ASCII  /* bytes < 0x80 only: slope characters, '=' '|' '-' gauge */
} ui_glyphs_t;

/* One screen cell: a NUL-terminated UTF-8 string of 1 to 4 bytes (one
 * code point of width 1; " " when blank) and its colour role. */
#define UI_CELL_BYTES 5
typedef struct {
    char s[UI_CELL_BYTES];
    int role;
} ui_cell_t;

/* h rows of w cells, row-major: cell (y, x) is cells[y * w + x]. */
typedef struct {
    ui_cell_t *cells;
    int h, w;
} ui_grid_t;

/* Every cell " " with role. */
void ui_grid_clear(ui_grid_t *g, int role);
/* Cell (y, x), or NULL when it lies outside the grid. */
ui_cell_t *ui_grid_at(ui_grid_t *g, int y, int x);
/* Writes the UTF-8 string s from (y, x) rightwards, one code point per
 * cell (invalid bytes become '?'), clipped to the grid; returns the number
 * of cells written. */
int ui_grid_put(ui_grid_t *g, int y, int x, const char *s, int role);
/* Concatenates the strings of n cells into buf (n bytes at most, always
 * NUL-terminated); returns the length written. For tests and for drawing
 * a run of cells with one role. */
size_t ui_cells_str(const ui_cell_t *c, int n, char *buf, size_t bufn);

/* ---- ring buffer of history ------------------------------------------- */

/* The last UI_RING_CAP (x, y) points of a series (x: epoch, possibly
 * fractional; y: the value, NaN for "missing"). Plain data: the trainer's
 * snapshot can hold rings and be copied with one assignment. */
#define UI_RING_CAP 512
typedef struct {
    double x[UI_RING_CAP], y[UI_RING_CAP];
    int head; /* where the next push goes */
    int len;  /* points held, <= UI_RING_CAP */
} ui_ring_t;

void ui_ring_init(ui_ring_t *r);
/* Appends a point; when full, the oldest point is dropped. */
void ui_ring_push(ui_ring_t *r, double x, double y);
int ui_ring_len(const ui_ring_t *r);
/* The i-th oldest point (0 = oldest, len - 1 = newest) into *x, *y (either
 * may be NULL); 0, or -1 when i is out of range (then both are NaN). */
int ui_ring_get(const ui_ring_t *r, int i, double *x, double *y);

/* ---- line charts ------------------------------------------------------- */

#define UI_CHART_MAX_SERIES 8

typedef struct {
    const ui_ring_t *data;
    int role;         /* ui_role_t of its dots and legend marker */
    const char *name; /* legend entry; NULL: none */
    const char *glyph; /* NULL: Braille dots / slope characters; else one
                        * width-1 code point ("*", "o") drawn in every cell
                        * the line passes, and shown in the legend: series
                        * differ by glyph where colour is off */
} ui_series_t;

typedef struct {
    const char *title;          /* row 0, may be NULL */
    const ui_series_t *series;  /* drawn in order: later ones on top */
    int nseries;                /* at most UI_CHART_MAX_SERIES are drawn */
    ui_glyphs_t glyphs;
    int fixed_y;                /* 1: use ymin..ymax below (e.g. 0..1) */
    double ymin, ymax;
} ui_chart_t;

/* Where the plot went and its scales (for tests and for cursors). */
typedef struct {
    int plot_y, plot_x, plot_h, plot_w; /* the data area inside the grid */
    int sub_x, sub_y;                   /* dots per cell: 2x4 or 1x1 */
    double xmin, xmax, ymin, ymax;      /* what the edges of the data area mean */
    int has_data;                       /* some point had finite x and y */
} ui_chart_info_t;

/* Draws the chart over the whole grid (cleared first):
 *   row 0        title, then one legend entry per named series
 *                ("━ name" / "- name", or "<glyph> name" for a series
 *                with a glyph; the marker in the series' role);
 *   rows 1..h-2  the data area, with y tick labels right-aligned at the
 *                left (top = ymax, bottom = ymin, middle when there are at
 *                least 5 rows) and an axis column ('┤'/'│', ASCII '+'/'|');
 *   row h-1      x labels under the data area: first x at the left, last
 *                x at the right, the middle one when it fits.
 * y range: fixed_y with ymax > ymin (points outside it are drawn on the
 * edge), else the finite data range padded by 5% each side (a constant
 * series c gets c +- 10% of |c|, or +- 1 for 0, so it runs along the
 * middle); data that is all >= 0 never gets an axis below 0 (so a
 * constant 0 runs along the bottom). x range: the finite x of all series.
 * Points with a NaN or infinite x or y are skipped and break the line (as
 * plot.h does).
 * UTF-8: each point is a Braille dot (2x4 per cell), consecutive points
 * are joined by dots along the line; series sharing a cell merge their
 * dots and the cell takes the later series' role. ASCII: one point per
 * cell, joined with '-', '/', '\', '|' by the direction of the step ('*'
 * for a lone point).
 * Without data (no point with finite x and y) the area says "no data" and
 * has no axis or labels. Grids too small for the data area (h < 3) get the
 * title only; tick labels are dropped when they would leave fewer than 4
 * data columns. */
void ui_chart_draw(ui_grid_t *g, const ui_chart_t *c, ui_chart_info_t *info);

/* ---- threshold gauge ------------------------------------------------- */

/* The gauge "[=====|-----] tau 0.50" into cells[0..w): brackets, a bar
 * of n = w - 2 - strlen(suffix) cells, then the suffix " <label> %.2f"
 * (omitted when label is NULL or the bar would be under 4 cells; "--"
 * for a NaN tau). tau is clamped to [0, 1].
 * ASCII: the marker '|' sits at cell round(tau * (n - 1)), '=' before it,
 * '-' after. UTF-8: tau * n cells are filled to the nearest eighth: full
 * blocks '█', one partial block (▏▎▍▌▋▊▉) at the tau position, '░' after.
 * Returns the cells written (w, or 0 for w <= 0). */
int ui_gauge(ui_cell_t *cells, int w, double tau, const char *label, ui_glyphs_t glyphs);

#endif

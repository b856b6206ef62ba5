/* plot_priv.h - what the figure files of plot.h share (private to
 * src/report/plot_*.c).
 *
 * plot_canvas.c: colours, the canvas (surface + context, atomic PNG write),
 * text (anchored, optionally rotated, toy "sans-serif" font), small shapes
 * and the record of pixels covered by data (so legends and notes avoid it).
 * plot_axes.c: the axes of the line plots (data -> pixel mapping, 1-2-5
 * ticks, grid, frame, tick labels, axis labels, title, series, legend).
 * plot_history.c, plot_confusion.c, plot_risk.c: one figure each.
 *
 * All state lives on the stack or in objects freed before return. Every
 * function here is prefixed pl_ (they are global symbols of the library). */
#ifndef MSCNN_PLOT_PRIV_H
#define MSCNN_PLOT_PRIV_H

#include <cairo.h>
#include <math.h>

#include "report/plot.h"

/* ---- colours ------------------------------------------------------------ */

enum {
    COL_BG = 0xffffff,
    COL_TEXT = 0x222222,
    COL_TICKTEXT = 0x444444,
    COL_SPINE = 0x555555,
    COL_GRID = 0xe3e3e3,
    COL_MUTED = 0x8a8a8a,
    COL_NODATA_BG = 0xf6f6f6,
    COL_LEGEND_BORDER = 0xcccccc,
    COL_CELL_LINE = 0xffffff,
    COL_ZERO_COUNT = 0xa0a0a0,
    COL_WHITE = 0xffffff,
};

typedef struct {
    double r, g, b;
} rgb_t;

rgb_t pl_rgb(uint32_t hex);
void pl_set_col(cairo_t *cr, uint32_t hex);
void pl_set_rgb(cairo_t *cr, rgb_t c);
/* Colour k of PLOT_PALETTE (k >= 0, taken modulo PLOT_PALETTE_N). */
rgb_t pl_palette(int k);

/* ---- canvas --------------------------------------------------------------- */

typedef struct {
    cairo_surface_t *surf;
    cairo_t *cr;
    int w, h;
} canvas_t;

/* A w x h white canvas; 0, or -1 with e set (naming path). */
int pl_canvas_open(canvas_t *c, int w, int h, const char *path, err_t *e);
/* Encodes the canvas as PNG into <path>.tmp, renames it to path and closes
 * the canvas (also on failure, when the .tmp file is removed). */
int pl_canvas_save(canvas_t *c, const char *path, err_t *e);
/* Text and shape rendering settings shared by every context. */
void pl_setup_cr(cairo_t *cr);

/* ---- text ----------------------------------------------------------------- */

#define FS_TITLE 20.0
#define FS_PANEL 15.0
#define FS_LABEL 13.0
#define FS_TICK 12.0
#define FS_LEGEND 12.0
#define FS_NOTE 12.0

void pl_font(cairo_t *cr, double size, int bold);
void pl_font_italic(cairo_t *cr, double size);
/* Advance width of s in the current font. */
double pl_text_w(cairo_t *cr, const char *s);
/* Height of capital letters / digits in the current font. */
double pl_cap_h(cairo_t *cr);
/* Draws s with its anchor at (x, y): ax = 0 / 0.5 / 1 puts the anchor at the
 * text's left / centre / right; ay = 0 / 0.5 / 1 at the top of the capitals
 * / their middle / the baseline. angle (radians, clockwise on screen)
 * rotates the text about the anchor. */
void pl_text_at(cairo_t *cr, double x, double y, const char *s, double ax, double ay,
                double angle);

/* ---- shapes --------------------------------------------------------------- */

/* The centre of a pixel, for crisp 1 px lines. */
static inline double pl_snap(double v)
{
    return floor(v) + 0.5;
}

/* A rounded rectangle as a new sub-path (not drawn). */
void pl_round_rect(cairo_t *cr, double x, double y, double w, double h, double r);

/* A white box of opacity alpha with rounded corners (radius r) and a 1 px
 * border in col, its edges on pixel centres from (x, y) (whole numbers). */
void pl_box(cairo_t *cr, double x, double y, double w, double h, double r, double alpha,
            rgb_t col);

enum { MARK_NONE, MARK_CIRCLE, MARK_SQUARE };

/* A point marker of the given kind and size in col, outlined in white with
 * line width outline. */
void pl_marker(cairo_t *cr, double x, double y, int kind, double size, rgb_t col,
               double outline);

/* ---- covered pixels ------------------------------------------------------- */

/* Pixels covered by data, so that legends and notes can avoid them. */
typedef struct {
    double *xy;
    int n, cap;
} occ_t;

void pl_occ_add(occ_t *o, double x, double y);
void pl_occ_segment(occ_t *o, double x0, double y0, double x1, double y1);
void pl_occ_rect(occ_t *o, double x, double y, double w, double h);

/* Of the n candidate top-left corners cand[k] for a w x h box, the one whose
 * box, grown by margin on every side, covers the fewest recorded pixels (the
 * first such). With clip not NULL (x, y, w, h), only candidates whose box
 * lies inside clip shrunk by margin count. Returns -1 when none does. */
int pl_occ_best(const occ_t *o, const double (*cand)[2], int n, double w, double h,
                double margin, const double *clip);

/* ---- axes (plot_axes.c) --------------------------------------------------- */

typedef struct {
    double first, step;
    int count, decimals;
} ticks_t;

typedef struct {
    cairo_t *cr;
    double x, y, w, h;     /* plot area in pixels */
    double x0, x1, y0, y1; /* data range */
    ticks_t xt, yt;
    const char *xsuffix, *ysuffix; /* appended to tick labels, e.g. "%" */
    occ_t occ;
} axes_t;

typedef struct {
    const char *label;
    rgb_t col;
    int mark;
} legend_item_t;

void pl_axes_init(axes_t *a, cairo_t *cr, double x, double y, double w, double h);
void pl_axes_free(axes_t *a);
/* Sets the data range and the ticks (at most 10 / 7 on x, 8 / 6 on y by the
 * size of the area; whole-number x ticks with xint). */
void pl_axes_range(axes_t *a, double x0, double x1, int xint, double y0, double y1);
double pl_ax_px(const axes_t *a, double v);
double pl_ax_py(const axes_t *a, double v);
/* Background grid (drawn before the data). */
void pl_axes_grid(axes_t *a);
/* Frame, ticks, tick labels, axis labels and title (drawn after the data);
 * any of the texts may be NULL. */
void pl_axes_frame(axes_t *a, const char *title, const char *xlabel, const char *ylabel,
                   double title_fs);
/* A polyline through the finite points (x[i], y[i] * yscale), broken at
 * NaN; markers when the points are far enough apart, and always on an
 * isolated point. Records the covered pixels in a->occ. */
void pl_axes_series(axes_t *a, int n, const double *x, const double *y, double yscale,
                    rgb_t col, int mark, double lw);
/* Centred grey message in an empty plot area. */
void pl_axes_message(axes_t *a, const char *msg);
/* A legend box in the corner (or edge centre) of the plot area that covers
 * the fewest data pixels, preferring the upper right. */
void pl_axes_legend(axes_t *a, const legend_item_t *it, int n);

#endif

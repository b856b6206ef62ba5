/* plot_axes.c - the axes of the line plots: data -> pixel mapping, 1-2-5
 * ticks, grid, frame, tick labels, axis labels, title, series, a "no data"
 * message and a legend that avoids the data (see plot_priv.h). */
#include "report/plot_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ticks ---------------------------------------------------------------- */

/* A 1-2-5 step giving at most about maxticks ticks over span. */
static double nice_step(double span, int maxticks, int integer)
{
    if (!(span > 0))
        span = 1;
    double raw = span / maxticks;
    double mag = pow(10, floor(log10(raw)));
    double norm = raw / mag;
    double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
    if (integer && step < 1)
        step = 1;
    return step;
}

static void make_ticks(double lo, double hi, int maxticks, int integer, ticks_t *t)
{
    t->step = nice_step(hi - lo, maxticks, integer);
    t->first = ceil(lo / t->step - 1e-9) * t->step;
    t->count = (int)floor((hi - t->first) / t->step + 1e-9) + 1;
    if (t->count < 0)
        t->count = 0;
    int d = -(int)floor(log10(t->step) + 1e-9);
    t->decimals = d > 0 ? d : 0;
}

static double tick_value(const ticks_t *t, int i)
{
    return t->first + i * t->step;
}

/* Tick i as text: its value with t's decimals ("-0.0" written "0.0"), then
 * suffix (at most 7 bytes). */
static void tick_label(char *buf, size_t len, const ticks_t *t, int i, const char *suffix)
{
    snprintf(buf, len - 8, "%.*f", t->decimals, tick_value(t, i));
    if (buf[0] == '-') { /* "-0.0" -> "0.0" */
        int zero = 1;
        for (const char *p = buf + 1; *p; p++)
            if (*p != '0' && *p != '.')
                zero = 0;
        if (zero)
            memmove(buf, buf + 1, strlen(buf));
    }
    strcat(buf, suffix);
}

/* ---- axes ----------------------------------------------------------------- */

void pl_axes_init(axes_t *a, cairo_t *cr, double x, double y, double w, double h)
{
    memset(a, 0, sizeof *a);
    a->cr = cr;
    a->x = x;
    a->y = y;
    a->w = w;
    a->h = h;
    a->xsuffix = a->ysuffix = "";
}

void pl_axes_free(axes_t *a)
{
    free(a->occ.xy);
    a->occ.xy = NULL;
}

void pl_axes_range(axes_t *a, double x0, double x1, int xint, double y0, double y1)
{
    a->x0 = x0;
    a->x1 = x1;
    a->y0 = y0;
    a->y1 = y1;
    make_ticks(x0, x1, a->w >= 700 ? 10 : 7, xint, &a->xt);
    make_ticks(y0, y1, a->h >= 400 ? 8 : 6, 0, &a->yt);
}

double pl_ax_px(const axes_t *a, double v)
{
    return a->x + (v - a->x0) / (a->x1 - a->x0) * a->w;
}

double pl_ax_py(const axes_t *a, double v)
{
    return a->y + a->h - (v - a->y0) / (a->y1 - a->y0) * a->h;
}

void pl_axes_grid(axes_t *a)
{
    cairo_t *cr = a->cr;
    cairo_save(cr);
    pl_set_col(cr, COL_GRID);
    cairo_set_line_width(cr, 1);
    for (int i = 0; i < a->xt.count; i++) {
        double px = pl_snap(pl_ax_px(a, tick_value(&a->xt, i)));
        cairo_move_to(cr, px, a->y);
        cairo_line_to(cr, px, a->y + a->h);
    }
    for (int i = 0; i < a->yt.count; i++) {
        double py = pl_snap(pl_ax_py(a, tick_value(&a->yt, i)));
        cairo_move_to(cr, a->x, py);
        cairo_line_to(cr, a->x + a->w, py);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* The frame and the tick marks; bottom is the frame's lower edge. */
static void frame_ticks(axes_t *a, double bottom)
{
    cairo_t *cr = a->cr;
    cairo_set_line_width(cr, 1);
    pl_set_col(cr, COL_SPINE);
    cairo_rectangle(cr, pl_snap(a->x), pl_snap(a->y), floor(a->w), floor(a->h));
    cairo_stroke(cr);
    for (int i = 0; i < a->xt.count; i++) {
        double px = pl_snap(pl_ax_px(a, tick_value(&a->xt, i)));
        cairo_move_to(cr, px, bottom);
        cairo_line_to(cr, px, bottom + 5);
    }
    for (int i = 0; i < a->yt.count; i++) {
        double py = pl_snap(pl_ax_py(a, tick_value(&a->yt, i)));
        cairo_move_to(cr, pl_snap(a->x), py);
        cairo_line_to(cr, pl_snap(a->x) - 5, py);
    }
    cairo_stroke(cr);
}

/* The tick labels below and left of the frame; returns the widest y label. */
static double tick_labels(axes_t *a, double bottom)
{
    cairo_t *cr = a->cr;
    char buf[64];
    for (int i = 0; i < a->xt.count; i++) {
        tick_label(buf, sizeof buf, &a->xt, i, a->xsuffix);
        pl_text_at(cr, pl_ax_px(a, tick_value(&a->xt, i)), bottom + 9, buf, 0.5, 0, 0);
    }
    double maxw = 0;
    for (int i = 0; i < a->yt.count; i++) {
        tick_label(buf, sizeof buf, &a->yt, i, a->ysuffix);
        double w = pl_text_w(cr, buf);
        if (w > maxw)
            maxw = w;
        pl_text_at(cr, a->x - 9, pl_ax_py(a, tick_value(&a->yt, i)), buf, 1, 0.5, 0);
    }
    return maxw;
}

void pl_axes_frame(axes_t *a, const char *title, const char *xlabel, const char *ylabel,
                   double title_fs)
{
    cairo_t *cr = a->cr;
    cairo_save(cr);
    double bottom = pl_snap(a->y) + floor(a->h);
    frame_ticks(a, bottom);
    pl_font(cr, FS_TICK, 0);
    pl_set_col(cr, COL_TICKTEXT);
    double th = pl_cap_h(cr);
    double maxw = tick_labels(a, bottom);

    pl_set_col(cr, COL_TEXT);
    pl_font(cr, FS_LABEL, 0);
    if (xlabel)
        pl_text_at(cr, a->x + a->w / 2, bottom + 9 + th + 12, xlabel, 0.5, 0, 0);
    if (ylabel)
        pl_text_at(cr, a->x - 9 - maxw - 12, a->y + a->h / 2, ylabel, 0.5, 1, -M_PI / 2);
    if (title) {
        pl_font(cr, title_fs, 1);
        pl_text_at(cr, a->x + a->w / 2, a->y - 12, title, 0.5, 1, 0);
    }
    cairo_restore(cr);
}

static int finite_pt(const double *x, const double *y, int i)
{
    return isfinite(x[i]) && isfinite(y[i]);
}

void pl_axes_series(axes_t *a, int n, const double *x, const double *y, double yscale,
                    rgb_t col, int mark, double lw)
{
    cairo_t *cr = a->cr;
    cairo_save(cr);
    cairo_rectangle(cr, a->x - 6, a->y - 6, a->w + 12, a->h + 12);
    cairo_clip(cr);
    cairo_set_line_width(cr, lw);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    pl_set_rgb(cr, col);
    cairo_new_path(cr);
    int npts = 0, open = 0;
    double lx = 0, ly = 0;
    for (int i = 0; i < n; i++) {
        if (!finite_pt(x, y, i)) {
            open = 0;
            continue;
        }
        npts++;
        double px = pl_ax_px(a, x[i]), py = pl_ax_py(a, y[i] * yscale);
        if (open) {
            cairo_line_to(cr, px, py);
            pl_occ_segment(&a->occ, lx, ly, px, py);
        } else {
            cairo_move_to(cr, px, py);
            pl_occ_add(&a->occ, px, py);
        }
        open = 1;
        lx = px;
        ly = py;
    }
    cairo_stroke(cr);
    int all = mark != MARK_NONE && npts > 0 && a->w / npts >= 9;
    for (int i = 0; i < n; i++) {
        if (!finite_pt(x, y, i))
            continue;
        int prev = i > 0 && finite_pt(x, y, i - 1);
        int next = i + 1 < n && finite_pt(x, y, i + 1);
        if (all || (!prev && !next))
            pl_marker(cr, pl_ax_px(a, x[i]), pl_ax_py(a, y[i] * yscale),
                      mark == MARK_NONE ? MARK_CIRCLE : mark, 3.6, col, 1.0);
    }
    cairo_restore(cr);
}

void pl_axes_message(axes_t *a, const char *msg)
{
    cairo_t *cr = a->cr;
    cairo_save(cr);
    pl_set_col(cr, COL_NODATA_BG);
    cairo_rectangle(cr, a->x, a->y, a->w, a->h);
    cairo_fill(cr);
    pl_font_italic(cr, 16);
    pl_set_col(cr, COL_MUTED);
    pl_text_at(cr, a->x + a->w / 2, a->y + a->h / 2, msg, 0.5, 0.5, 0);
    cairo_restore(cr);
}

#define LEG_PAD 8.0
#define LEG_SAMPLE 26.0
#define LEG_GAP 7.0
#define LEG_ROW (FS_LEGEND * 1.65)

/* The legend's rows (line sample, marker, label) in a box at (bx, by). */
static void legend_rows(cairo_t *cr, const legend_item_t *it, int n, double bx, double by)
{
    for (int i = 0; i < n; i++) {
        double cy = by + LEG_PAD * 0.75 + LEG_ROW * (i + 0.5);
        cairo_set_line_width(cr, 2.2);
        pl_set_rgb(cr, it[i].col);
        cairo_move_to(cr, bx + LEG_PAD, cy);
        cairo_line_to(cr, bx + LEG_PAD + LEG_SAMPLE, cy);
        cairo_stroke(cr);
        pl_marker(cr, bx + LEG_PAD + LEG_SAMPLE / 2, cy, it[i].mark, 3.6, it[i].col, 1.0);
        pl_set_col(cr, COL_TEXT);
        pl_text_at(cr, bx + LEG_PAD + LEG_SAMPLE + LEG_GAP, cy, it[i].label, 0, 0.5, 0);
    }
}

void pl_axes_legend(axes_t *a, const legend_item_t *it, int n)
{
    if (n <= 0)
        return;
    cairo_t *cr = a->cr;
    cairo_save(cr);
    pl_font(cr, FS_LEGEND, 0);
    double tw = 0;
    for (int i = 0; i < n; i++) {
        double w = pl_text_w(cr, it[i].label);
        if (w > tw)
            tw = w;
    }
    double bw = LEG_PAD + LEG_SAMPLE + LEG_GAP + tw + LEG_PAD;
    double bh = LEG_PAD * 0.75 * 2 + LEG_ROW * n;
    double m = 10; /* distance from the frame */
    double L = a->x + m, R = a->x + a->w - m - bw, C = a->x + (a->w - bw) / 2;
    double T = a->y + m, B = a->y + a->h - m - bh, M = a->y + (a->h - bh) / 2;
    const double cand[][2] = {{R, T}, {L, T}, {L, B}, {R, B}, {R, M}, {L, M}, {C, T}, {C, B}};
    int best = pl_occ_best(&a->occ, cand, 8, bw, bh, 3, NULL);
    double bx = round(cand[best][0]), by = round(cand[best][1]);
    pl_box(cr, bx, by, bw, bh, 4, 0.92, pl_rgb(COL_LEGEND_BORDER));
    legend_rows(cr, it, n, bx, by);
    pl_occ_rect(&a->occ, bx, by, bw, bh);
    cairo_restore(cr);
}

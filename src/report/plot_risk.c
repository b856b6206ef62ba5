/* plot_risk.c - risk_coverage.png: risk against coverage for several
 * curves, with marked and annotated operating points (see plot.h). */
#include "report/plot_priv.h"

#include <stdio.h>
#include <stdlib.h>

/* The note beside a marked point: a box at the spot among six around it
 * that stays inside the plot area and covers the fewest data pixels, with a
 * leader line from the point. */
static void note_point(axes_t *a, double px, double py, const char *text, rgb_t col)
{
    cairo_t *cr = a->cr;
    cairo_save(cr);
    pl_font(cr, FS_NOTE, 0);
    double tw = pl_text_w(cr, text), th = pl_cap_h(cr), pad = 5;
    double bw = tw + 2 * pad, bh = th + 2 * pad + 2, off = 10;
    const double cand[][2] = {{px + off, py - off - bh},     {px - off - bw, py - off - bh},
                              {px + off, py + off},          {px - off - bw, py + off},
                              {px - bw / 2, py - 2 * off - bh}, {px - bw / 2, py + 2 * off}};
    const double clip[4] = {a->x, a->y, a->w, a->h};
    int best = pl_occ_best(&a->occ, cand, 6, bw, bh, 2, clip);
    double x, y;
    if (best >= 0) {
        x = cand[best][0];
        y = cand[best][1];
    } else { /* clamp into the plot area */
        x = fmin(fmax(px + off, a->x + 2), a->x + a->w - bw - 2);
        y = fmin(fmax(py - off - bh, a->y + 2), a->y + a->h - bh - 2);
    }
    x = round(x);
    y = round(y);
    /* leader from the point to the nearest box corner region */
    double lx = fmin(fmax(px, x), x + bw), ly = fmin(fmax(py, y), y + bh);
    pl_set_rgb(cr, col);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, px, py);
    cairo_line_to(cr, lx, ly);
    cairo_stroke(cr);
    pl_box(cr, x, y, bw, bh, 3, 0.93, col);
    pl_set_col(cr, COL_TEXT);
    pl_text_at(cr, x + pad, y + bh / 2, text, 0, 0.5, 0);
    pl_occ_rect(&a->occ, x, y, bw, bh);
    cairo_restore(cr);
}

static int check_curves(const char *path, const plot_curve_t *curves, int ncurves, err_t *e)
{
    if (ncurves < 0 || (ncurves > 0 && !curves))
        return err_set(e, "%s: invalid curves (ncurves = %d)", path, ncurves);
    for (int k = 0; k < ncurves; k++)
        if (curves[k].n < 0 || (curves[k].n > 0 && (!curves[k].coverage || !curves[k].risk)))
            return err_set(e, "%s: curve %d has no data", path, k);
    return 0;
}

/* Whether the curve has a marked point to draw. */
static int has_point(const plot_curve_t *cv)
{
    return cv->has_marker && isfinite(cv->marker_coverage) && isfinite(cv->marker_risk);
}

/* The largest risk of any finite point or marker (1 when none is above 0);
 * *any tells whether some curve has a finite point. */
static double max_risk(const plot_curve_t *curves, int ncurves, int *any)
{
    double rmax = 0;
    *any = 0;
    for (int k = 0; k < ncurves; k++) {
        const plot_curve_t *cv = &curves[k];
        for (int i = 0; i < cv->n; i++)
            if (isfinite(cv->coverage[i]) && isfinite(cv->risk[i])) {
                *any = 1;
                if (cv->risk[i] > rmax)
                    rmax = cv->risk[i];
            }
        if (cv->has_marker && isfinite(cv->marker_risk) && cv->marker_risk > rmax)
            rmax = cv->marker_risk;
    }
    return rmax > 0 ? rmax : 1;
}

typedef struct {
    double c, r;
} cr_pt_t;

static int cmp_pt(const void *a, const void *b)
{
    const cr_pt_t *x = a, *y = b;
    return (x->c > y->c) - (x->c < y->c);
}

/* The curve's finite points, sorted by coverage, as a line (with markers
 * when there are few points). */
static void draw_curve(axes_t *a, const plot_curve_t *cv, rgb_t col)
{
    cr_pt_t *pts = xmalloc(sizeof *pts * (size_t)(cv->n > 0 ? cv->n : 1));
    int np = 0;
    for (int i = 0; i < cv->n; i++)
        if (isfinite(cv->coverage[i]) && isfinite(cv->risk[i]))
            pts[np++] = (cr_pt_t){cv->coverage[i], cv->risk[i]};
    qsort(pts, (size_t)np, sizeof *pts, cmp_pt);
    double *xs = xmalloc(sizeof(double) * (size_t)(np > 0 ? np : 1));
    double *ys = xmalloc(sizeof(double) * (size_t)(np > 0 ? np : 1));
    for (int i = 0; i < np; i++) {
        xs[i] = pts[i].c;
        ys[i] = pts[i].r;
    }
    pl_axes_series(a, np, xs, ys, 1, col, np <= 25 ? MARK_CIRCLE : MARK_NONE, 2.4);
    free(xs);
    free(ys);
    free(pts);
}

/* The marked points, as large dots over all curves, then their notes. */
static void draw_points(axes_t *a, const plot_curve_t *curves, int ncurves)
{
    for (int k = 0; k < ncurves; k++) {
        if (!has_point(&curves[k]))
            continue;
        double px = pl_ax_px(a, curves[k].marker_coverage);
        double py = pl_ax_py(a, curves[k].marker_risk);
        cairo_save(a->cr);
        pl_marker(a->cr, px, py, MARK_CIRCLE, 6, pl_palette(k), 2);
        cairo_restore(a->cr);
        pl_occ_rect(&a->occ, px - 6, py - 6, 12, 12);
    }
    for (int k = 0; k < ncurves; k++) {
        const plot_curve_t *cv = &curves[k];
        if (!has_point(cv))
            continue;
        char note[256];
        if (cv->marker_label)
            snprintf(note, sizeof note, "%s: coverage %.2f, risk %.*f", cv->marker_label,
                     cv->marker_coverage, a->yt.decimals + 1, cv->marker_risk);
        else
            snprintf(note, sizeof note, "coverage %.2f, risk %.*f", cv->marker_coverage,
                     a->yt.decimals + 1, cv->marker_risk);
        note_point(a, pl_ax_px(a, cv->marker_coverage), pl_ax_py(a, cv->marker_risk), note,
                   pl_palette(k));
    }
}

/* Draws every curve and fills its legend item (label in labels[k]). */
static void draw_curves(axes_t *a, const plot_curve_t *curves, int ncurves,
                        legend_item_t *items, char (*labels)[160])
{
    for (int k = 0; k < ncurves; k++) {
        const plot_curve_t *cv = &curves[k];
        rgb_t col = pl_palette(k);
        draw_curve(a, cv, col);
        snprintf(labels[k], sizeof labels[k], "%s", cv->label ? cv->label : "");
        if (!labels[k][0])
            snprintf(labels[k], sizeof labels[k], "curve %d", k + 1);
        items[k] = (legend_item_t){labels[k], col, cv->has_marker ? MARK_CIRCLE : MARK_NONE};
    }
}

int plot_risk_coverage(const char *path, const plot_curve_t *curves, int ncurves,
                       const char *title, err_t *e)
{
    if (!path || !*path)
        return err_set(e, "plot_risk_coverage: no output file name");
    if (check_curves(path, curves, ncurves, e))
        return -1;
    canvas_t c;
    if (pl_canvas_open(&c, PLOT_RISK_W, PLOT_RISK_H, path, e))
        return -1;
    axes_t a;
    pl_axes_init(&a, c.cr, 96, 64, c.w - 96 - 36, c.h - 64 - 78);
    int any;
    double rmax = max_risk(curves, ncurves, &any);
    pl_axes_range(&a, -0.02, 1.02, 0, -0.03 * rmax, rmax * 1.08);
    a.xt = (ticks_t){0, 0.1, 11, 1}; /* x ticks exactly 0, 0.1, ... 1 */
    pl_axes_grid(&a);

    size_t nalloc = (size_t)(ncurves > 0 ? ncurves : 1);
    legend_item_t *items = xcalloc(nalloc, sizeof *items);
    char (*labels)[160] = xcalloc(nalloc, sizeof *labels);
    draw_curves(&a, curves, ncurves, items, labels);
    draw_points(&a, curves, ncurves);
    if (!any)
        pl_axes_message(&a, "no data");
    pl_axes_frame(&a, title ? title : "Risk\xe2\x80\x93" "coverage",
                  "Coverage (fraction of inputs accepted)", "Risk (error rate among accepted)",
                  FS_TITLE);
    if (any)
        pl_axes_legend(&a, items, ncurves);
    free(items);
    free(labels);
    pl_axes_free(&a);
    return pl_canvas_save(&c, path, e);
}

/* plot_compare.c - mscnn compare's figure: per-category differences B - A
 * of Stage 1 and 11-way accuracy as grouped bars, significant ones marked. */
#include "report/plot.h"

#include <math.h>
#include <stdio.h>

#include "report/plot_priv.h"

static double max_abs(const plot_deltas_t *d)
{
    double m = 1.0; /* percentage points: at least +-1 */
    for (int c = 0; c < d->k; c++) {
        if (isfinite(d->s1[c]) && fabs(100 * d->s1[c]) > m)
            m = fabs(100 * d->s1[c]);
        if (isfinite(d->acc11[c]) && fabs(100 * d->acc11[c]) > m)
            m = fabs(100 * d->acc11[c]);
    }
    return m;
}

static void bar(axes_t *a, double x0, double x1, double v, rgb_t col)
{
    if (!isfinite(v))
        return;
    double px0 = pl_ax_px(a, x0), px1 = pl_ax_px(a, x1);
    double py0 = pl_ax_py(a, 0), py1 = pl_ax_py(a, v);
    pl_set_rgb(a->cr, col);
    cairo_rectangle(a->cr, px0, py0 < py1 ? py0 : py1, px1 - px0, fabs(py1 - py0));
    cairo_fill(a->cr);
    pl_occ_rect(&a->occ, px0, py0 < py1 ? py0 : py1, px1 - px0, fabs(py1 - py0));
}

static void draw_bars(axes_t *a, const plot_deltas_t *d, double m)
{
    rgb_t c1 = pl_palette(0), c2 = pl_palette(1);
    cairo_t *cr = a->cr;
    for (int c = 0; c < d->k; c++) {
        bar(a, c - 0.38, c - 0.02, 100 * d->s1[c], c1);
        bar(a, c + 0.02, c + 0.38, 100 * d->acc11[c], c2);
        if (isfinite(d->s1[c]) && d->p[c] < d->alpha) {
            double v = 100 * d->s1[c], y = v >= 0 ? v + 0.06 * m : v - 0.06 * m;
            pl_set_col(cr, 0x000000u);
            pl_font(cr, FS_LABEL, 1);
            pl_text_at(cr, pl_ax_px(a, c - 0.2), pl_ax_py(a, y), "*", 0.5, 0.5, 0);
        }
        pl_set_col(cr, 0x333333u);
        pl_font(cr, FS_TICK, 0);
        pl_text_at(cr, pl_ax_px(a, c), a->y + a->h + 8, d->names[c], 1.0, 0.5, -M_PI / 4);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, a->x, pl_snap(pl_ax_py(a, 0)));
    cairo_line_to(cr, a->x + a->w, pl_snap(pl_ax_py(a, 0)));
    cairo_stroke(cr);
}

int plot_deltas(const char *path, const plot_deltas_t *d, err_t *e)
{
    if (!path || !*path)
        return err_set(e, "plot_deltas: no output file name");
    canvas_t c;
    if (pl_canvas_open(&c, PLOT_DELTAS_W, PLOT_DELTAS_H, path, e))
        return -1;
    axes_t a;
    pl_axes_init(&a, c.cr, 96, 64, c.w - 96 - 36, c.h - 64 - 150);
    double m = max_abs(d) * 1.2;
    pl_axes_range(&a, -0.6, d->k - 0.4, 1, -m, m);
    a.xt.count = 0; /* the category names label x */
    a.ysuffix = " pp";
    pl_axes_grid(&a);
    draw_bars(&a, d, m);
    char title[256], note[160];
    snprintf(title, sizeof title, "B \xe2\x88\x92 A per category%s%s", d->title ? ": " : "",
             d->title ? d->title : "");
    pl_axes_frame(&a, title, NULL, "Difference (percentage points)", FS_TITLE);
    legend_item_t items[2] = {{"Stage 1 accuracy", pl_palette(0), MARK_NONE},
                              {"11-way accuracy", pl_palette(1), MARK_NONE}};
    pl_axes_legend(&a, items, 2);
    snprintf(note, sizeof note, "* McNemar p < %g (Stage 1; %d tests, not corrected)", d->alpha,
             d->k);
    pl_set_col(c.cr, 0x555555u);
    pl_font_italic(c.cr, FS_NOTE);
    pl_text_at(c.cr, a.x, c.h - 12, note, 0, 1, 0);
    pl_axes_free(&a);
    return pl_canvas_save(&c, path, e);
}

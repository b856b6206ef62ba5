/* plot_history.c - training_history.png: Stage 1 and Stage 2 judges, loss
 * and accuracy, train and val against the epoch (see plot.h). */
#include "report/plot_priv.h"

#include <stdio.h>
#include <stdlib.h>

/* Widens [*lo, *hi] (empty while *any is 0) to the finite v[i] * scale. */
static void finite_range(int n, const double *v, double scale, int *any, double *lo,
                         double *hi)
{
    if (!v)
        return;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        double x = v[i] * scale;
        if (!*any || x < *lo)
            *lo = x;
        if (!*any || x > *hi)
            *hi = x;
        *any = 1;
    }
}

/* Epoch range over the epochs where any of the series has a value. */
static int epoch_range(int n, const double *ep, const double *const *s, int ns, double *lo,
                       double *hi)
{
    int any = 0;
    for (int i = 0; i < n; i++) {
        int has = 0;
        for (int k = 0; k < ns; k++)
            if (s[k] && isfinite(s[k][i]))
                has = 1;
        if (!has || !isfinite(ep[i]))
            continue;
        if (!any || ep[i] < *lo)
            *lo = ep[i];
        if (!any || ep[i] > *hi)
            *hi = ep[i];
        any = 1;
    }
    return any;
}

typedef struct {
    const char *title, *ylabel, *nodata;
    const double *train, *val;
    int is_acc;
} panel_t;

/* The panel's y range: its finite values with a margin (not below 0 for
 * values that are not). Returns 0 when it has no finite value. */
static int panel_yrange(const panel_t *p, int n, double scale, double *y0, double *y1)
{
    double lo = 0, hi = 0;
    int any = 0;
    finite_range(n, p->train, scale, &any, &lo, &hi);
    finite_range(n, p->val, scale, &any, &lo, &hi);
    if (!any)
        return 0;
    double span = hi - lo, pad;
    if (span <= 1e-12 * fmax(1, fabs(hi)))
        pad = hi != 0 ? fabs(hi) * 0.1 : 1;
    else
        pad = span * 0.08;
    *y0 = lo - pad;
    *y1 = hi + pad;
    if (lo >= 0 && *y0 < 0)
        *y0 = 0;
    if (*y1 <= *y0)
        *y1 = *y0 + 1;
    return 1;
}

/* A panel without data: grey area, message, light frame, muted title. */
static void panel_nodata(axes_t *a, const panel_t *p)
{
    cairo_t *cr = a->cr;
    pl_axes_message(a, p->nodata);
    cairo_save(cr);
    pl_set_col(cr, COL_LEGEND_BORDER);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, pl_snap(a->x), pl_snap(a->y), floor(a->w), floor(a->h));
    cairo_stroke(cr);
    pl_font(cr, FS_PANEL, 1);
    pl_set_col(cr, COL_MUTED);
    pl_text_at(cr, a->x + a->w / 2, a->y - 12, p->title, 0.5, 1, 0);
    cairo_restore(cr);
}

/* The legend label of the val series: its best value (highest accuracy,
 * lowest loss) and epoch, when it has at least two. */
static void val_label(char *buf, size_t len, const panel_t *p, int n, const double *ep)
{
    const double *v = p->val;
    int bi = -1, nv = 0;
    for (int i = 0; i < n; i++)
        nv += isfinite(v[i]) && isfinite(ep[i]);
    for (int i = 0; i < n && nv >= 2; i++)
        if (isfinite(v[i]) && isfinite(ep[i]) &&
            (bi < 0 || (p->is_acc ? v[i] > v[bi] : v[i] < v[bi])))
            bi = i;
    if (bi >= 0 && p->is_acc)
        snprintf(buf, len, "val (best %.1f%% at epoch %.0f)", v[bi] * 100, ep[bi]);
    else if (bi >= 0)
        snprintf(buf, len, "val (min %.3g at epoch %.0f)", v[bi], ep[bi]);
    else
        snprintf(buf, len, "val");
}

/* The epoch before which the judges were retrained with Stage 1 frozen
 * after Stage 1 had trained (its training loss ends), or NAN. */
static double retrain_epoch(int n, const double *ep, const double *s1_loss)
{
    for (int i = 1; s1_loss && i < n; i++)
        if (!isfinite(s1_loss[i]) && isfinite(s1_loss[i - 1]))
            return ep[i];
    return NAN;
}

/* A dashed line half an epoch before epoch x, labelled, across the axes. */
static void mark_retrain(axes_t *a, double x)
{
    cairo_t *cr = a->cr;
    double px = pl_snap(pl_ax_px(a, x - 0.5));
    cairo_save(cr);
    pl_set_col(cr, COL_MUTED);
    cairo_set_line_width(cr, 1);
    double dash[2] = {4, 3};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_move_to(cr, px, a->y);
    cairo_line_to(cr, px, a->y + a->h);
    cairo_stroke(cr);
    pl_font(cr, FS_TICK, 0);
    const char *label = "judges retrained, Stage 1 frozen";
    cairo_text_extents_t te;
    cairo_text_extents(cr, label, &te);
    pl_text_at(cr, px + 4, a->y + 6, label, 0, 0, 0);
    pl_occ_rect(&a->occ, px, a->y, te.x_advance + 8, FS_TICK + 10); /* the legend keeps off */
    cairo_restore(cr);
}

/* One panel in the cell (cx, cy, cw, ch); the x axis spans epochs ex0..ex1
 * (have_x 0: the stage has no data); a retrain from epoch retrain on is
 * marked (NAN: none). */
static void history_panel(cairo_t *cr, double cx, double cy, double cw, double ch,
                          const panel_t *p, int n, const double *ep, int have_x, double ex0,
                          double ex1, double retrain)
{
    axes_t a;
    pl_axes_init(&a, cr, cx + 84, cy + 40, cw - 84 - 24, ch - 40 - 60);
    double scale = p->is_acc ? 100 : 1, y0 = 0, y1 = 0;
    if (!panel_yrange(p, n, scale, &y0, &y1) || !have_x) {
        panel_nodata(&a, p);
        pl_axes_free(&a);
        return;
    }
    double xs = ex1 - ex0, xpad = xs > 0 ? fmax(0.3, xs * 0.04) : 0.5;
    pl_axes_range(&a, ex0 - xpad, ex1 + xpad, 1, y0, y1);
    if (p->is_acc)
        a.ysuffix = "%";
    pl_axes_grid(&a);
    if (isfinite(retrain) && retrain > ex0)
        mark_retrain(&a, retrain);

    rgb_t ctr = pl_rgb(PLOT_COLOR_TRAIN), cva = pl_rgb(PLOT_COLOR_VAL);
    legend_item_t items[2];
    int ni = 0;
    char vlabel[128];
    if (p->train) {
        pl_axes_series(&a, n, ep, p->train, scale, ctr, MARK_CIRCLE, 2.2);
        items[ni++] = (legend_item_t){"train", ctr, MARK_CIRCLE};
    }
    if (p->val) {
        pl_axes_series(&a, n, ep, p->val, scale, cva, MARK_SQUARE, 2.2);
        val_label(vlabel, sizeof vlabel, p, n, ep);
        items[ni++] = (legend_item_t){vlabel, cva, MARK_SQUARE};
    }
    pl_axes_frame(&a, p->title, "Epoch", p->ylabel, FS_PANEL);
    pl_axes_legend(&a, items, ni);
    pl_axes_free(&a);
}

int plot_history(const char *path, const plot_history_t *h, err_t *e)
{
    if (!path || !*path)
        return err_set(e, "plot_history: no output file name");
    if (!h || h->n < 0)
        return err_set(e, "%s: invalid history (%s)", path, h ? "negative epoch count" : "NULL");
    int n = h->n;
    double *ep = xmalloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++)
        ep[i] = h->epoch ? h->epoch[i] : i + 1;

    canvas_t c;
    if (pl_canvas_open(&c, PLOT_HISTORY_W, PLOT_HISTORY_H, path, e)) {
        free(ep);
        return -1;
    }
    cairo_t *cr = c.cr;
    pl_font(cr, FS_TITLE, 1);
    pl_set_col(cr, COL_TEXT);
    pl_text_at(cr, c.w / 2.0, 34, "Training history", 0.5, 1, 0);

    const double *s1[4] = {h->s1_train_loss, h->s1_val_loss, h->s1_train_acc, h->s1_val_acc};
    const double *j[4] = {h->j_train_loss, h->j_val_loss, h->j_train_acc, h->j_val_acc};
    double a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    int has1 = epoch_range(n, ep, s1, 4, &a0, &a1);
    int has2 = epoch_range(n, ep, j, 4, &b0, &b1);
    double retrain = retrain_epoch(n, ep, h->s1_train_loss);

    double top = 48, cw = c.w / 2.0, ch = (c.h - top) / 2;
    panel_t p[4] = {
        {"Stage 1 \xe2\x80\x93 loss", "Loss", "no Stage 1 data", h->s1_train_loss,
         h->s1_val_loss, 0},
        {"Stage 1 \xe2\x80\x93 accuracy", "Accuracy", "no Stage 1 data", h->s1_train_acc,
         h->s1_val_acc, 1},
        {"Stage 2 judges \xe2\x80\x93 loss", "Loss", "no Stage 2 data", h->j_train_loss,
         h->j_val_loss, 0},
        {"Stage 2 judges \xe2\x80\x93 accuracy", "Accuracy", "no Stage 2 data",
         h->j_train_acc, h->j_val_acc, 1},
    };
    for (int k = 0; k < 4; k++) {
        int row = k / 2, col = k % 2;
        history_panel(cr, col * cw, top + row * ch, cw, ch, &p[k], n, ep,
                      row ? has2 : has1, row ? b0 : a0, row ? b1 : a1, row ? retrain : NAN);
    }
    free(ep);
    return pl_canvas_save(&c, path, e);
}

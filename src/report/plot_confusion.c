/* plot_confusion.c - confusion_matrix.png: a row-normalised heatmap with
 * counts, class labels and a colourbar (see plot.h). */
#include "report/plot_priv.h"

#include <stdio.h>
#include <string.h>

/* matplotlib's sequential "Blues", white -> dark blue. */
static const uint32_t blues[] = {0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6,
                                 0x4292c6, 0x2171b5, 0x08519c, 0x08306b};
#define NBLUES ((int)(sizeof blues / sizeof blues[0]))

/* The colour map at t in [0, 1]. */
static rgb_t blues_at(double t)
{
    if (!(t > 0))
        t = 0;
    if (t > 1)
        t = 1;
    double p = t * (NBLUES - 1);
    int i = (int)p;
    if (i >= NBLUES - 1)
        return pl_rgb(blues[NBLUES - 1]);
    double f = p - i;
    rgb_t a = pl_rgb(blues[i]), b = pl_rgb(blues[i + 1]);
    rgb_t c = {a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
    return c;
}

static double luminance(rgb_t c)
{
    return 0.299 * c.r + 0.587 * c.g + 0.114 * c.b;
}

/* ---- layout --------------------------------------------------------------- */

#define CONF_RIGHT 150.0 /* colourbar, its ticks and its label */
#define CONF_MIN_LABEL_FS 8.0
#define CONF_MAX_LABEL_W 165.0 /* longer class names are shortened with "..." */

typedef struct {
    double x, y, cell;
    double top;
    double fs;   /* class label font size */
    int every;   /* label every k-th class */
    int rotate;  /* x labels at 45 degrees */
    double maxw; /* widest class label */
} conf_layout_t;

/* Shortens the UTF-8 text in buf (capacity len) with an ellipsis until it
 * is at most maxw pixels wide in the current font. */
static void fit_text(cairo_t *cr, char *buf, size_t len, double maxw)
{
    if (pl_text_w(cr, buf) <= maxw || len < 8)
        return;
    size_t n = strlen(buf);
    if (n > len - 4)
        n = len - 4;
    while (n > 1) {
        do /* drop one UTF-8 character */
            n--;
        while (n > 0 && ((unsigned char)buf[n] & 0xc0) == 0x80);
        while (n > 0 && buf[n - 1] == ' ')
            n--;
        memcpy(buf + n, "\xe2\x80\xa6", 4); /* ellipsis */
        if (pl_text_w(cr, buf) <= maxw)
            return;
    }
}

/* The label of class i: its name ("index name" when only every k-th class
 * is labelled, the index without names), shortened to fit. */
static void class_label(cairo_t *cr, char *buf, size_t len, int i, char *const *names,
                        int every)
{
    const char *nm = names && names[i] ? names[i] : NULL;
    if (!nm)
        snprintf(buf, len, "%d", i);
    else if (every > 1)
        snprintf(buf, len, "%d %s", i, nm);
    else
        snprintf(buf, len, "%s", nm);
    fit_text(cr, buf, len, CONF_MAX_LABEL_W);
}

static double labels_maxw(cairo_t *cr, int n, char *const *names, int every)
{
    char buf[256];
    double m = 0;
    for (int i = 0; i < n; i += every) {
        class_label(cr, buf, sizeof buf, i, names, every);
        double w = pl_text_w(cr, buf);
        if (w > m)
            m = w;
    }
    return m;
}

/* One candidate layout with label font fs, labelling every k-th class. */
static void conf_try(cairo_t *cr, int w, int h, int n, char *const *names, double fs, int every,
                     conf_layout_t *L)
{
    double top = 62, outer = 18, axis_title = FS_LABEL + 12;
    pl_font(cr, fs, 0);
    double maxw = labels_maxw(cr, n, names, every);
    double left = outer + axis_title + 14 + maxw + 9;
    double avail_w = w - left - CONF_RIGHT;
    double bottom_h = 9 + fs + 14 + axis_title + outer; /* horizontal x labels */
    double cell = fmin(avail_w / n, (h - top - bottom_h) / n);
    int rotate = maxw > cell * every * 0.92;
    if (rotate) {
        bottom_h = 9 + (maxw + fs) * M_SQRT1_2 + 14 + axis_title + outer;
        cell = fmin(avail_w / n, (h - top - bottom_h) / n);
    }
    if (cell >= 4)
        cell = floor(cell);
    double spare = h - top - bottom_h - n * cell; /* centre the block vertically */
    top += spare > 0 ? floor(spare / 2) : 0;
    L->top = top;
    L->cell = cell;
    L->fs = fs;
    L->every = every;
    L->rotate = rotate;
    L->maxw = maxw;
    L->x = round(left + (avail_w - n * cell) / 2);
    L->y = top;
}

/* 1, 2, 5, 10, 20, 50, ... */
static int next_125(int k)
{
    int p = 1;
    while (p * 10 <= k)
        p *= 10;
    return k / p == 2 ? k / 2 * 5 : k * 2;
}

/* Matrix placement for an image of w x h: the largest cells for which every
 * class label fits, shrinking the label font from 13 to 8 px; failing that,
 * "index name" labels at 10 px on every k-th class (k = 2, 5, 10, 20, ...). */
static void conf_layout(cairo_t *cr, int w, int h, int n, char *const *names, conf_layout_t *L)
{
    for (double fs = 13; fs >= CONF_MIN_LABEL_FS; fs -= 1) {
        conf_try(cr, w, h, n, names, fs, 1, L);
        if (L->cell >= fs * (L->rotate ? 1.5 : 1.2))
            return;
    }
    for (int every = 2;; every = next_125(every)) {
        conf_try(cr, w, h, n, names, 10, every, L);
        if (L->cell * every >= 10 * (L->rotate ? 1.6 : 1.3) || every >= n)
            return;
    }
}

int plot_confusion_layout(int n, char *const *names, const char *title, plot_grid_t *g,
                          err_t *e)
{
    if (n <= 0 || !g)
        return err_set(e, "plot_confusion_layout: invalid arguments (n = %d)", n);
    (void)title; /* the title does not move the matrix */
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(s);
    pl_setup_cr(cr);
    conf_layout_t L;
    conf_layout(cr, PLOT_CONFUSION_W, PLOT_CONFUSION_H, n, names, &L);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    g->x = L.x;
    g->y = L.y;
    g->cell = L.cell;
    return 0;
}

/* ---- drawing -------------------------------------------------------------- */

static int64_t row_sum(const int64_t *m, int n, int i)
{
    int64_t row = 0;
    for (int j = 0; j < n; j++)
        row += m[(long)i * n + j];
    return row;
}

/* The colour of a cell holding v of its row's total row. */
static rgb_t cell_colour(int64_t v, int64_t row)
{
    return blues_at(row > 0 ? (double)v / (double)row : 0);
}

/* Cell colours, separators between cells (when wide enough) and the frame,
 * all pixel-aligned. */
static void draw_cells(cairo_t *cr, const conf_layout_t *L, int n, const int64_t *m)
{
    double cell = L->cell, mx = L->x, my = L->y, side = n * cell;
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    for (int i = 0; i < n; i++) {
        int64_t row = row_sum(m, n, i);
        for (int j = 0; j < n; j++) {
            pl_set_rgb(cr, cell_colour(m[(long)i * n + j], row));
            cairo_rectangle(cr, mx + j * cell, my + i * cell, cell, cell);
            cairo_fill(cr);
        }
    }
    if (cell >= 12) { /* thin separators between cells */
        pl_set_col(cr, COL_CELL_LINE);
        cairo_set_line_width(cr, 1);
        for (int k = 1; k < n; k++) {
            cairo_move_to(cr, mx + k * cell + 0.5, my);
            cairo_line_to(cr, mx + k * cell + 0.5, my + side);
            cairo_move_to(cr, mx, my + k * cell + 0.5);
            cairo_line_to(cr, mx + side, my + k * cell + 0.5);
        }
        cairo_stroke(cr);
    }
    pl_set_col(cr, COL_SPINE);
    cairo_rectangle(cr, mx - 0.5, my - 0.5, side + 1, side + 1);
    cairo_stroke(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
}

/* The count font size: the largest count must fit in a cell; below 7 px
 * the counts are left out (returns 0). */
static double count_font(cairo_t *cr, double cell, int n, const int64_t *m)
{
    int64_t maxcount = 0;
    for (long i = 0; i < (long)n * n; i++)
        if (m[i] > maxcount)
            maxcount = m[i];
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)maxcount);
    pl_font(cr, 12, 0);
    double w12 = pl_text_w(cr, buf) / 12; /* width per px of font size */
    double fs = fmin(fmin(14, cell * 0.4), cell * 0.84 / fmax(w12, 0.3));
    return fs >= 7 ? fs : 0;
}

/* The count in each cell: grey for 0, white on dark cells. */
static void draw_counts(cairo_t *cr, const conf_layout_t *L, int n, const int64_t *m)
{
    double cell = L->cell, fs = count_font(cr, cell, n, m);
    if (fs == 0)
        return;
    char buf[32];
    pl_font(cr, fs, 0);
    for (int i = 0; i < n; i++) {
        int64_t row = row_sum(m, n, i);
        for (int j = 0; j < n; j++) {
            int64_t v = m[(long)i * n + j];
            if (v == 0)
                pl_set_col(cr, COL_ZERO_COUNT);
            else if (luminance(cell_colour(v, row)) < 0.5)
                pl_set_col(cr, COL_WHITE);
            else
                pl_set_col(cr, COL_TEXT);
            snprintf(buf, sizeof buf, "%lld", (long long)v);
            pl_text_at(cr, L->x + (j + 0.5) * cell, L->y + (i + 0.5) * cell, buf, 0.5, 0.5, 0);
        }
    }
}

/* Class labels and ticks on both axes, then the axis titles. */
static void draw_class_labels(cairo_t *cr, const conf_layout_t *L, int n, char *const *names,
                              const char *rows, const char *cols)
{
    double cell = L->cell, mx = L->x, my = L->y, side = n * cell;
    char buf[256];
    pl_font(cr, L->fs, 0);
    cairo_set_line_width(cr, 1);
    for (int i = 0; i < n; i += L->every) {
        double cpos = (i + 0.5) * cell;
        class_label(cr, buf, sizeof buf, i, names, L->every);
        pl_set_col(cr, COL_SPINE);
        cairo_move_to(cr, mx - 0.5, pl_snap(my + cpos));
        cairo_line_to(cr, mx - 5.5, pl_snap(my + cpos));
        cairo_move_to(cr, pl_snap(mx + cpos), my + side + 0.5);
        cairo_line_to(cr, pl_snap(mx + cpos), my + side + 5.5);
        cairo_stroke(cr);
        pl_set_col(cr, COL_TEXT);
        pl_text_at(cr, mx - 9, my + cpos, buf, 1, 0.5, 0);
        if (L->rotate)
            pl_text_at(cr, mx + cpos, my + side + 9, buf, 1, 0.5, -M_PI / 4);
        else
            pl_text_at(cr, mx + cpos, my + side + 9, buf, 0.5, 0, 0);
    }
    pl_font(cr, FS_LABEL, 1);
    pl_set_col(cr, COL_TEXT);
    double lab_bottom = my + side + 9 + (L->rotate ? (L->maxw + L->fs) * M_SQRT1_2 : L->fs);
    pl_text_at(cr, mx + side / 2, lab_bottom + 14, cols, 0.5, 0, 0);
    pl_text_at(cr, mx - 9 - L->maxw - 14, my + side / 2, rows, 0.5, 1, -M_PI / 2);
}

/* The colourbar right of the matrix: the map from 0 % to 100 %, ticks and
 * a label. */
static void draw_colourbar(cairo_t *cr, const conf_layout_t *L, int n)
{
    double side = n * L->cell, bx = L->x + side + 26, bw = 18, by = L->y, bh = side;
    cairo_pattern_t *pat = cairo_pattern_create_linear(0, by + bh, 0, by);
    for (int k = 0; k < NBLUES; k++) {
        rgb_t col = pl_rgb(blues[k]);
        cairo_pattern_add_color_stop_rgb(pat, (double)k / (NBLUES - 1), col.r, col.g, col.b);
    }
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_set_source(cr, pat);
    cairo_fill(cr);
    cairo_pattern_destroy(pat);
    pl_set_col(cr, COL_SPINE);
    cairo_rectangle(cr, bx - 0.5, by - 0.5, bw + 1, bh + 1);
    cairo_stroke(cr);
    pl_font(cr, FS_TICK, 0);
    int nt = bh >= 200 ? 6 : bh >= 80 ? 3 : 2;
    double tmaxw = 0;
    char buf[16];
    for (int k = 0; k < nt; k++) {
        double f = (double)k / (nt - 1), py = pl_snap(by + bh - f * bh);
        cairo_move_to(cr, bx + bw + 0.5, py);
        cairo_line_to(cr, bx + bw + 5.5, py);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%.0f%%", f * 100);
        double tw = pl_text_w(cr, buf);
        if (tw > tmaxw)
            tmaxw = tw;
        pl_set_col(cr, COL_TICKTEXT);
        pl_text_at(cr, bx + bw + 9, py, buf, 0, 0.5, 0);
        pl_set_col(cr, COL_SPINE);
    }
    pl_font(cr, FS_LABEL, 0);
    pl_set_col(cr, COL_TEXT);
    const char *cbl = bh >= 300 ? "share of the row (row-normalised)" : "row share";
    pl_text_at(cr, bx + bw + 9 + tmaxw + 12, by + bh / 2, cbl, 0.5, 0, M_PI / 2);
}

int plot_confusion(const char *path, int n, const int64_t *m, char *const *names,
                   const char *title, err_t *e)
{
    return plot_confusion_axes(path, n, m, names, title, "True", "Predicted", e);
}

int plot_confusion_axes(const char *path, int n, const int64_t *m, char *const *names,
                        const char *title, const char *rows, const char *cols, err_t *e)
{
    if (!path || !*path)
        return err_set(e, "plot_confusion: no output file name");
    if (n <= 0 || !m)
        return err_set(e, "%s: invalid confusion matrix (n = %d%s)", path, n,
                       m ? "" : ", no data");
    for (long i = 0; i < (long)n * n; i++)
        if (m[i] < 0)
            return err_set(e, "%s: negative count %lld at row %ld, column %ld", path,
                           (long long)m[i], i / n, i % n);
    canvas_t c;
    if (pl_canvas_open(&c, PLOT_CONFUSION_W, PLOT_CONFUSION_H, path, e))
        return -1;
    cairo_t *cr = c.cr;
    conf_layout_t L;
    conf_layout(cr, c.w, c.h, n, names, &L);
    pl_font(cr, FS_TITLE, 1);
    pl_set_col(cr, COL_TEXT);
    pl_text_at(cr, L.x + n * L.cell / 2, L.y - 26, title ? title : "Confusion matrix", 0.5, 1,
               0);
    draw_cells(cr, &L, n, m);
    draw_counts(cr, &L, n, m);
    draw_class_labels(cr, &L, n, names, rows, cols);
    draw_colourbar(cr, &L, n);
    return pl_canvas_save(&c, path, e);
}

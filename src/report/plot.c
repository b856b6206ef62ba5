/* plot.c - training_history.png, confusion_matrix.png and risk_coverage.png
 * drawn with cairo (see plot.h).
 *
 * Structure: a canvas (surface + context, atomic PNG write), text helpers
 * (anchored, optionally rotated text with the toy "sans-serif" font), an
 * axes helper shared by the line plots (data -> pixel mapping, 1-2-5 ticks,
 * grid, frame, tick labels, axis labels, title, a legend that avoids the
 * data) and one function per figure. All state lives on the stack or in
 * objects freed before return. */
#include "report/plot.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static const uint32_t palette[PLOT_PALETTE_N] = PLOT_PALETTE;

/* matplotlib's sequential "Blues", white -> dark blue. */
static const uint32_t blues[] = {0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6,
                                 0x4292c6, 0x2171b5, 0x08519c, 0x08306b};
#define NBLUES ((int)(sizeof blues / sizeof blues[0]))

typedef struct {
    double r, g, b;
} rgb_t;

static rgb_t rgb(uint32_t hex)
{
    rgb_t c = {((hex >> 16) & 255) / 255.0, ((hex >> 8) & 255) / 255.0, (hex & 255) / 255.0};
    return c;
}

static void set_col(cairo_t *cr, uint32_t hex)
{
    rgb_t c = rgb(hex);
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

static void set_rgb(cairo_t *cr, rgb_t c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

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
        return rgb(blues[NBLUES - 1]);
    double f = p - i;
    rgb_t a = rgb(blues[i]), b = rgb(blues[i + 1]);
    rgb_t c = {a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
    return c;
}

static double luminance(rgb_t c)
{
    return 0.299 * c.r + 0.587 * c.g + 0.114 * c.b;
}

/* ---- canvas --------------------------------------------------------------- */

typedef struct {
    cairo_surface_t *surf;
    cairo_t *cr;
    int w, h;
} canvas_t;

static void setup_cr(cairo_t *cr);

static int canvas_open(canvas_t *c, int w, int h, const char *path, err_t *e)
{
    c->w = w;
    c->h = h;
    c->cr = NULL;
    c->surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(c->surf) != CAIRO_STATUS_SUCCESS) {
        int rc = err_set(e, "%s: cannot create a %dx%d image: %s", path, w, h,
                         cairo_status_to_string(cairo_surface_status(c->surf)));
        cairo_surface_destroy(c->surf);
        c->surf = NULL;
        return rc;
    }
    c->cr = cairo_create(c->surf);
    setup_cr(c->cr);
    set_col(c->cr, COL_BG);
    cairo_paint(c->cr);
    return 0;
}

/* Text and shape rendering settings shared by every context. */
static void setup_cr(cairo_t *cr)
{
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
}

static void canvas_close(canvas_t *c)
{
    if (c->cr)
        cairo_destroy(c->cr);
    if (c->surf)
        cairo_surface_destroy(c->surf);
    c->cr = NULL;
    c->surf = NULL;
}

typedef struct {
    FILE *fp;
    int err;
} sink_t;

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
    sink_t *s = closure;
    errno = 0;
    if (fwrite(data, 1, len, s->fp) != len) {
        s->err = errno ? errno : EIO;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

/* Encodes the canvas as PNG into <path>.tmp, renames it to path and closes
 * the canvas (also on failure, when the .tmp file is removed). */
static int canvas_save(canvas_t *c, const char *path, err_t *e)
{
    int rc = 0;
    cairo_status_t st = cairo_status(c->cr);
    if (st != CAIRO_STATUS_SUCCESS) {
        rc = err_set(e, "%s: drawing failed: %s", path, cairo_status_to_string(st));
        canvas_close(c);
        return rc;
    }
    cairo_surface_flush(c->surf);
    size_t len = strlen(path);
    char *tmp = xmalloc(len + 5);
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp", 5);
    sink_t s = {fopen(tmp, "wb"), 0};
    if (!s.fp) {
        rc = err_set(e, "%s: cannot create '%s': %s", path, tmp, strerror(errno));
        goto out;
    }
    st = cairo_surface_write_to_png_stream(c->surf, sink_write, &s);
    if (st != CAIRO_STATUS_SUCCESS) {
        rc = err_set(e, "%s: cannot write PNG to '%s': %s", path, tmp,
                     s.err ? strerror(s.err) : cairo_status_to_string(st));
        fclose(s.fp);
        unlink(tmp);
        goto out;
    }
    if (fflush(s.fp) || ferror(s.fp)) {
        rc = err_set(e, "%s: cannot write '%s': %s", path, tmp, strerror(errno));
        fclose(s.fp);
        unlink(tmp);
        goto out;
    }
    if (fclose(s.fp)) {
        rc = err_set(e, "%s: cannot write '%s': %s", path, tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path)) {
        rc = err_set(e, "%s: cannot rename '%s' into place: %s", path, tmp, strerror(errno));
        unlink(tmp);
    }
out:
    free(tmp);
    canvas_close(c);
    return rc;
}

/* ---- text ----------------------------------------------------------------- */

static void font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static void font_italic(cairo_t *cr, double size)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_ITALIC,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_w(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* Height of capital letters / digits in the current font. */
static double cap_h(cairo_t *cr)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, "H", &te);
    return -te.y_bearing;
}

/* Draws s with its anchor at (x, y): ax = 0 / 0.5 / 1 puts the anchor at the
 * text's left / centre / right; ay = 0 / 0.5 / 1 at the top of the capitals
 * / their middle / the baseline. angle (radians, clockwise on screen)
 * rotates the text about the anchor. */
static void text_at(cairo_t *cr, double x, double y, const char *s, double ax, double ay,
                    double angle)
{
    double w = text_w(cr, s), ch = cap_h(cr);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (angle != 0)
        cairo_rotate(cr, angle);
    cairo_move_to(cr, -w * ax, ch * (1 - ay));
    cairo_show_text(cr, s);
    cairo_restore(cr);
}

/* ---- geometry helpers ---------------------------------------------------- */

static double snap(double v) /* centre of a pixel, for crisp 1 px lines */
{
    return floor(v) + 0.5;
}

static void round_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, x + r, y + r, r, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
}

enum { MARK_NONE, MARK_CIRCLE, MARK_SQUARE };

static void marker(cairo_t *cr, double x, double y, int kind, double size, rgb_t col)
{
    if (kind == MARK_NONE)
        return;
    cairo_new_path(cr);
    if (kind == MARK_CIRCLE)
        cairo_arc(cr, x, y, size, 0, 2 * M_PI);
    else
        cairo_rectangle(cr, x - size * 0.9, y - size * 0.9, size * 1.8, size * 1.8);
    set_rgb(cr, col);
    cairo_fill_preserve(cr);
    set_col(cr, COL_WHITE);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
}

/* Pixels covered by data, so that legends and notes can avoid them. */
typedef struct {
    double *xy;
    int n, cap;
} occ_t;

static void occ_add(occ_t *o, double x, double y)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 256;
        o->xy = xrealloc(o->xy, 2 * sizeof(double) * (size_t)o->cap);
    }
    o->xy[2 * o->n] = x;
    o->xy[2 * o->n + 1] = y;
    o->n++;
}

static void occ_segment(occ_t *o, double x0, double y0, double x1, double y1)
{
    double len = hypot(x1 - x0, y1 - y0);
    int steps = (int)(len / 3) + 1;
    if (steps > 2000)
        steps = 2000;
    for (int i = 0; i <= steps; i++) {
        double t = (double)i / steps;
        occ_add(o, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
    }
}

static void occ_rect(occ_t *o, double x, double y, double w, double h)
{
    for (double yy = y; yy <= y + h; yy += 4)
        for (double xx = x; xx <= x + w; xx += 4)
            occ_add(o, xx, yy);
}

static int occ_count(const occ_t *o, double x, double y, double w, double h)
{
    int c = 0;
    for (int i = 0; i < o->n; i++) {
        double px = o->xy[2 * i], py = o->xy[2 * i + 1];
        if (px >= x && px <= x + w && py >= y && py <= y + h)
            c++;
    }
    return c;
}

/* ---- ticks ---------------------------------------------------------------- */

typedef struct {
    double first, step;
    int count, decimals;
} ticks_t;

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

static void fmt_num(char *buf, size_t len, double v, int decimals)
{
    snprintf(buf, len, "%.*f", decimals, v);
    if (buf[0] == '-') { /* "-0.0" -> "0.0" */
        int zero = 1;
        for (const char *p = buf + 1; *p; p++)
            if (*p != '0' && *p != '.')
                zero = 0;
        if (zero)
            memmove(buf, buf + 1, strlen(buf));
    }
}

/* ---- axes ----------------------------------------------------------------- */

#define FS_TITLE 20.0
#define FS_PANEL 15.0
#define FS_LABEL 13.0
#define FS_TICK 12.0
#define FS_LEGEND 12.0
#define FS_NOTE 12.0

typedef struct {
    cairo_t *cr;
    double x, y, w, h;     /* plot area in pixels */
    double x0, x1, y0, y1; /* data range */
    ticks_t xt, yt;
    const char *xsuffix, *ysuffix; /* appended to tick labels, e.g. "%" */
    occ_t occ;
} axes_t;

static void axes_init(axes_t *a, cairo_t *cr, double x, double y, double w, double h)
{
    memset(a, 0, sizeof *a);
    a->cr = cr;
    a->x = x;
    a->y = y;
    a->w = w;
    a->h = h;
    a->xsuffix = a->ysuffix = "";
}

static void axes_free(axes_t *a)
{
    free(a->occ.xy);
    a->occ.xy = NULL;
}

/* Sets the data range; maxticks bounds the number of ticks per axis. */
static void axes_range(axes_t *a, double x0, double x1, int xint, double y0, double y1)
{
    a->x0 = x0;
    a->x1 = x1;
    a->y0 = y0;
    a->y1 = y1;
    make_ticks(x0, x1, a->w >= 700 ? 10 : 7, xint, &a->xt);
    make_ticks(y0, y1, a->h >= 400 ? 8 : 6, 0, &a->yt);
}

static double ax_px(const axes_t *a, double v)
{
    return a->x + (v - a->x0) / (a->x1 - a->x0) * a->w;
}

static double ax_py(const axes_t *a, double v)
{
    return a->y + a->h - (v - a->y0) / (a->y1 - a->y0) * a->h;
}

/* Background grid (drawn before the data). */
static void axes_grid(axes_t *a)
{
    cairo_t *cr = a->cr;
    cairo_save(cr);
    set_col(cr, COL_GRID);
    cairo_set_line_width(cr, 1);
    for (int i = 0; i < a->xt.count; i++) {
        double px = snap(ax_px(a, tick_value(&a->xt, i)));
        cairo_move_to(cr, px, a->y);
        cairo_line_to(cr, px, a->y + a->h);
    }
    for (int i = 0; i < a->yt.count; i++) {
        double py = snap(ax_py(a, tick_value(&a->yt, i)));
        cairo_move_to(cr, a->x, py);
        cairo_line_to(cr, a->x + a->w, py);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* Frame, ticks, tick labels, axis labels and title (drawn after the data). */
static void axes_frame(axes_t *a, const char *title, const char *xlabel, const char *ylabel,
                       double title_fs)
{
    cairo_t *cr = a->cr;
    char buf[64];
    cairo_save(cr);
    cairo_set_line_width(cr, 1);
    set_col(cr, COL_SPINE);
    cairo_rectangle(cr, snap(a->x), snap(a->y), floor(a->w), floor(a->h));
    cairo_stroke(cr);
    double bottom = snap(a->y) + floor(a->h);
    for (int i = 0; i < a->xt.count; i++) {
        double px = snap(ax_px(a, tick_value(&a->xt, i)));
        cairo_move_to(cr, px, bottom);
        cairo_line_to(cr, px, bottom + 5);
    }
    for (int i = 0; i < a->yt.count; i++) {
        double py = snap(ax_py(a, tick_value(&a->yt, i)));
        cairo_move_to(cr, snap(a->x), py);
        cairo_line_to(cr, snap(a->x) - 5, py);
    }
    cairo_stroke(cr);

    font(cr, FS_TICK, 0);
    set_col(cr, COL_TICKTEXT);
    double th = cap_h(cr);
    for (int i = 0; i < a->xt.count; i++) {
        double v = tick_value(&a->xt, i);
        fmt_num(buf, sizeof buf - 8, v, a->xt.decimals);
        strcat(buf, a->xsuffix);
        text_at(cr, ax_px(a, v), bottom + 9, buf, 0.5, 0, 0);
    }
    double maxw = 0;
    for (int i = 0; i < a->yt.count; i++) {
        double v = tick_value(&a->yt, i);
        fmt_num(buf, sizeof buf - 8, v, a->yt.decimals);
        strcat(buf, a->ysuffix);
        double w = text_w(cr, buf);
        if (w > maxw)
            maxw = w;
        text_at(cr, a->x - 9, ax_py(a, v), buf, 1, 0.5, 0);
    }

    set_col(cr, COL_TEXT);
    font(cr, FS_LABEL, 0);
    if (xlabel)
        text_at(cr, a->x + a->w / 2, bottom + 9 + th + 12, xlabel, 0.5, 0, 0);
    if (ylabel)
        text_at(cr, a->x - 9 - maxw - 12, a->y + a->h / 2, ylabel, 0.5, 1, -M_PI / 2);
    if (title) {
        font(cr, title_fs, 1);
        text_at(cr, a->x + a->w / 2, a->y - 12, title, 0.5, 1, 0);
    }
    cairo_restore(cr);
}

/* A polyline through the finite points (x[i], y[i] * yscale), broken at
 * NaN; markers when the points are far enough apart, and always on an
 * isolated point. Records the covered pixels in a->occ. */
static void axes_series(axes_t *a, int n, const double *x, const double *y, double yscale,
                        rgb_t col, int mark, double lw)
{
    cairo_t *cr = a->cr;
    cairo_save(cr);
    cairo_rectangle(cr, a->x - 6, a->y - 6, a->w + 12, a->h + 12);
    cairo_clip(cr);
    cairo_set_line_width(cr, lw);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    set_rgb(cr, col);
    cairo_new_path(cr);
    int npts = 0, open = 0;
    double lx = 0, ly = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) {
            open = 0;
            continue;
        }
        npts++;
        double px = ax_px(a, x[i]), py = ax_py(a, y[i] * yscale);
        if (open) {
            cairo_line_to(cr, px, py);
            occ_segment(&a->occ, lx, ly, px, py);
        } else {
            cairo_move_to(cr, px, py);
            occ_add(&a->occ, px, py);
        }
        open = 1;
        lx = px;
        ly = py;
    }
    cairo_stroke(cr);
    int all = mark != MARK_NONE && npts > 0 && a->w / npts >= 9;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        int prev = i > 0 && isfinite(x[i - 1]) && isfinite(y[i - 1]);
        int next = i + 1 < n && isfinite(x[i + 1]) && isfinite(y[i + 1]);
        if (all || (!prev && !next))
            marker(cr, ax_px(a, x[i]), ax_py(a, y[i] * yscale),
                   mark == MARK_NONE ? MARK_CIRCLE : mark, 3.6, col);
    }
    cairo_restore(cr);
}

/* Centred grey message in an empty plot area. */
static void axes_message(axes_t *a, const char *msg)
{
    cairo_t *cr = a->cr;
    cairo_save(cr);
    set_col(cr, COL_NODATA_BG);
    cairo_rectangle(cr, a->x, a->y, a->w, a->h);
    cairo_fill(cr);
    font_italic(cr, 16);
    set_col(cr, COL_MUTED);
    text_at(cr, a->x + a->w / 2, a->y + a->h / 2, msg, 0.5, 0.5, 0);
    cairo_restore(cr);
}

typedef struct {
    const char *label;
    rgb_t col;
    int mark;
} legend_item_t;

/* A legend box in the corner (or edge centre) of the plot area that covers
 * the fewest data pixels, preferring the upper right. */
static void axes_legend(axes_t *a, const legend_item_t *it, int n)
{
    if (n <= 0)
        return;
    cairo_t *cr = a->cr;
    cairo_save(cr);
    font(cr, FS_LEGEND, 0);
    double pad = 8, sample = 26, gap = 7, row = FS_LEGEND * 1.65;
    double tw = 0;
    for (int i = 0; i < n; i++) {
        double w = text_w(cr, it[i].label);
        if (w > tw)
            tw = w;
    }
    double bw = pad + sample + gap + tw + pad, bh = pad * 0.75 * 2 + row * n;
    double m = 10; /* distance from the frame */
    double L = a->x + m, R = a->x + a->w - m - bw, C = a->x + (a->w - bw) / 2;
    double T = a->y + m, B = a->y + a->h - m - bh, M = a->y + (a->h - bh) / 2;
    double cand[][2] = {{R, T}, {L, T}, {L, B}, {R, B}, {R, M}, {L, M}, {C, T}, {C, B}};
    int best = 0, bestc = -1;
    for (int k = 0; k < (int)(sizeof cand / sizeof cand[0]); k++) {
        int c = occ_count(&a->occ, cand[k][0] - 3, cand[k][1] - 3, bw + 6, bh + 6);
        if (bestc < 0 || c < bestc) {
            bestc = c;
            best = k;
        }
    }
    double bx = round(cand[best][0]), by = round(cand[best][1]);
    round_rect(cr, bx + 0.5, by + 0.5, bw, bh, 4);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.92);
    cairo_fill_preserve(cr);
    set_col(cr, COL_LEGEND_BORDER);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (int i = 0; i < n; i++) {
        double cy = by + pad * 0.75 + row * (i + 0.5);
        cairo_set_line_width(cr, 2.2);
        set_rgb(cr, it[i].col);
        cairo_move_to(cr, bx + pad, cy);
        cairo_line_to(cr, bx + pad + sample, cy);
        cairo_stroke(cr);
        marker(cr, bx + pad + sample / 2, cy, it[i].mark, 3.6, it[i].col);
        set_col(cr, COL_TEXT);
        text_at(cr, bx + pad + sample + gap, cy, it[i].label, 0, 0.5, 0);
    }
    occ_rect(&a->occ, bx, by, bw, bh);
    cairo_restore(cr);
}

/* ---- training history ---------------------------------------------------- */

static int finite_range(int n, const double *v, double scale, double *lo, double *hi)
{
    int any = 0;
    if (!v)
        return 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        double x = v[i] * scale;
        if (!any || x < *lo)
            *lo = x;
        if (!any || x > *hi)
            *hi = x;
        any = 1;
    }
    return any;
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

static void history_panel(cairo_t *cr, double cx, double cy, double cw, double ch,
                          const panel_t *p, int n, const double *ep, int have_x, double ex0,
                          double ex1)
{
    axes_t a;
    axes_init(&a, cr, cx + 84, cy + 40, cw - 84 - 24, ch - 40 - 60);
    double scale = p->is_acc ? 100 : 1;
    double lo = 0, hi = 0, l2 = 0, h2 = 0;
    int any = finite_range(n, p->train, scale, &lo, &hi);
    if (finite_range(n, p->val, scale, &l2, &h2)) {
        if (!any || l2 < lo)
            lo = l2;
        if (!any || h2 > hi)
            hi = h2;
        any = 1;
    }
    if (!any || !have_x) {
        axes_message(&a, p->nodata);
        a.xt.count = a.yt.count = 0;
        cairo_save(cr);
        set_col(cr, COL_LEGEND_BORDER);
        cairo_set_line_width(cr, 1);
        cairo_rectangle(cr, snap(a.x), snap(a.y), floor(a.w), floor(a.h));
        cairo_stroke(cr);
        font(cr, FS_PANEL, 1);
        set_col(cr, COL_MUTED);
        text_at(cr, a.x + a.w / 2, a.y - 12, p->title, 0.5, 1, 0);
        cairo_restore(cr);
        axes_free(&a);
        return;
    }
    double span = hi - lo, pad;
    if (span <= 1e-12 * fmax(1, fabs(hi)))
        pad = hi != 0 ? fabs(hi) * 0.1 : 1;
    else
        pad = span * 0.08;
    double y0 = lo - pad, y1 = hi + pad;
    if (lo >= 0 && y0 < 0)
        y0 = 0;
    if (y1 <= y0)
        y1 = y0 + 1;
    double xs = ex1 - ex0, xpad = xs > 0 ? fmax(0.3, xs * 0.04) : 0.5;
    axes_range(&a, ex0 - xpad, ex1 + xpad, 1, y0, y1);
    if (p->is_acc)
        a.ysuffix = "%";
    axes_grid(&a);

    rgb_t ctr = rgb(PLOT_COLOR_TRAIN), cva = rgb(PLOT_COLOR_VAL);
    legend_item_t items[2];
    int ni = 0;
    char vlabel[128];
    if (p->train) {
        axes_series(&a, n, ep, p->train, scale, ctr, MARK_CIRCLE, 2.2);
        items[ni++] = (legend_item_t){"train", ctr, MARK_CIRCLE};
    }
    if (p->val) {
        axes_series(&a, n, ep, p->val, scale, cva, MARK_SQUARE, 2.2);
        int bi = -1, nv = 0;
        for (int i = 0; i < n; i++)
            nv += isfinite(p->val[i]) && isfinite(ep[i]);
        for (int i = 0; i < n && nv >= 2; i++)
            if (isfinite(p->val[i]) && isfinite(ep[i]) &&
                (bi < 0 || (p->is_acc ? p->val[i] > p->val[bi] : p->val[i] < p->val[bi])))
                bi = i;
        if (bi >= 0 && p->is_acc)
            snprintf(vlabel, sizeof vlabel, "val (best %.1f%% at epoch %.0f)",
                     p->val[bi] * 100, ep[bi]);
        else if (bi >= 0)
            snprintf(vlabel, sizeof vlabel, "val (min %.3g at epoch %.0f)", p->val[bi], ep[bi]);
        else
            snprintf(vlabel, sizeof vlabel, "val");
        items[ni++] = (legend_item_t){vlabel, cva, MARK_SQUARE};
    }
    axes_frame(&a, p->title, "Epoch", p->ylabel, FS_PANEL);
    axes_legend(&a, items, ni);
    axes_free(&a);
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
    if (canvas_open(&c, PLOT_HISTORY_W, PLOT_HISTORY_H, path, e)) {
        free(ep);
        return -1;
    }
    cairo_t *cr = c.cr;
    font(cr, FS_TITLE, 1);
    set_col(cr, COL_TEXT);
    text_at(cr, c.w / 2.0, 34, "Training history", 0.5, 1, 0);

    const double *s1[4] = {h->s1_train_loss, h->s1_val_loss, h->s1_train_acc, h->s1_val_acc};
    const double *j[4] = {h->j_train_loss, h->j_val_loss, h->j_train_acc, h->j_val_acc};
    double a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    int has1 = epoch_range(n, ep, s1, 4, &a0, &a1);
    int has2 = epoch_range(n, ep, j, 4, &b0, &b1);

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
                      row ? has2 : has1, row ? b0 : a0, row ? b1 : a1);
    }
    free(ep);
    return canvas_save(&c, path, e);
}

/* ---- confusion matrix ---------------------------------------------------- */

#define CONF_RIGHT 150.0 /* colourbar, its ticks and its label */
#define CONF_MIN_LABEL_FS 8.0

typedef struct {
    double x, y, cell;
    double top;
    double fs;   /* class label font size */
    int every;   /* label every k-th class */
    int rotate;  /* x labels at 45 degrees */
    double maxw; /* widest class label */
} conf_layout_t;

#define CONF_MAX_LABEL_W 165.0 /* longer class names are shortened with "..." */

/* Shortens the UTF-8 text in buf (capacity len) with an ellipsis until it
 * is at most maxw pixels wide in the current font. */
static void fit_text(cairo_t *cr, char *buf, size_t len, double maxw)
{
    if (text_w(cr, buf) <= maxw || len < 8)
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
        if (text_w(cr, buf) <= maxw)
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
        double w = text_w(cr, buf);
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
    font(cr, fs, 0);
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
    setup_cr(cr);
    conf_layout_t L;
    conf_layout(cr, PLOT_CONFUSION_W, PLOT_CONFUSION_H, n, names, &L);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    g->x = L.x;
    g->y = L.y;
    g->cell = L.cell;
    return 0;
}

int plot_confusion(const char *path, int n, const int64_t *m, char *const *names,
                   const char *title, err_t *e)
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
    if (canvas_open(&c, PLOT_CONFUSION_W, PLOT_CONFUSION_H, path, e))
        return -1;
    cairo_t *cr = c.cr;
    conf_layout_t L;
    conf_layout(cr, c.w, c.h, n, names, &L);
    double cell = L.cell, mx = L.x, my = L.y, side = n * cell;

    /* title */
    font(cr, FS_TITLE, 1);
    set_col(cr, COL_TEXT);
    text_at(cr, mx + side / 2, my - 26, title ? title : "Confusion matrix", 0.5, 1, 0);

    /* cells */
    int64_t maxcount = 0;
    for (long i = 0; i < (long)n * n; i++)
        if (m[i] > maxcount)
            maxcount = m[i];
    char buf[256];
    snprintf(buf, sizeof buf, "%lld", (long long)maxcount);
    font(cr, 12, 0);
    double w12 = text_w(cr, buf) / 12; /* width per px of font size */
    double count_fs = fmin(fmin(14, cell * 0.4), cell * 0.84 / fmax(w12, 0.3));
    int show_counts = count_fs >= 7;
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    for (int i = 0; i < n; i++) {
        int64_t row = 0;
        for (int j = 0; j < n; j++)
            row += m[(long)i * n + j];
        for (int j = 0; j < n; j++) {
            double f = row > 0 ? (double)m[(long)i * n + j] / (double)row : 0;
            set_rgb(cr, blues_at(f));
            cairo_rectangle(cr, mx + j * cell, my + i * cell, cell, cell);
            cairo_fill(cr);
        }
    }
    if (cell >= 12) { /* thin separators between cells */
        set_col(cr, COL_CELL_LINE);
        cairo_set_line_width(cr, 1);
        for (int k = 1; k < n; k++) {
            cairo_move_to(cr, mx + k * cell + 0.5, my);
            cairo_line_to(cr, mx + k * cell + 0.5, my + side);
            cairo_move_to(cr, mx, my + k * cell + 0.5);
            cairo_line_to(cr, mx + side, my + k * cell + 0.5);
        }
        cairo_stroke(cr);
    }
    set_col(cr, COL_SPINE);
    cairo_rectangle(cr, mx - 0.5, my - 0.5, side + 1, side + 1);
    cairo_stroke(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
    if (show_counts) {
        font(cr, count_fs, 0);
        for (int i = 0; i < n; i++) {
            int64_t row = 0;
            for (int j = 0; j < n; j++)
                row += m[(long)i * n + j];
            for (int j = 0; j < n; j++) {
                int64_t v = m[(long)i * n + j];
                double f = row > 0 ? (double)v / (double)row : 0;
                if (v == 0)
                    set_col(cr, COL_ZERO_COUNT);
                else if (luminance(blues_at(f)) < 0.5)
                    set_col(cr, COL_WHITE);
                else
                    set_col(cr, COL_TEXT);
                snprintf(buf, sizeof buf, "%lld", (long long)v);
                text_at(cr, mx + (j + 0.5) * cell, my + (i + 0.5) * cell, buf, 0.5, 0.5, 0);
            }
        }
    }

    /* class labels and ticks */
    font(cr, L.fs, 0);
    cairo_set_line_width(cr, 1);
    for (int i = 0; i < n; i += L.every) {
        double cpos = (i + 0.5) * cell;
        class_label(cr, buf, sizeof buf, i, names, L.every);
        set_col(cr, COL_SPINE);
        cairo_move_to(cr, mx - 0.5, snap(my + cpos));
        cairo_line_to(cr, mx - 5.5, snap(my + cpos));
        cairo_move_to(cr, snap(mx + cpos), my + side + 0.5);
        cairo_line_to(cr, snap(mx + cpos), my + side + 5.5);
        cairo_stroke(cr);
        set_col(cr, COL_TEXT);
        text_at(cr, mx - 9, my + cpos, buf, 1, 0.5, 0);
        if (L.rotate)
            text_at(cr, mx + cpos, my + side + 9, buf, 1, 0.5, -M_PI / 4);
        else
            text_at(cr, mx + cpos, my + side + 9, buf, 0.5, 0, 0);
    }

    /* axis titles */
    font(cr, FS_LABEL, 1);
    set_col(cr, COL_TEXT);
    double lab_bottom = my + side + 9 + (L.rotate ? (L.maxw + L.fs) * M_SQRT1_2 : L.fs);
    text_at(cr, mx + side / 2, lab_bottom + 14, "Predicted", 0.5, 0, 0);
    text_at(cr, mx - 9 - L.maxw - 14, my + side / 2, "True", 0.5, 1, -M_PI / 2);

    /* colourbar */
    double bx = mx + side + 26, bw = 18, by = my, bh = side;
    cairo_pattern_t *pat = cairo_pattern_create_linear(0, by + bh, 0, by);
    for (int k = 0; k < NBLUES; k++) {
        rgb_t col = rgb(blues[k]);
        cairo_pattern_add_color_stop_rgb(pat, (double)k / (NBLUES - 1), col.r, col.g, col.b);
    }
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_set_source(cr, pat);
    cairo_fill(cr);
    cairo_pattern_destroy(pat);
    set_col(cr, COL_SPINE);
    cairo_rectangle(cr, bx - 0.5, by - 0.5, bw + 1, bh + 1);
    cairo_stroke(cr);
    font(cr, FS_TICK, 0);
    int nt = bh >= 200 ? 6 : bh >= 80 ? 3 : 2;
    double tmaxw = 0;
    for (int k = 0; k < nt; k++) {
        double f = (double)k / (nt - 1), py = snap(by + bh - f * bh);
        cairo_move_to(cr, bx + bw + 0.5, py);
        cairo_line_to(cr, bx + bw + 5.5, py);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%.0f%%", f * 100);
        double tw = text_w(cr, buf);
        if (tw > tmaxw)
            tmaxw = tw;
        set_col(cr, COL_TICKTEXT);
        text_at(cr, bx + bw + 9, py, buf, 0, 0.5, 0);
        set_col(cr, COL_SPINE);
    }
    font(cr, FS_LABEL, 0);
    set_col(cr, COL_TEXT);
    const char *cbl = bh >= 300 ? "share of the true class (row-normalised)" : "row share";
    text_at(cr, bx + bw + 9 + tmaxw + 12, by + bh / 2, cbl, 0.5, 0, M_PI / 2);
    return canvas_save(&c, path, e);
}

/* ---- risk-coverage ------------------------------------------------------- */

typedef struct {
    double c, r;
} cr_pt_t;

static int cmp_pt(const void *a, const void *b)
{
    const cr_pt_t *x = a, *y = b;
    return (x->c > y->c) - (x->c < y->c);
}

/* Annotation of a marked point: a boxed note beside it, on the side that
 * covers the fewest data pixels and stays inside the plot area. */
static void note_point(axes_t *a, double px, double py, const char *text, rgb_t col)
{
    cairo_t *cr = a->cr;
    cairo_save(cr);
    font(cr, FS_NOTE, 0);
    double tw = text_w(cr, text), th = cap_h(cr), pad = 5;
    double bw = tw + 2 * pad, bh = th + 2 * pad + 2, off = 10;
    double cand[][2] = {{px + off, py - off - bh}, {px - off - bw, py - off - bh},
                        {px + off, py + off},      {px - off - bw, py + off},
                        {px - bw / 2, py - 2 * off - bh}, {px - bw / 2, py + 2 * off}};
    int best = -1, bestc = 0;
    for (int k = 0; k < 6; k++) {
        double x = cand[k][0], y = cand[k][1];
        if (x < a->x + 2 || y < a->y + 2 || x + bw > a->x + a->w - 2 || y + bh > a->y + a->h - 2)
            continue;
        int c = occ_count(&a->occ, x - 2, y - 2, bw + 4, bh + 4);
        if (best < 0 || c < bestc) {
            best = k;
            bestc = c;
        }
    }
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
    set_rgb(cr, col);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, px, py);
    cairo_line_to(cr, lx, ly);
    cairo_stroke(cr);
    round_rect(cr, x + 0.5, y + 0.5, bw, bh, 3);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.93);
    cairo_fill_preserve(cr);
    set_rgb(cr, col);
    cairo_stroke(cr);
    set_col(cr, COL_TEXT);
    text_at(cr, x + pad, y + bh / 2, text, 0, 0.5, 0);
    occ_rect(&a->occ, x, y, bw, bh);
    cairo_restore(cr);
}

int plot_risk_coverage(const char *path, const plot_curve_t *curves, int ncurves,
                       const char *title, err_t *e)
{
    if (!path || !*path)
        return err_set(e, "plot_risk_coverage: no output file name");
    if (ncurves < 0 || (ncurves > 0 && !curves))
        return err_set(e, "%s: invalid curves (ncurves = %d)", path, ncurves);
    for (int k = 0; k < ncurves; k++)
        if (curves[k].n < 0 || (curves[k].n > 0 && (!curves[k].coverage || !curves[k].risk)))
            return err_set(e, "%s: curve %d has no data", path, k);

    canvas_t c;
    if (canvas_open(&c, PLOT_RISK_W, PLOT_RISK_H, path, e))
        return -1;
    cairo_t *cr = c.cr;
    axes_t a;
    axes_init(&a, cr, 96, 64, c.w - 96 - 36, c.h - 64 - 78);

    double rmax = 0;
    int any = 0;
    for (int k = 0; k < ncurves; k++) {
        for (int i = 0; i < curves[k].n; i++)
            if (isfinite(curves[k].coverage[i]) && isfinite(curves[k].risk[i])) {
                any = 1;
                if (curves[k].risk[i] > rmax)
                    rmax = curves[k].risk[i];
            }
        if (curves[k].has_marker && isfinite(curves[k].marker_risk) &&
            curves[k].marker_risk > rmax)
            rmax = curves[k].marker_risk;
    }
    if (!(rmax > 0))
        rmax = 1;
    axes_range(&a, -0.02, 1.02, 0, -0.03 * rmax, rmax * 1.08);
    /* x ticks exactly 0, 0.1, ... 1 */
    a.xt.first = 0;
    a.xt.step = 0.1;
    a.xt.count = 11;
    a.xt.decimals = 1;
    axes_grid(&a);

    legend_item_t *items = xcalloc((size_t)(ncurves > 0 ? ncurves : 1), sizeof *items);
    char (*labels)[160] = xcalloc((size_t)(ncurves > 0 ? ncurves : 1), sizeof *labels);
    for (int k = 0; k < ncurves; k++) {
        const plot_curve_t *cv = &curves[k];
        rgb_t col = rgb(palette[k % PLOT_PALETTE_N]);
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
        axes_series(&a, np, xs, ys, 1, col, np <= 25 ? MARK_CIRCLE : MARK_NONE, 2.4);
        free(xs);
        free(ys);
        free(pts);
        snprintf(labels[k], sizeof labels[k], "%s", cv->label ? cv->label : "");
        if (!labels[k][0])
            snprintf(labels[k], sizeof labels[k], "curve %d", k + 1);
        items[k] = (legend_item_t){labels[k], col, cv->has_marker ? MARK_CIRCLE : MARK_NONE};
    }
    /* markers last, on top of all curves */
    for (int k = 0; k < ncurves; k++) {
        const plot_curve_t *cv = &curves[k];
        if (!cv->has_marker || !isfinite(cv->marker_coverage) || !isfinite(cv->marker_risk))
            continue;
        rgb_t col = rgb(palette[k % PLOT_PALETTE_N]);
        double px = ax_px(&a, cv->marker_coverage), py = ax_py(&a, cv->marker_risk);
        cairo_save(cr);
        cairo_arc(cr, px, py, 6, 0, 2 * M_PI);
        set_rgb(cr, col);
        cairo_fill_preserve(cr);
        set_col(cr, COL_WHITE);
        cairo_set_line_width(cr, 2);
        cairo_stroke(cr);
        cairo_restore(cr);
        occ_rect(&a.occ, px - 6, py - 6, 12, 12);
    }
    for (int k = 0; k < ncurves; k++) {
        const plot_curve_t *cv = &curves[k];
        if (!cv->has_marker || !isfinite(cv->marker_coverage) || !isfinite(cv->marker_risk))
            continue;
        char note[256];
        if (cv->marker_label)
            snprintf(note, sizeof note, "%s: coverage %.2f, risk %.*f", cv->marker_label,
                     cv->marker_coverage, a.yt.decimals + 1, cv->marker_risk);
        else
            snprintf(note, sizeof note, "coverage %.2f, risk %.*f", cv->marker_coverage,
                     a.yt.decimals + 1, cv->marker_risk);
        note_point(&a, ax_px(&a, cv->marker_coverage), ax_py(&a, cv->marker_risk), note,
                   rgb(palette[k % PLOT_PALETTE_N]));
    }
    if (!any)
        axes_message(&a, "no data");
    axes_frame(&a, title ? title : "Risk\xe2\x80\x93" "coverage",
               "Coverage (fraction of inputs accepted)", "Risk (error rate among accepted)",
               FS_TITLE);
    if (any)
        axes_legend(&a, items, ncurves);
    free(items);
    free(labels);
    axes_free(&a);
    return canvas_save(&c, path, e);
}

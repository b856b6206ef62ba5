/* plot_canvas.c - colours, the canvas and its atomic PNG write, text, small
 * shapes and the record of covered pixels, shared by the figures (see
 * plot_priv.h). */
#include "report/plot_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- colours ------------------------------------------------------------ */

static const uint32_t palette[PLOT_PALETTE_N] = PLOT_PALETTE;

rgb_t pl_rgb(uint32_t hex)
{
    rgb_t c = {((hex >> 16) & 255) / 255.0, ((hex >> 8) & 255) / 255.0, (hex & 255) / 255.0};
    return c;
}

void pl_set_col(cairo_t *cr, uint32_t hex)
{
    pl_set_rgb(cr, pl_rgb(hex));
}

void pl_set_rgb(cairo_t *cr, rgb_t c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

rgb_t pl_palette(int k)
{
    return pl_rgb(palette[k % PLOT_PALETTE_N]);
}

/* ---- canvas --------------------------------------------------------------- */

int pl_canvas_open(canvas_t *c, int w, int h, const char *path, err_t *e)
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
    pl_setup_cr(c->cr);
    pl_set_col(c->cr, COL_BG);
    cairo_paint(c->cr);
    return 0;
}

void pl_setup_cr(cairo_t *cr)
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

/* Writes surf as PNG to the new file tmp (messages name path); on a failure
 * after tmp was created, removes it. */
static int write_png(cairo_surface_t *surf, const char *tmp, const char *path, err_t *e)
{
    int rc = 0;
    sink_t s = {fopen(tmp, "wb"), 0};
    if (!s.fp)
        return err_set(e, "%s: cannot create '%s': %s", path, tmp, strerror(errno));
    cairo_status_t st = cairo_surface_write_to_png_stream(surf, sink_write, &s);
    if (st != CAIRO_STATUS_SUCCESS)
        rc = err_set(e, "%s: cannot write PNG to '%s': %s", path, tmp,
                     s.err ? strerror(s.err) : cairo_status_to_string(st));
    else if (fflush(s.fp) || ferror(s.fp))
        rc = err_set(e, "%s: cannot write '%s': %s", path, tmp, strerror(errno));
    if (rc) {
        fclose(s.fp);
        unlink(tmp);
        return rc;
    }
    if (fclose(s.fp)) {
        rc = err_set(e, "%s: cannot write '%s': %s", path, tmp, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

int pl_canvas_save(canvas_t *c, const char *path, err_t *e)
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
    rc = write_png(c->surf, tmp, path, e);
    if (!rc && rename(tmp, path)) {
        rc = err_set(e, "%s: cannot rename '%s' into place: %s", path, tmp, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    canvas_close(c);
    return rc;
}

/* ---- text ----------------------------------------------------------------- */

void pl_font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

void pl_font_italic(cairo_t *cr, double size)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_ITALIC,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

double pl_text_w(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

double pl_cap_h(cairo_t *cr)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, "H", &te);
    return -te.y_bearing;
}

void pl_text_at(cairo_t *cr, double x, double y, const char *s, double ax, double ay,
                double angle)
{
    double w = pl_text_w(cr, s), ch = pl_cap_h(cr);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (angle != 0)
        cairo_rotate(cr, angle);
    cairo_move_to(cr, -w * ax, ch * (1 - ay));
    cairo_show_text(cr, s);
    cairo_restore(cr);
}

/* ---- shapes --------------------------------------------------------------- */

void pl_round_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, x + r, y + r, r, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
}

void pl_box(cairo_t *cr, double x, double y, double w, double h, double r, double alpha,
            rgb_t col)
{
    pl_round_rect(cr, x + 0.5, y + 0.5, w, h, r);
    cairo_set_source_rgba(cr, 1, 1, 1, alpha);
    cairo_fill_preserve(cr);
    pl_set_rgb(cr, col);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
}

void pl_marker(cairo_t *cr, double x, double y, int kind, double size, rgb_t col,
               double outline)
{
    if (kind == MARK_NONE)
        return;
    cairo_new_path(cr);
    if (kind == MARK_CIRCLE)
        cairo_arc(cr, x, y, size, 0, 2 * M_PI);
    else
        cairo_rectangle(cr, x - size * 0.9, y - size * 0.9, size * 1.8, size * 1.8);
    pl_set_rgb(cr, col);
    cairo_fill_preserve(cr);
    pl_set_col(cr, COL_WHITE);
    cairo_set_line_width(cr, outline);
    cairo_stroke(cr);
}

/* ---- covered pixels ------------------------------------------------------- */

void pl_occ_add(occ_t *o, double x, double y)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 256;
        o->xy = xrealloc(o->xy, 2 * sizeof(double) * (size_t)o->cap);
    }
    o->xy[2 * o->n] = x;
    o->xy[2 * o->n + 1] = y;
    o->n++;
}

void pl_occ_segment(occ_t *o, double x0, double y0, double x1, double y1)
{
    double len = hypot(x1 - x0, y1 - y0);
    int steps = (int)(len / 3) + 1;
    if (steps > 2000)
        steps = 2000;
    for (int i = 0; i <= steps; i++) {
        double t = (double)i / steps;
        pl_occ_add(o, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
    }
}

void pl_occ_rect(occ_t *o, double x, double y, double w, double h)
{
    for (double yy = y; yy <= y + h; yy += 4)
        for (double xx = x; xx <= x + w; xx += 4)
            pl_occ_add(o, xx, yy);
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

int pl_occ_best(const occ_t *o, const double (*cand)[2], int n, double w, double h,
                double margin, const double *clip)
{
    int best = -1, bestc = 0;
    for (int k = 0; k < n; k++) {
        double x = cand[k][0], y = cand[k][1];
        if (clip && (x < clip[0] + margin || y < clip[1] + margin ||
                     x + w > clip[0] + clip[2] - margin || y + h > clip[1] + clip[3] - margin))
            continue;
        int c = occ_count(o, x - margin, y - margin, w + 2 * margin, h + 2 * margin);
        if (best < 0 || c < bestc) {
            best = k;
            bestc = c;
        }
    }
    return best;
}

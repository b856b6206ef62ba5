/* chart.c - cells, ring buffers, line charts and the gauge (see chart.h). */
#include "ui/chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

/* ---- cells and UTF-8 ---------------------------------------------------- */

static void cell_set(ui_cell_t *c, const char *s, int role)
{
    size_t n = strlen(s);
    if (n >= UI_CELL_BYTES)
        n = 1; /* never happens for one code point; keep the cell valid */
    memcpy(c->s, s, n);
    c->s[n] = '\0';
    c->role = role;
}

/* Bytes in the valid UTF-8 sequence at s, 0 when it is not one. */
static int utf8_seq(const char *s)
{
    unsigned char b = (unsigned char)s[0];
    int n = b < 0x80             ? 1
            : (b & 0xE0) == 0xC0 ? 2
            : (b & 0xF0) == 0xE0 ? 3
            : (b & 0xF8) == 0xF0 ? 4
                                 : 0;
    for (int i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* Code points in s (an invalid byte counts as one, as ui_grid_put writes '?'). */
static int utf8_count(const char *s)
{
    int count = 0;
    while (*s) {
        int n = utf8_seq(s);
        s += n ? n : 1;
        count++;
    }
    return count;
}

static void utf8_encode(unsigned cp, char out[UI_CELL_BYTES])
{
    if (cp < 0x80) {
        out[0] = (char)cp, out[1] = '\0';
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6)), out[1] = (char)(0x80 | (cp & 0x3F)), out[2] = '\0';
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)), out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)), out[3] = '\0';
    } else {
        out[0] = (char)(0xF0 | (cp >> 18)), out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), out[3] = (char)(0x80 | (cp & 0x3F));
        out[4] = '\0';
    }
}

void ui_grid_clear(ui_grid_t *g, int role)
{
    for (long i = 0; i < (long)g->h * g->w; i++)
        cell_set(&g->cells[i], " ", role);
}

ui_cell_t *ui_grid_at(ui_grid_t *g, int y, int x)
{
    if (!g || !g->cells || y < 0 || x < 0 || y >= g->h || x >= g->w)
        return NULL;
    return &g->cells[(long)y * g->w + x];
}

int ui_grid_put(ui_grid_t *g, int y, int x, const char *s, int role)
{
    int written = 0;
    for (int col = x; *s && col < g->w; col++) {
        char one[UI_CELL_BYTES] = "?";
        int n = utf8_seq(s);
        ui_cell_t *c = ui_grid_at(g, y, col);
        if (n > 0)
            memcpy(one, s, (size_t)n), one[n] = '\0';
        s += n ? n : 1;
        if (c) {
            cell_set(c, one, role);
            written++;
        }
    }
    return written;
}

size_t ui_cells_str(const ui_cell_t *c, int n, char *buf, size_t bufn)
{
    size_t len = 0;
    if (bufn == 0)
        return 0;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(c[i].s);
        if (len + k + 1 > bufn)
            break;
        memcpy(buf + len, c[i].s, k);
        len += k;
    }
    buf[len] = '\0';
    return len;
}

/* ---- ring buffer -------------------------------------------------------- */

void ui_ring_init(ui_ring_t *r) { r->head = r->len = 0; }

void ui_ring_push(ui_ring_t *r, double x, double y)
{
    r->x[r->head] = x;
    r->y[r->head] = y;
    r->head = (r->head + 1) % UI_RING_CAP;
    if (r->len < UI_RING_CAP)
        r->len++;
}

int ui_ring_len(const ui_ring_t *r) { return r->len; }

int ui_ring_get(const ui_ring_t *r, int i, double *x, double *y)
{
    int k;
    if (i < 0 || i >= r->len) {
        if (x)
            *x = NAN;
        if (y)
            *y = NAN;
        return -1;
    }
    k = (r->head - r->len + i + UI_RING_CAP) % UI_RING_CAP;
    if (x)
        *x = r->x[k];
    if (y)
        *y = r->y[k];
    return 0;
}

/* ---- chart: ranges ------------------------------------------------------ */

static int nseries(const ui_chart_t *c) { return imax(0, imin(c->nseries, UI_CHART_MAX_SERIES)); }

/* Finite data bounds into info (xmin..xmax, ymin..ymax unpadded). */
static void data_bounds(const ui_chart_t *c, ui_chart_info_t *in)
{
    in->has_data = 0;
    for (int s = 0; s < nseries(c); s++) {
        const ui_ring_t *r = c->series[s].data;
        for (int i = 0; r && i < r->len; i++) {
            double x, y;
            ui_ring_get(r, i, &x, &y);
            if (!isfinite(x) || !isfinite(y))
                continue;
            if (!in->has_data || x < in->xmin) in->xmin = x;
            if (!in->has_data || x > in->xmax) in->xmax = x;
            if (!in->has_data || y < in->ymin) in->ymin = y;
            if (!in->has_data || y > in->ymax) in->ymax = y;
            in->has_data = 1;
        }
    }
}

static void pad_y(const ui_chart_t *c, ui_chart_info_t *in)
{
    double lo = in->ymin, hi = in->ymax, pad;
    if (c->fixed_y && isfinite(c->ymin) && isfinite(c->ymax) && c->ymax > c->ymin) {
        in->ymin = c->ymin, in->ymax = c->ymax;
        return;
    }
    pad = hi > lo ? 0.05 * (hi - lo) : lo != 0 ? 0.1 * fabs(lo) : 1.0;
    in->ymin = lo - pad;
    in->ymax = hi + pad;
    if (lo >= 0 && in->ymin < 0)
        in->ymin = 0;
}

/* ---- chart: text -------------------------------------------------------- */

static void fmt_tick(char *buf, size_t n, double v, double span)
{
    int d = span > 0 ? (int)ceil(-log10(span)) + 2 : 2;
    d = d < 0 ? 0 : d > 6 ? 6 : d;
    snprintf(buf, n, "%.*f", d, v);
    if (strlen(buf) > 8)
        snprintf(buf, n, "%.3g", v);
}

static void fmt_x(char *buf, size_t n, double v)
{
    if (fabs(v - round(v)) < 1e-9)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%.1f", v);
}

static void draw_title(ui_grid_t *g, const ui_chart_t *c)
{
    int col = c->title ? ui_grid_put(g, 0, 0, c->title, C_TITLE) : 0;
    const char *mark = c->glyphs == UI_GLYPH_ASCII ? "-" : "━";
    for (int s = 0; s < nseries(c); s++) {
        if (!c->series[s].name)
            continue;
        col += 1;
        col += ui_grid_put(g, 0, col, c->series[s].glyph ? c->series[s].glyph : mark,
                           c->series[s].role);
        col += 1;
        col += ui_grid_put(g, 0, col, c->series[s].name, C_LABEL);
    }
}

/* The y value printed at plot row r (top = ymax, bottom = ymin). */
static double row_value(const ui_chart_info_t *in, int r)
{
    if (in->plot_h <= 1)
        return in->ymax;
    return in->ymax - (in->ymax - in->ymin) * r / (in->plot_h - 1);
}

static int is_tick_row(const ui_chart_info_t *in, int r)
{
    return r == 0 || r == in->plot_h - 1 || (in->plot_h >= 5 && r == in->plot_h / 2);
}

/* Widest tick label for the rows of in (plot_h set). */
static int label_width(const ui_chart_info_t *in)
{
    char buf[32];
    int w = 0;
    for (int r = 0; r < in->plot_h; r++) {
        if (!is_tick_row(in, r))
            continue;
        fmt_tick(buf, sizeof buf, row_value(in, r), in->ymax - in->ymin);
        w = imax(w, (int)strlen(buf));
    }
    return w;
}

static void draw_y_axis(ui_grid_t *g, const ui_chart_info_t *in, ui_glyphs_t gl)
{
    int ax = in->plot_x - 1;
    char buf[32];
    for (int r = 0; r < in->plot_h; r++) {
        int tick = is_tick_row(in, r);
        const char *ch = gl == UI_GLYPH_ASCII ? (tick ? "+" : "|") : (tick ? "┤" : "│");
        ui_grid_put(g, in->plot_y + r, ax, ch, C_AXIS);
        if (!tick)
            continue;
        fmt_tick(buf, sizeof buf, row_value(in, r), in->ymax - in->ymin);
        ui_grid_put(g, in->plot_y + r, ax - (int)strlen(buf), buf, C_LABEL);
    }
}

static void draw_x_labels(ui_grid_t *g, const ui_chart_info_t *in)
{
    char a[32], b[32], m[32];
    int y = in->plot_y + in->plot_h, left = in->plot_x, right, mid, dots;
    fmt_x(a, sizeof a, in->xmin);
    ui_grid_put(g, y, left, a, C_LABEL);
    if (!(in->xmax > in->xmin))
        return;
    fmt_x(b, sizeof b, in->xmax);
    right = in->plot_x + in->plot_w - (int)strlen(b);
    if (right <= left + (int)strlen(a))
        return;
    ui_grid_put(g, y, right, b, C_LABEL);
    mid = in->plot_w / 2;
    dots = in->plot_w * in->sub_x;
    fmt_x(m, sizeof m, in->xmin + (in->xmax - in->xmin) * (mid * in->sub_x) / imax(1, dots - 1));
    mid += in->plot_x;
    if (mid > left + (int)strlen(a) && mid + (int)strlen(m) < right)
        ui_grid_put(g, y, mid, m, C_LABEL);
}

/* ---- chart: points ------------------------------------------------------ */

static const unsigned char braille_bit[4][2] = {
    {0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

static unsigned braille_bits(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] == 0xE2 && u[1] >= 0xA0 && u[1] <= 0xA3 && (u[2] & 0xC0) == 0x80 && u[3] == 0)
        return ((unsigned)(u[1] - 0xA0) << 6) | (u[2] & 0x3F);
    return 0;
}

static int map_x(const ui_chart_info_t *in, double x)
{
    int dots = in->plot_w * in->sub_x;
    long v;
    if (!(in->xmax > in->xmin))
        return 0;
    v = lround((x - in->xmin) / (in->xmax - in->xmin) * (dots - 1));
    return (int)(v < 0 ? 0 : v >= dots ? dots - 1 : v);
}

static int map_y(const ui_chart_info_t *in, double y)
{
    int dots = in->plot_h * in->sub_y;
    long v = lround((in->ymax - y) / (in->ymax - in->ymin) * (dots - 1));
    return (int)(v < 0 ? 0 : v >= dots ? dots - 1 : v);
}

typedef struct {
    ui_grid_t *g;
    const ui_chart_info_t *in;
    ui_glyphs_t glyphs;
    int role;
    const char *glyph; /* the series' own, or NULL */
} pen_t;

/* Marks dot (dx, dy) of the data area; (sx, sy) is the step that leaves it
 * (ASCII picks its character from it; 0, 0: a lone point). */
static void mark(const pen_t *p, int dx, int dy, int sx, int sy)
{
    const ui_chart_info_t *in = p->in;
    ui_cell_t *c = ui_grid_at(p->g, in->plot_y + dy / in->sub_y, in->plot_x + dx / in->sub_x);
    if (!c)
        return;
    if (p->glyph) {
        cell_set(c, p->glyph, p->role);
        return;
    }
    if (p->glyphs == UI_GLYPH_ASCII) {
        const char *ch = sx == 0 && sy == 0 ? "*" : sy == 0 ? "-" : sx == 0 ? "|"
                         : sy < 0 ? "/" : "\\";
        cell_set(c, ch, p->role);
        return;
    }
    utf8_encode(0x2800 + (braille_bits(c->s) | braille_bit[dy % 4][dx % 2]), c->s);
    c->role = p->role;
}

/* Bresenham from (x0, y0) to (x1, y1) in dots, both ends included. */
static void line(const pen_t *p, int x0, int y0, int x1, int y1)
{
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy, lx = 0, ly = 0;
    while (x0 != x1 || y0 != y1) {
        int e2 = 2 * err, nx = x0, ny = y0;
        if (e2 >= dy)
            err += dy, nx += sx;
        if (e2 <= dx)
            err += dx, ny += sy;
        lx = nx - x0, ly = ny - y0;
        mark(p, x0, y0, lx, ly);
        x0 = nx, y0 = ny;
    }
    if (lx || ly || p->glyphs != UI_GLYPH_ASCII || p->glyph)
        mark(p, x1, y1, lx, ly);
}

static void draw_series(ui_grid_t *g, const ui_chart_info_t *in, const ui_chart_t *c,
                        const ui_series_t *s)
{
    pen_t p = {g, in, c->glyphs, s->role, s->glyph};
    int have = 0, px = 0, py = 0;
    for (int i = 0; s->data && i < s->data->len; i++) {
        double x, y;
        int cx, cy;
        ui_ring_get(s->data, i, &x, &y);
        if (!isfinite(x) || !isfinite(y)) {
            have = 0; /* a gap breaks the line */
            continue;
        }
        cx = map_x(in, x), cy = map_y(in, y);
        if (have)
            line(&p, px, py, cx, cy);
        else
            mark(&p, cx, cy, 0, 0);
        px = cx, py = cy, have = 1;
    }
}

/* ---- chart: the whole ------------------------------------------------- */

static void place_plot(const ui_grid_t *g, ui_chart_info_t *in)
{
    int lw;
    in->plot_y = 1;
    in->plot_h = g->h - 2;
    lw = label_width(in);
    in->plot_x = g->w - (lw + 1) >= 4 ? lw + 1 : 0;
    in->plot_w = g->w - in->plot_x;
}

void ui_chart_draw(ui_grid_t *g, const ui_chart_t *c, ui_chart_info_t *info)
{
    ui_chart_info_t in;

    memset(&in, 0, sizeof in);
    in.sub_x = c->glyphs == UI_GLYPH_ASCII ? 1 : 2;
    in.sub_y = c->glyphs == UI_GLYPH_ASCII ? 1 : 4;
    if (g->h > 0 && g->w > 0) {
        ui_grid_clear(g, C_NORMAL);
        data_bounds(c, &in);
        pad_y(c, &in);
        draw_title(g, c);
    }
    if (g->h >= 3 && g->w > 0) {
        place_plot(g, &in);
        if (in.plot_x > 0 && in.has_data)
            draw_y_axis(g, &in, c->glyphs);
        if (!in.has_data)
            ui_grid_put(g, in.plot_y + in.plot_h / 2, in.plot_x + imax(0, (in.plot_w - 7) / 2),
                        "no data", C_LABEL);
        else
            draw_x_labels(g, &in);
        for (int s = 0; in.has_data && s < nseries(c); s++)
            draw_series(g, &in, c, &c->series[s]);
    }
    if (info)
        *info = in;
}

/* ---- gauge -------------------------------------------------------------- */

static void gauge_ascii(ui_cell_t *cells, int n, double tau)
{
    int pos = isnan(tau) ? -1 : (int)lround(tau * (n - 1));
    for (int i = 0; i < n; i++) {
        if (i == pos)
            cell_set(&cells[i], "|", C_GAUGE_MARK);
        else
            cell_set(&cells[i], i < pos ? "=" : "-", i < pos ? C_GAUGE_FILL : C_GAUGE_EMPTY);
    }
}

static void gauge_utf8(ui_cell_t *cells, int n, double tau)
{
    static const char *const eighth[8] = {"░", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    long e = isnan(tau) ? 0 : lround(tau * n * 8);
    long full = e / 8, rem = e % 8;
    for (int i = 0; i < n; i++) {
        if (i < full)
            cell_set(&cells[i], "█", C_GAUGE_FILL);
        else if (i == full && rem)
            cell_set(&cells[i], eighth[rem], C_GAUGE_MARK);
        else
            cell_set(&cells[i], "░", C_GAUGE_EMPTY);
    }
}

int ui_gauge(ui_cell_t *cells, int w, double tau, const char *label, ui_glyphs_t glyphs)
{
    char suffix[64] = "";
    ui_grid_t g = {cells, 1, w};
    int n;

    if (w <= 0)
        return 0;
    if (!isnan(tau))
        tau = tau < 0 ? 0 : tau > 1 ? 1 : tau;
    if (label && isnan(tau))
        snprintf(suffix, sizeof suffix, " %s --", label);
    else if (label)
        snprintf(suffix, sizeof suffix, " %s %.2f", label, tau);
    n = w - 2 - utf8_count(suffix);
    if (n < 4)
        suffix[0] = '\0', n = w - 2;
    ui_grid_clear(&g, C_NORMAL);
    if (n < 1) { /* no room for brackets */
        n = w;
    } else {
        ui_grid_put(&g, 0, 0, "[", C_AXIS);
        ui_grid_put(&g, 0, n + 1, "]", C_AXIS);
        ui_grid_put(&g, 0, n + 2, suffix, C_LABEL);
        cells++;
    }
    if (glyphs == UI_GLYPH_ASCII)
        gauge_ascii(cells, n, tau);
    else
        gauge_utf8(cells, n, tau);
    return w;
}

/* test_ui_pure.c - the workbench's pure parts, without a terminal: the
 * layout over a sweep of sizes, charts and gauges rendered into cell grids,
 * the ring buffer, and the key table (dispatch, help, hints). */
#include <curses.h> /* KEY_* constants only */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui/chart.h"
#include "check.h"
#include "ui/keys.h"
#include "ui/layout.h"

static const int test_ks[] = {10, 20, 100};
#define NKS ((int)(sizeof test_ks / sizeof test_ks[0]))

/* ---- layout ------------------------------------------------------------- */

static int imin(int a, int b) { return a < b ? a : b; }

static int pane_of_view(ui_pane_t p, ui_view_t v)
{
    switch (p) {
    case UI_PANE_HEADER:
    case UI_PANE_STATUS: return 1;
    case UI_PANE_TABLE:
    case UI_PANE_THRESH:
    case UI_PANE_LOSS:
    case UI_PANE_ACC: return v == UI_VIEW_DASHBOARD;
    case UI_PANE_MATRIX:
    case UI_PANE_LEGEND: return v == UI_VIEW_CONFUSION;
    case UI_PANE_LOG: return v == UI_VIEW_LOG;
    case UI_PANE_HELP: return v == UI_VIEW_HELP;
    case UI_PANE_LR:
    case UI_PANE_DMATRIX: return v == UI_VIEW_DASHBOARD ? -1 : 0; /* roomy only */
    default: return 0;
    }
}

/* Panes on screen, disjoint, shown exactly when their view is. */
static const char *check_panes(const ui_layout_in_t *in, const ui_layout_t *l, char *buf,
                               size_t n)
{
    for (int p = 0; p < UI_PANE_COUNT; p++) {
        ui_rect_t r = l->pane[p];
        int want = pane_of_view(p, in->view) && !(p == UI_PANE_ACC && l->curves ==
                                                                  UI_CURVES_LOSS_ONLY);
        if (pane_of_view(p, in->view) < 0) /* R4b: the matrix always, lr when it fits */
            want = p == UI_PANE_DMATRIX ? l->roomy : l->roomy && ui_rect_shown(r);
        if (!ui_rect_inside(r, in->rows, in->cols))
            return snprintf(buf, n, "%s off screen", ui_pane_name(p)), buf;
        if (want != ui_rect_shown(r))
            return snprintf(buf, n, "%s shown=%d", ui_pane_name(p), ui_rect_shown(r)), buf;
        if (!want && (r.y || r.x || r.h || r.w))
            return snprintf(buf, n, "hidden %s not zero", ui_pane_name(p)), buf;
        for (int q = 0; q < p; q++)
            if (ui_rect_overlap(r, l->pane[q]))
                return snprintf(buf, n, "%s overlaps %s", ui_pane_name(p), ui_pane_name(q)),
                       buf;
    }
    return NULL;
}

static const char *check_dashboard(const ui_layout_in_t *in, const ui_layout_t *l, char *buf,
                                   size_t n)
{
    ui_rect_t loss = l->pane[UI_PANE_LOSS], acc = l->pane[UI_PANE_ACC];
    if (l->curves == UI_CURVES_NONE)
        return "no curves";
    if (loss.w < UI_CHART_MIN_W || loss.h < UI_CHART_MIN_H)
        return snprintf(buf, n, "loss chart %dx%d", loss.w, loss.h), buf;
    if (ui_rect_shown(acc) && (acc.w < UI_CHART_MIN_W || acc.h < UI_CHART_MIN_H))
        return snprintf(buf, n, "acc chart %dx%d", acc.w, acc.h), buf;
    if (l->table_rows != l->pane[UI_PANE_TABLE].h - 1)
        return "table_rows is not table.h - 1";
    if (l->table_rows < imin(in->k, 10))
        return snprintf(buf, n, "table shows %d rows", l->table_rows), buf;
    if (l->table_scroll_max != (in->k > l->table_rows ? in->k - l->table_rows : 0))
        return "table_scroll_max";
    if (l->pane[UI_PANE_THRESH].h != UI_THRESH_H)
        return "threshold bar height";
    return NULL;
}

static const char *check_confusion(const ui_layout_in_t *in, const ui_layout_t *l)
{
    ui_rect_t m = l->pane[UI_PANE_MATRIX];
    if (l->cm_rows < 1 || l->cm_cols < 1)
        return "no matrix cell visible";
    if (l->cm_rows > in->k + 1 || l->cm_cols > in->k + 1)
        return "more matrix cells than K + 1";
    if (l->cm_cell_w < UI_CM_CELL_MIN_W || l->cm_cell_w > UI_CM_CELL_PREF_W)
        return "cell width out of range";
    if (l->cm_label_w + l->cm_cols * l->cm_cell_w > m.w || l->cm_rows + 1 > m.h)
        return "matrix cells do not fit";
    if (in->k == 10 && (l->cm_rows != 11 || l->cm_cols != 11))
        return "K = 10 matrix does not fit whole";
    return NULL;
}

static const char *check_text_views(const ui_layout_in_t *in, const ui_layout_t *l)
{
    ui_rect_t lg = l->pane[UI_PANE_LOG], hp = l->pane[UI_PANE_HELP];
    if (in->view == UI_VIEW_LOG) {
        if (l->log_rows != imin(in->log_lines, lg.h))
            return "log_rows";
        if (l->log_scroll_max != (in->log_lines > lg.h ? in->log_lines - lg.h : 0))
            return "log_scroll_max";
    }
    if (in->view == UI_VIEW_HELP) {
        if (l->help_cols * l->help_col_w > hp.w || l->help_rows > hp.h)
            return "help columns do not fit";
        if (l->help_col_w < UI_HELP_LINE_COLS)
            return "help column narrower than a help line";
        if (l->help_scroll_max != 0)
            return "help does not fit";
    }
    return NULL;
}

static const char *check_layout(const ui_layout_in_t *in, const ui_layout_t *l, char *buf,
                                size_t n)
{
    const char *p;
    if (l->too_small)
        return "too small at a supported size";
    if ((p = check_panes(in, l, buf, n)))
        return p;
    if (l->pane[UI_PANE_HEADER].y != 0 || l->pane[UI_PANE_STATUS].y != in->rows - 1)
        return "header/status not on the first/last row";
    if (in->view == UI_VIEW_DASHBOARD)
        return check_dashboard(in, l, buf, n);
    if (in->view == UI_VIEW_CONFUSION)
        return check_confusion(in, l);
    return check_text_views(in, l);
}

static void test_layout_sweep(void)
{
    char buf[160];
    int bad = 0, total = 0;
    for (int rows = UI_MIN_ROWS; rows <= 80; rows++)
        for (int cols = UI_MIN_COLS; cols <= 250; cols++)
            for (int v = 0; v < UI_VIEW_COUNT; v++)
                for (int ki = 0; ki < NKS; ki++) {
                    ui_layout_in_t in = {rows, cols, v, test_ks[ki], 3 * rows / 2,
                                         ui_keys_help_count()};
                    ui_layout_t l;
                    const char *p;
                    ui_layout(&in, &l);
                    p = check_layout(&in, &l, buf, sizeof buf);
                    total++;
                    if (p && ++bad <= 10)
                        CHECK(!p, "%dx%d %s K=%d: %s", cols, rows, ui_view_name(v),
                              test_ks[ki], p);
                }
    CHECK(bad == 0, "%d of %d layouts wrong", bad, total);
    CHECK(total == 57 * 171 * UI_VIEW_COUNT * NKS, "swept %d layouts", total);
}

static void test_layout_too_small(void)
{
    int bad = 0;
    for (int rows = 0; rows <= 80; rows++)
        for (int cols = 0; cols <= 250; cols++) {
            ui_layout_in_t in = {rows, cols, UI_VIEW_DASHBOARD, 10, 0, 0};
            ui_layout_t l;
            int small = rows < 24 || cols < 80, ok = 1;
            ui_layout(&in, &l);
            ok = l.too_small == small;
            for (int p = 0; small && p < UI_PANE_COUNT; p++)
                if (p != UI_PANE_TOO_SMALL && ui_rect_shown(l.pane[p]))
                    ok = 0;
            if (small && rows > 0 && cols > 0) {
                ui_rect_t r = l.pane[UI_PANE_TOO_SMALL];
                ok = ok && r.y == 0 && r.x == 0 && r.h == rows && r.w == cols;
            }
            if (small && (rows == 0 || cols == 0))
                ok = ok && !ui_rect_shown(l.pane[UI_PANE_TOO_SMALL]);
            if (!ok && ++bad <= 10)
                CHECK(ok, "%dx%d too_small=%d", cols, rows, l.too_small);
        }
    CHECK(bad == 0, "%d sizes wrong about too-small", bad);
}

static void test_layout_cases(void)
{
    ui_layout_in_t in = {24, 80, UI_VIEW_DASHBOARD, 10, 0, 0};
    ui_layout_t l;
    char msg[96];

    ui_layout(&in, &l);
    CHECK(l.table_rows == 10 && l.table_scroll_max == 0, "80x24 K=10 rows %d", l.table_rows);
    CHECK(l.curves == UI_CURVES_SIDE, "80x24 curves %d", l.curves);
    in.k = 100;
    ui_layout(&in, &l);
    CHECK(l.table_rows == 13 && l.table_scroll_max == 87, "80x24 K=100 rows %d", l.table_rows);
    in = (ui_layout_in_t){60, 80, UI_VIEW_DASHBOARD, 10, 0, 0};
    ui_layout(&in, &l);
    CHECK(l.curves == UI_CURVES_STACKED, "80x60 curves %d", l.curves);
    in = (ui_layout_in_t){50, 200, UI_VIEW_DASHBOARD, 100, 0, 0};
    ui_layout(&in, &l);
    CHECK(l.wide && l.pane[UI_PANE_TABLE].w == UI_TABLE_W, "200x50 K=100 wide %d", l.wide);
    CHECK(l.table_rows == 50 - 4 - 1, "200x50 K=100 rows %d", l.table_rows);
    in.k = 10;
    ui_layout(&in, &l);
    CHECK(!l.wide && l.table_rows == 10, "200x50 K=10 wide %d", l.wide);
    in = (ui_layout_in_t){40, 120, UI_VIEW_DASHBOARD, 10, 0, 0};
    ui_layout(&in, &l);
    ui_rect_t dm = l.pane[UI_PANE_DMATRIX], lr = l.pane[UI_PANE_LR], t = l.pane[UI_PANE_TABLE];
    CHECK(l.roomy && l.table_rows == 10, "120x40 K=10 roomy %d rows %d", l.roomy, l.table_rows);
    CHECK(dm.h >= 10 + 3 && dm.w >= UI_CM_LABEL_W + 11 * l.dm_cell_w && dm.y > t.y + t.h - 1,
          "120x40 matrix %dx%d under the table", dm.w, dm.h);
    CHECK(lr.h >= UI_CHART_MIN_H && lr.w >= UI_CHART_MIN_W && l.pane[UI_PANE_LOSS].x == lr.x,
          "120x40 learning-rate chart %dx%d", lr.w, lr.h);
    in = (ui_layout_in_t){24, 120, UI_VIEW_DASHBOARD, 10, 0, 0};
    ui_layout(&in, &l);
    CHECK(!l.roomy && !ui_rect_shown(l.pane[UI_PANE_DMATRIX]), "120x24 not roomy");
    in = (ui_layout_in_t){40, 120, UI_VIEW_DASHBOARD, 20, 0, 0};
    ui_layout(&in, &l);
    CHECK(!l.roomy, "120x40 K=20: the matrix does not fit beside the charts");
    in = (ui_layout_in_t){24, 80, UI_VIEW_CONFUSION, 10, 0, 0};
    ui_layout(&in, &l);
    CHECK(l.pane[UI_PANE_LEGEND].h == UI_CM_LEGEND_H, "80x24 legend below");
    in.cols = 120;
    ui_layout(&in, &l);
    CHECK(l.pane[UI_PANE_LEGEND].w == UI_CM_LEGEND_W && l.pane[UI_PANE_LEGEND].y == 1,
          "120x24 legend right");
    in = (ui_layout_in_t){24, 80, UI_VIEW_LOG, 10, 5, 0};
    ui_layout(&in, &l);
    CHECK(l.log_rows == 5 && l.log_scroll_max == 0, "short log");
    ui_layout_too_small_msg(msg, sizeof msg, 20, 70);
    CHECK(strstr(msg, "too small") && strstr(msg, "80x24") && strstr(msg, "70x20"), "%s", msg);
    CHECK(strcmp(ui_view_name(UI_VIEW_HELP), "help") == 0, "view name");
}

static void test_layout_curves(void)
{
    ui_rect_t a, b;
    CHECK(ui_layout_curves((ui_rect_t){0, 0, 10, 100}, &a, &b) == UI_CURVES_SIDE, "side");
    CHECK(a.w + b.w == 100 && b.x == a.w && a.h == 10, "side split");
    CHECK(ui_layout_curves((ui_rect_t){2, 3, 20, 60}, &a, &b) == UI_CURVES_STACKED, "stacked");
    CHECK(a.h + b.h == 20 && b.y == a.y + a.h && a.x == 3, "stack split");
    CHECK(ui_layout_curves((ui_rect_t){0, 0, 8, 60}, &a, &b) == UI_CURVES_LOSS_ONLY, "one");
    CHECK(a.w == 60 && !ui_rect_shown(b), "loss only");
    CHECK(ui_layout_curves((ui_rect_t){0, 0, 5, 30}, &a, &b) == UI_CURVES_NONE, "none");
    CHECK(!ui_rect_shown(a) && !ui_rect_shown(b), "none hidden");
}

static void test_layout_misc(void)
{
    ui_rect_t d = ui_layout_dialog(24, 80, 3, 30);
    CHECK(d.h == 5 && d.w == 32 && d.y == 9 && d.x == 24, "dialog %d,%d %dx%d", d.y, d.x, d.w,
          d.h);
    d = ui_layout_dialog(4, 10, 6, 30);
    CHECK(ui_rect_inside(d, 4, 10), "dialog clipped");
    CHECK(ui_scroll_first(0, 5, 10, 100) == 0, "selected visible: no scroll");
    CHECK(ui_scroll_first(0, 12, 10, 100) == 3, "scroll down to selected");
    CHECK(ui_scroll_first(20, 4, 10, 100) == 4, "scroll up to selected");
    CHECK(ui_scroll_first(95, 99, 10, 100) == 90, "clamped at the end");
    CHECK(ui_scroll_first(7, 3, 10, 8) == 0, "everything fits");
    CHECK(ui_rect_overlap((ui_rect_t){0, 0, 2, 2}, (ui_rect_t){1, 1, 2, 2}), "overlap");
    CHECK(!ui_rect_overlap((ui_rect_t){0, 0, 2, 2}, (ui_rect_t){0, 2, 2, 2}), "touching");
}

/* ---- ring buffer -------------------------------------------------------- */

static void test_ring(void)
{
    ui_ring_t r;
    double x, y;
    ui_ring_init(&r);
    CHECK(ui_ring_len(&r) == 0 && ui_ring_get(&r, 0, &x, &y) == -1 && isnan(y), "empty");
    for (int i = 0; i < 3; i++)
        ui_ring_push(&r, i, 10 * i);
    CHECK(ui_ring_get(&r, 0, &x, &y) == 0 && x == 0 && y == 0, "oldest before wrap");
    CHECK(ui_ring_get(&r, 2, &x, &y) == 0 && x == 2 && y == 20, "newest before wrap");
    for (int i = 3; i < UI_RING_CAP + 5; i++)
        ui_ring_push(&r, i, 10 * i);
    CHECK(ui_ring_len(&r) == UI_RING_CAP, "len %d", ui_ring_len(&r));
    CHECK(ui_ring_get(&r, 0, &x, &y) == 0 && x == 5 && y == 50, "oldest after wrap %g", x);
    CHECK(ui_ring_get(&r, UI_RING_CAP - 1, &x, NULL) == 0 && x == UI_RING_CAP + 4, "newest");
    CHECK(ui_ring_get(&r, UI_RING_CAP, &x, &y) == -1 && isnan(x), "past the end");
    CHECK(ui_ring_get(&r, -1, NULL, NULL) == -1, "negative index");
}

/* ---- charts ------------------------------------------------------------- */

#define GH 10
#define GW 40
#define GUARD 8
#define GUARD_ROLE 4242

typedef struct {
    ui_cell_t cells[GH * GW + GUARD];
    ui_grid_t g;
} tgrid_t;

static void tgrid_init(tgrid_t *t, int h, int w)
{
    t->g = (ui_grid_t){t->cells, h, w};
    for (int i = 0; i < GH * GW + GUARD; i++)
        t->cells[i] = (ui_cell_t){"G", GUARD_ROLE};
}

static int guards_intact(const tgrid_t *t)
{
    for (int i = t->g.h * t->g.w; i < GH * GW + GUARD; i++)
        if (t->cells[i].role != GUARD_ROLE || strcmp(t->cells[i].s, "G") != 0)
            return 0;
    return 1;
}

/* Braille bits of a cell, -1 when it is not a Braille character. */
static int braille(const ui_cell_t *c)
{
    const unsigned char *u = (const unsigned char *)c->s;
    if (u[0] == 0xE2 && u[1] >= 0xA0 && u[1] <= 0xA3 && u[3] == 0)
        return ((u[1] - 0xA0) << 6) | (u[2] & 0x3F);
    return -1;
}

/* Is dot (dx, dy) of the data area set? */
static int dot(tgrid_t *t, const ui_chart_info_t *in, int dx, int dy)
{
    static const int bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    ui_cell_t *c = ui_grid_at(&t->g, in->plot_y + dy / 4, in->plot_x + dx / 2);
    int b = c ? braille(c) : -1;
    return b > 0 && (b & bit[dy % 4][dx % 2]);
}

static void fill_ring(ui_ring_t *r, int n, double (*f)(int))
{
    ui_ring_init(r);
    for (int i = 0; i < n; i++)
        ui_ring_push(r, i, f(i));
}

static double f_rise(int i) { return i; }
static double f_fall(int i) { return 9 - i; }
static double f_const(int i) { (void)i; return 2.5; }
static double f_gap(int i) { return i == 4 || i == 5 ? NAN : (double)i; }
static double f_nan(int i) { (void)i; return NAN; }

static void draw1(tgrid_t *t, const ui_ring_t *r, ui_glyphs_t gl, ui_chart_info_t *in)
{
    ui_series_t s = {r, C_LOSS_TRAIN, "train", NULL};
    ui_chart_t c = {"loss", &s, 1, gl, 0, 0, 0};
    tgrid_init(t, GH, GW);
    ui_chart_draw(&t->g, &c, in);
}

/* Topmost set dot row of dot column dx, or -1. */
static int top_dot(tgrid_t *t, const ui_chart_info_t *in, int dx)
{
    for (int dy = 0; dy < in->plot_h * 4; dy++)
        if (dot(t, in, dx, dy))
            return dy;
    return -1;
}

static void test_chart_rising(void)
{
    static tgrid_t t;
    ui_ring_t r;
    ui_chart_info_t in;
    int dots_w, prev = 1 << 30, mono = 1, gaps = 0;
    fill_ring(&r, 10, f_rise);
    draw1(&t, &r, UI_GLYPH_UTF8, &in);
    dots_w = in.plot_w * 2;
    CHECK(in.has_data && in.plot_h == GH - 2 && in.plot_w > 20, "plot %dx%d", in.plot_w,
          in.plot_h);
    CHECK(dot(&t, &in, 0, in.plot_h * 4 - 1), "rising line starts bottom-left");
    CHECK(top_dot(&t, &in, dots_w - 1) >= 0 && top_dot(&t, &in, dots_w - 1) < 4,
          "rising line ends in the top-right cell (%d)", top_dot(&t, &in, dots_w - 1));
    for (int dx = 0; dx < dots_w; dx++) {
        int d = top_dot(&t, &in, dx);
        gaps += d < 0;
        mono = mono && (d < 0 || d <= prev);
        prev = d < 0 ? prev : d;
    }
    CHECK(gaps == 0 && mono, "continuous rising line (gaps %d)", gaps);
    CHECK(guards_intact(&t), "rising: wrote past the grid");
}

static void test_chart_constant(void)
{
    static tgrid_t t;
    ui_ring_t r;
    ui_chart_info_t in;
    int want, rows_bad = 0, cols_missing = 0;
    fill_ring(&r, 30, f_const);
    draw1(&t, &r, UI_GLYPH_UTF8, &in);
    want = (int)lround((in.plot_h * 4 - 1) / 2.0);
    for (int dx = 0; dx < in.plot_w * 2; dx++) {
        int found = 0;
        for (int dy = 0; dy < in.plot_h * 4; dy++)
            if (dot(&t, &in, dx, dy))
                rows_bad += dy != want, found = 1;
        cols_missing += !found;
    }
    CHECK(rows_bad == 0 && cols_missing == 0, "constant: %d dots off row %d, %d columns empty",
          rows_bad, want, cols_missing);
    CHECK(in.ymin < 2.5 && in.ymax > 2.5 && fabs(in.ymin + in.ymax - 5.0) < 1e-9,
          "constant range %g..%g", in.ymin, in.ymax);
}

static int all_ascii(const ui_cell_t *c, int n)
{
    for (int i = 0; i < n; i++)
        for (const unsigned char *p = (const unsigned char *)c[i].s; *p; p++)
            if (*p >= 0x80)
                return 0;
    return 1;
}

static void test_chart_ascii(void)
{
    static tgrid_t t;
    ui_ring_t r;
    ui_chart_info_t in;
    ui_cell_t *c;
    int row = -1, one_row = 1;
    fill_ring(&r, 10, f_rise);
    draw1(&t, &r, UI_GLYPH_ASCII, &in);
    CHECK(all_ascii(t.cells, GH * GW), "ASCII chart has a byte >= 0x80");
    CHECK(in.sub_x == 1 && in.sub_y == 1, "ASCII resolution");
    c = ui_grid_at(&t.g, in.plot_y + in.plot_h - 1, in.plot_x);
    CHECK(c && strcmp(c->s, " ") != 0, "ASCII rising starts bottom-left");
    c = ui_grid_at(&t.g, in.plot_y, in.plot_x + in.plot_w - 1);
    CHECK(c && strcmp(c->s, " ") != 0, "ASCII rising ends top-right");
    fill_ring(&r, 30, f_const);
    draw1(&t, &r, UI_GLYPH_ASCII, &in);
    for (int y = 0; y < in.plot_h; y++)
        for (int x = 0; x < in.plot_w; x++) {
            c = ui_grid_at(&t.g, in.plot_y + y, in.plot_x + x);
            if (strcmp(c->s, " ") == 0)
                continue;
            one_row = one_row && (row < 0 || row == y) && strcmp(c->s, "-") == 0;
            row = y;
        }
    CHECK(one_row && row >= (in.plot_h - 1) / 2 && row <= in.plot_h / 2,
          "ASCII constant is one '-' row in the middle (row %d)", row);
    CHECK(all_ascii(t.cells, GH * GW), "ASCII constant chart has a byte >= 0x80");
}

static void test_chart_nan(void)
{
    static tgrid_t t;
    ui_ring_t r;
    ui_chart_info_t in;
    int from, to, drawn = 0;
    fill_ring(&r, 10, f_gap);
    draw1(&t, &r, UI_GLYPH_UTF8, &in);
    from = (int)lround(3.0 / 9 * (in.plot_w * 2 - 1));
    to = (int)lround(6.0 / 9 * (in.plot_w * 2 - 1));
    for (int dx = from + 1; dx < to; dx++)
        drawn += top_dot(&t, &in, dx) >= 0;
    CHECK(drawn == 0, "NaN gap: %d dot columns drawn between x=3 and x=6", drawn);
    CHECK(top_dot(&t, &in, from) >= 0 && top_dot(&t, &in, to) >= 0, "points around the gap");
    fill_ring(&r, 10, f_nan);
    draw1(&t, &r, UI_GLYPH_UTF8, &in);
    {
        char line[GW * 4 + 1];
        ui_cells_str(&t.cells[(in.plot_y + in.plot_h / 2) * GW], GW, line, sizeof line);
        CHECK(!in.has_data && strstr(line, "no data"), "all NaN: '%s'", line);
    }
}

static int count_role(const tgrid_t *t, int role)
{
    int n = 0;
    for (int i = 0; i < t->g.h * t->g.w; i++)
        n += t->cells[i].role == role && braille(&t->cells[i]) > 0;
    return n;
}

static void test_chart_text(void)
{
    static tgrid_t t;
    ui_ring_t a, b;
    ui_series_t s[2] = {{&a, C_LOSS_TRAIN, "train", NULL}, {&b, C_LOSS_VAL, "val", NULL}};
    ui_chart_t c = {"loss", s, 2, UI_GLYPH_UTF8, 0, 0, 0};
    ui_chart_info_t in;
    char row[GW * 4 + 1];
    fill_ring(&a, 10, f_rise);
    fill_ring(&b, 10, f_fall);
    tgrid_init(&t, GH, GW);
    ui_chart_draw(&t.g, &c, &in);
    CHECK(count_role(&t, C_LOSS_TRAIN) > 0 && count_role(&t, C_LOSS_VAL) > 0, "two roles");
    ui_cells_str(&t.cells[0], GW, row, sizeof row);
    CHECK(strncmp(row, "loss", 4) == 0 && strstr(row, "train") && strstr(row, "val"),
          "title row '%s'", row);
    ui_cells_str(&t.cells[(GH - 1) * GW], GW, row, sizeof row);
    CHECK(strncmp(row + in.plot_x, "0", 1) == 0 && row[strlen(row) - 1] == '9',
          "x labels '%s'", row);
    ui_cells_str(&t.cells[in.plot_y * GW], in.plot_x, row, sizeof row);
    CHECK(strstr(row, "9.45") != NULL, "top tick '%s' (ymax %g)", row, in.ymax);
    ui_cells_str(&t.cells[(in.plot_y + in.plot_h - 1) * GW], in.plot_x, row, sizeof row);
    CHECK(strstr(row, "0.00") != NULL && in.ymin == 0, "bottom tick '%s' (>= 0 data)", row);
    c.fixed_y = 1, c.ymin = -1, c.ymax = 20;
    ui_chart_draw(&t.g, &c, &in);
    CHECK(in.ymin == -1 && in.ymax == 20, "fixed range");
}

static int count_glyph(const tgrid_t *t, const char *glyph, int role)
{
    int n = 0;
    for (int i = t->g.w; i < t->g.h * t->g.w; i++) /* below the title row */
        n += t->cells[i].role == role && !strcmp(t->cells[i].s, glyph);
    return n;
}

/* Without colour the series differ by glyph: along the whole line, and in
 * the legend next to the name. */
static void test_chart_glyphs(void)
{
    static tgrid_t t;
    ui_ring_t a, b;
    ui_series_t s[2] = {{&a, C_LOSS_TRAIN, "train", "*"}, {&b, C_LOSS_VAL, "val", "o"}};
    char row[GW * 4 + 1];
    fill_ring(&a, 10, f_rise);
    fill_ring(&b, 10, f_fall);
    for (int gl = 0; gl < 2; gl++) {
        ui_chart_t c = {"loss", s, 2, gl ? UI_GLYPH_ASCII : UI_GLYPH_UTF8, 0, 0, 0};
        ui_chart_info_t in;
        tgrid_init(&t, GH, GW);
        ui_chart_draw(&t.g, &c, &in);
        ui_cells_str(&t.cells[0], GW, row, sizeof row);
        CHECK(strstr(row, "* train") && strstr(row, "o val"), "legend shows glyphs: '%s'", row);
        /* a line from one side to the other passes every cell column but
         * where the other series is drawn over it */
        int na = count_glyph(&t, "*", C_LOSS_TRAIN), nb = count_glyph(&t, "o", C_LOSS_VAL);
        CHECK(na >= in.plot_w - 3 && nb >= in.plot_w, "glyph lines: %d and %d cells of %d", na,
              nb, in.plot_w);
        CHECK(count_role(&t, C_LOSS_TRAIN) == 0, "no Braille for a glyph series");
        CHECK(guards_intact(&t), "guards");
    }
}

/* One code point of 1..4 bytes in every cell. */
static int cells_valid(const ui_cell_t *c, int n)
{
    for (int i = 0; i < n; i++) {
        size_t len = strlen(c[i].s);
        unsigned char b = (unsigned char)c[i].s[0];
        size_t want = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
        if (len == 0 || len != want)
            return 0;
    }
    return 1;
}

static void test_chart_sizes(void)
{
    static tgrid_t t;
    ui_ring_t a, b;
    ui_series_t s[2] = {{&a, C_ACC_TRAIN, "train", NULL}, {&b, C_ACC_VAL, "validation", NULL}};
    int bad = 0;
    fill_ring(&a, 300, f_gap);
    ui_ring_init(&b);
    for (int i = 0; i < 40; i++)
        ui_ring_push(&b, i * 7.5, i % 3 ? 1e6 * i : -3e-4);
    for (int gl = 0; gl < 2; gl++)
        for (int h = 0; h <= GH; h++)
            for (int w = 0; w <= GW; w++) {
                ui_chart_t c = {"a title longer than some grids", s, 2, gl, 0, 0, 0};
                tgrid_init(&t, h, w);
                ui_chart_draw(&t.g, &c, NULL);
                if (!guards_intact(&t) || !cells_valid(t.cells, h * w) ||
                    (gl == UI_GLYPH_ASCII && !all_ascii(t.cells, h * w)))
                    bad++;
            }
    CHECK(bad == 0, "%d grid sizes wrote past the grid or left bad cells", bad);
}

/* ---- gauge -------------------------------------------------------------- */

static const char *gauge_str(double tau, int w, const char *label, ui_glyphs_t gl, char *buf,
                             size_t n)
{
    ui_cell_t c[64];
    int got = ui_gauge(c, w, tau, label, gl);
    ui_cells_str(c, got, buf, n);
    return buf;
}

static int count_sub(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = strstr(s, sub); p; p = strstr(p + strlen(sub), sub))
        n++;
    return n;
}

static void test_gauge(void)
{
    char b[256];
    CHECK(!strcmp(gauge_str(0.5, 22, "tau", UI_GLYPH_ASCII, b, sizeof b),
                  "[=====|-----] tau 0.50"), "'%s'", b);
    CHECK(!strcmp(gauge_str(0, 22, "tau", UI_GLYPH_ASCII, b, sizeof b),
                  "[|----------] tau 0.00"), "'%s'", b);
    CHECK(!strcmp(gauge_str(1, 22, "tau", UI_GLYPH_ASCII, b, sizeof b),
                  "[==========|] tau 1.00"), "'%s'", b);
    CHECK(!strcmp(gauge_str(1.7, 22, "tau", UI_GLYPH_ASCII, b, sizeof b),
                  "[==========|] tau 1.00"), "clamped '%s'", b);
    CHECK(!strcmp(gauge_str(NAN, 22, "tau", UI_GLYPH_ASCII, b, sizeof b),
                  "[-------------] tau --"), "NaN '%s'", b);
    gauge_str(0, 22, "tau", UI_GLYPH_UTF8, b, sizeof b);
    CHECK(count_sub(b, "░") == 11 && strstr(b, "] tau 0.00"), "utf8 0 '%s'", b);
    gauge_str(1, 22, "tau", UI_GLYPH_UTF8, b, sizeof b);
    CHECK(count_sub(b, "█") == 11 && strstr(b, "] tau 1.00"), "utf8 1 '%s'", b);
    gauge_str(0.5, 22, "tau", UI_GLYPH_UTF8, b, sizeof b);
    CHECK(!strcmp(b, "[█████▌░░░░░] tau 0.50"), "utf8 0.5 '%s'", b);
    CHECK(!strcmp(gauge_str(0.5, 6, "tau", UI_GLYPH_ASCII, b, sizeof b), "[==|-]"),
          "narrow drops the suffix '%s'", b);
    CHECK(!strcmp(gauge_str(0.5, 2, "tau", UI_GLYPH_ASCII, b, sizeof b), "=|"), "w=2 '%s'", b);
    CHECK(ui_gauge(NULL, 0, 0.5, "tau", UI_GLYPH_ASCII) == 0, "w=0");
    for (int w = 1; w <= 60; w++) {
        ui_cell_t c[64];
        int got = ui_gauge(c, w, 0.37, "tau", UI_GLYPH_UTF8);
        CHECK(got == w && cells_valid(c, w), "utf8 gauge w=%d", w);
        got = ui_gauge(c, w, 0.37, "tau", UI_GLYPH_ASCII);
        CHECK(got == w && all_ascii(c, w), "ascii gauge w=%d", w);
    }
}

/* ---- keys --------------------------------------------------------------- */

static void test_keys_dispatch(void)
{
    int n, m;
    const ui_key_t *k = ui_keys(&n), *kc = ui_keys_confirm(&m);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < UI_KEY_CODES && k[i].codes[j]; j++)
            CHECK(ui_key_action(k[i].codes[j]) == k[i].action, "%s: key %d", k[i].label,
                  k[i].codes[j]);
    for (int i = 0; i < n * UI_KEY_CODES; i++)
        for (int j = 0; j < i; j++) {
            int a = k[i / UI_KEY_CODES].codes[i % UI_KEY_CODES];
            int b = k[j / UI_KEY_CODES].codes[j % UI_KEY_CODES];
            CHECK(a == 0 || a != b, "key %d appears twice", a);
        }
    for (int a = UI_ACT_SELECT_UP; a <= UI_ACT_QUIT; a++)
        CHECK(ui_key_find(a) != NULL, "no key for %s", ui_action_name(a));
    for (int i = 0; i < m; i++)
        for (int j = 0; j < UI_KEY_CODES && kc[i].codes[j]; j++)
            CHECK(ui_key_confirm_action(kc[i].codes[j]) == kc[i].action, "confirm %s",
                  kc[i].label);
}

static void test_keys_named(void)
{
    static const struct { int key; ui_action_t a; } want[] = {
        {KEY_UP, UI_ACT_SELECT_UP}, {'k', UI_ACT_SELECT_UP}, {KEY_DOWN, UI_ACT_SELECT_DOWN},
        {'j', UI_ACT_SELECT_DOWN}, {KEY_PPAGE, UI_ACT_PAGE_UP}, {KEY_NPAGE, UI_ACT_PAGE_DOWN},
        {' ', UI_ACT_TOGGLE_SELECTED}, {'a', UI_ACT_TOGGLE_ALL}, {'n', UI_ACT_TOGGLE_NONE},
        {'+', UI_ACT_TAU_UP_SMALL}, {'-', UI_ACT_TAU_DOWN_SMALL}, {']', UI_ACT_TAU_UP_LARGE},
        {'[', UI_ACT_TAU_DOWN_LARGE}, {'t', UI_ACT_AUTO_TUNE}, {'d', UI_ACT_VIEW_DASHBOARD},
        {'c', UI_ACT_VIEW_CONFUSION}, {'l', UI_ACT_VIEW_LOG}, {'?', UI_ACT_VIEW_HELP},
        {'p', UI_ACT_PAUSE}, {'r', UI_ACT_RETRAIN}, {'s', UI_ACT_SAVE}, {'q', UI_ACT_QUIT},
        {'y', UI_ACT_NONE}, {KEY_RESIZE, UI_ACT_NONE}, {ERR, UI_ACT_NONE}, {'Z', UI_ACT_NONE}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK(ui_key_action(want[i].key) == want[i].a, "key %d -> %s", want[i].key,
              ui_action_name(ui_key_action(want[i].key)));
    CHECK(ui_key_confirm_action('y') == UI_ACT_CONFIRM_YES, "y confirms");
    CHECK(ui_key_confirm_action('Y') == UI_ACT_CONFIRM_YES, "Y confirms");
    CHECK(ui_key_confirm_action('n') == UI_ACT_CANCEL, "n cancels");
    CHECK(ui_key_confirm_action('q') == UI_ACT_CANCEL, "q cancels");
    CHECK(ui_key_confirm_action(27) == UI_ACT_CANCEL, "Esc cancels");
    CHECK(ui_key_action(27) == UI_ACT_VIEW_DASHBOARD, "Esc leaves help, log and matrix");
    CHECK(ui_key_confirm_action(KEY_RESIZE) == UI_ACT_NONE, "resize keeps the prompt");
    CHECK(ui_key_confirm_action(ERR) == UI_ACT_NONE, "timeout keeps the prompt");
    CHECK(ui_key_find(UI_ACT_RETRAIN)->confirm && ui_key_find(UI_ACT_QUIT)->confirm,
          "retrain and quit ask");
    CHECK(ui_action_tau_delta(UI_ACT_TAU_DOWN_LARGE) == -UI_TAU_STEP_LARGE, "tau delta");
    CHECK(ui_action_tau_delta(UI_ACT_SAVE) == 0, "no tau delta");
}

/* Some help line holds both the label and the description of k. */
static int in_help(const ui_key_t *k, int ascii)
{
    char buf[256];
    const char *label = ascii ? k->label_ascii : k->label;
    for (int i = 0; i < ui_keys_help_count(); i++) {
        ui_keys_help_line(i, ascii, buf, sizeof buf);
        if (strstr(buf, label) && strstr(buf, k->help))
            return 1;
    }
    return 0;
}

static void test_keys_help(void)
{
    int n, m, count = ui_keys_help_count();
    const ui_key_t *k = ui_keys(&n), *kc = ui_keys_confirm(&m);
    char buf[256], step[16];
    CHECK(count > n + m, "help has %d lines", count);
    for (int ascii = 0; ascii < 2; ascii++) {
        for (int i = 0; i < n; i++)
            CHECK(in_help(&k[i], ascii), "help lacks '%s' (ascii %d)", k[i].label, ascii);
        for (int i = 0; i < m; i++)
            CHECK(in_help(&kc[i], ascii), "help lacks '%s'", kc[i].label);
        for (int i = 0; i < count; i++) {
            ui_keys_help_line(i, ascii, buf, sizeof buf);
            CHECK(ui_text_cells(buf) <= UI_HELP_LINE_COLS, "help line too wide: '%s'", buf);
            for (const unsigned char *p = (const unsigned char *)buf; ascii && *p; p++)
                CHECK(*p < 0x80, "ASCII help line has byte 0x%x: '%s'", *p, buf);
        }
    }
    CHECK(ui_keys_help_line(count, 0, buf, sizeof buf)[0] == '\0', "past the end");
    int dim_note = 0;
    for (int i = 0; i < count; i++)
        dim_note |= strstr(ui_keys_help_line(i, 1, buf, sizeof buf), "fewer than 20") != NULL;
    CHECK(dim_note, "help says what dim figures mean");
    for (int i = 0; i < n; i++)
        CHECK(ui_text_cells(k[i].help) <= UI_KEY_HELP_MAX &&
              ui_text_cells(k[i].label) <= UI_KEY_LABEL_MAX, "'%s' too long", k[i].help);
    snprintf(step, sizeof step, "%.2f", UI_TAU_STEP_SMALL);
    CHECK(strstr(ui_key_find(UI_ACT_TAU_UP_SMALL)->help, step), "help names step %s", step);
    snprintf(step, sizeof step, "%.2f", UI_TAU_STEP_LARGE);
    CHECK(strstr(ui_key_find(UI_ACT_TAU_DOWN_LARGE)->help, step), "help names step %s", step);
}

static void test_keys_hint(void)
{
    char buf[512];
    for (int w = 0; w <= 200; w++)
        for (int ascii = 0; ascii < 2; ascii++)
            CHECK(ui_text_cells(ui_keys_hint(buf, sizeof buf, w, ascii)) <= w, "hint w=%d", w);
    ui_keys_hint(buf, sizeof buf, 200, 1);
    CHECK(strstr(buf, "q:quit") && strstr(buf, "?/F1:help"), "hint '%s'", buf);
    ui_keys_hint(buf, sizeof buf, 80, 0);
    CHECK(strstr(buf, "q:quit") != NULL, "80-column hint keeps quit: '%s'", buf);
    for (int a = 0; a < UI_ACT_COUNT; a++)
        for (int b = 0; b < a; b++)
            CHECK(strcmp(ui_action_name(a), ui_action_name(b)) != 0, "action name twice");
}

int main(void)
{
    test_layout_sweep();
    test_layout_too_small();
    test_layout_cases();
    test_layout_curves();
    test_layout_misc();
    test_ring();
    test_chart_rising();
    test_chart_constant();
    test_chart_ascii();
    test_chart_nan();
    test_chart_text();
    test_chart_glyphs();
    test_chart_sizes();
    test_gauge();
    test_keys_dispatch();
    test_keys_named();
    test_keys_help();
    test_keys_hint();
    return check_done("test_ui_pure");
}

/* layout.c - pane rectangles for every view; the rules are in layout.h. */
#include "ui/layout.h"

#include <stdio.h>
#include <string.h>

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }
static int iclamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static ui_rect_t rect(int y, int x, int h, int w)
{
    ui_rect_t r = {y, x, h, w};
    if (h <= 0 || w <= 0)
        r = (ui_rect_t){0, 0, 0, 0};
    return r;
}

int ui_rect_shown(ui_rect_t r) { return r.h > 0 && r.w > 0; }

int ui_rect_overlap(ui_rect_t a, ui_rect_t b)
{
    if (!ui_rect_shown(a) || !ui_rect_shown(b))
        return 0;
    return a.y < b.y + b.h && b.y < a.y + a.h && a.x < b.x + b.w && b.x < a.x + a.w;
}

int ui_rect_inside(ui_rect_t r, int rows, int cols)
{
    return r.y >= 0 && r.x >= 0 && r.h >= 0 && r.w >= 0 && r.y + r.h <= rows &&
           r.x + r.w <= cols;
}

/* ---- R5: the two charts ------------------------------------------------- */

ui_curves_t ui_layout_curves(ui_rect_t r, ui_rect_t *loss, ui_rect_t *acc)
{
    int fits_side = r.w >= 2 * UI_CHART_MIN_W && r.h >= UI_CHART_MIN_H;
    int fits_stack = r.h >= 2 * UI_CHART_MIN_H && r.w >= UI_CHART_MIN_W;
    int half;

    *loss = *acc = rect(0, 0, 0, 0);
    if (fits_side && (r.w >= 4 * r.h || !fits_stack)) {
        half = r.w / 2;
        *loss = rect(r.y, r.x, r.h, half);
        *acc = rect(r.y, r.x + half, r.h, r.w - half);
        return UI_CURVES_SIDE;
    }
    if (fits_stack) {
        half = r.h / 2;
        *loss = rect(r.y, r.x, half, r.w);
        *acc = rect(r.y + half, r.x, r.h - half, r.w);
        return UI_CURVES_STACKED;
    }
    if (r.w >= UI_CHART_MIN_W && r.h >= UI_CHART_MIN_H) {
        *loss = r;
        return UI_CURVES_LOSS_ONLY;
    }
    return UI_CURVES_NONE;
}

/* ---- R3, R4, R6: the dashboard ------------------------------------------ */

static int narrow_table_h(int avail, int k)
{
    int curves_min = imax(UI_CHART_MIN_H, avail / 3);
    return imax(1, imin(1 + k, avail - curves_min));
}

static void table_counts(ui_layout_t *o, int k)
{
    o->table_rows = imax(0, o->pane[UI_PANE_TABLE].h - 1);
    o->table_scroll_max = imax(0, k - o->table_rows);
}

static void dashboard_narrow(ui_layout_t *o, int rows, int cols, int table_h)
{
    int avail = rows - UI_HEADER_H - UI_STATUS_H - UI_THRESH_H;
    int y = UI_HEADER_H;

    o->pane[UI_PANE_TABLE] = rect(y, 0, table_h, cols);
    y += table_h;
    o->pane[UI_PANE_THRESH] = rect(y, 0, UI_THRESH_H, cols);
    y += UI_THRESH_H;
    o->curves = ui_layout_curves(rect(y, 0, avail - table_h, cols), &o->pane[UI_PANE_LOSS],
                                 &o->pane[UI_PANE_ACC]);
}

static void dashboard_wide(ui_layout_t *o, int rows, int cols)
{
    int body_h = rows - UI_HEADER_H - UI_STATUS_H - UI_THRESH_H;
    int right_x = UI_TABLE_W + 1;

    o->wide = 1;
    o->pane[UI_PANE_TABLE] = rect(UI_HEADER_H, 0, body_h, UI_TABLE_W);
    o->curves = ui_layout_curves(rect(UI_HEADER_H, right_x, body_h, cols - right_x),
                                 &o->pane[UI_PANE_LOSS], &o->pane[UI_PANE_ACC]);
    o->pane[UI_PANE_THRESH] = rect(UI_HEADER_H + body_h, 0, UI_THRESH_H, cols);
}

static int roomy_fits(int avail, int cols, int k)
{
    return cols >= UI_TABLE_W + 1 + UI_CHART_MIN_W &&
           UI_CM_LABEL_W + (k + 1) * UI_CM_CELL_MIN_W <= UI_TABLE_W && avail >= 2 * k + 5;
}

static void dashboard_roomy(ui_layout_t *o, int rows, int cols, int k)
{
    int body_h = rows - UI_HEADER_H - UI_STATUS_H - UI_THRESH_H;
    int right_x = UI_TABLE_W + 1, right_w = cols - right_x, y = UI_HEADER_H;

    o->roomy = 1;
    o->pane[UI_PANE_TABLE] = rect(y, 0, 1 + k, UI_TABLE_W);
    o->pane[UI_PANE_DMATRIX] = rect(y + 2 + k, 0, body_h - 2 - k, UI_TABLE_W);
    o->dm_cell_w = iclamp((UI_TABLE_W - UI_CM_LABEL_W) / (k + 1), UI_CM_CELL_MIN_W,
                          UI_CM_CELL_PREF_W);
    if (body_h >= 3 * UI_CHART_MIN_H) {
        int third = body_h / 3;
        o->pane[UI_PANE_LOSS] = rect(y, right_x, third, right_w);
        o->pane[UI_PANE_ACC] = rect(y + third, right_x, third, right_w);
        o->pane[UI_PANE_LR] = rect(y + 2 * third, right_x, body_h - 2 * third, right_w);
        o->curves = UI_CURVES_STACKED;
    } else {
        o->curves = ui_layout_curves(rect(y, right_x, body_h, right_w), &o->pane[UI_PANE_LOSS],
                                     &o->pane[UI_PANE_ACC]);
    }
    o->pane[UI_PANE_THRESH] = rect(y + body_h, 0, UI_THRESH_H, cols);
}

static void dashboard(ui_layout_t *o, int rows, int cols, int k)
{
    int avail = rows - UI_HEADER_H - UI_STATUS_H - UI_THRESH_H;
    int table_h = narrow_table_h(avail, k);

    if (roomy_fits(avail, cols, k))
        dashboard_roomy(o, rows, cols, k);
    else if (cols >= UI_WIDE_COLS && table_h < 1 + k)
        dashboard_wide(o, rows, cols);
    else
        dashboard_narrow(o, rows, cols, table_h);
    table_counts(o, k);
}

/* ---- R7: confusion matrix ----------------------------------------------- */

static void confusion(ui_layout_t *o, ui_rect_t body, int k)
{
    int n = k + 1;
    int need_w = UI_CM_LABEL_W + n * UI_CM_CELL_PREF_W;
    ui_rect_t m;

    if (body.w >= need_w + 1 + UI_CM_LEGEND_W) {
        m = rect(body.y, 0, body.h, body.w - 1 - UI_CM_LEGEND_W);
        o->pane[UI_PANE_LEGEND] = rect(body.y, body.w - UI_CM_LEGEND_W, body.h, UI_CM_LEGEND_W);
    } else {
        m = rect(body.y, 0, body.h - UI_CM_LEGEND_H, body.w);
        o->pane[UI_PANE_LEGEND] = rect(body.y + m.h, 0, UI_CM_LEGEND_H, body.w);
    }
    o->pane[UI_PANE_MATRIX] = m;
    o->cm_label_w = UI_CM_LABEL_W;
    o->cm_cell_w = iclamp((m.w - UI_CM_LABEL_W) / n, UI_CM_CELL_MIN_W, UI_CM_CELL_PREF_W);
    o->cm_cols = iclamp((m.w - UI_CM_LABEL_W) / o->cm_cell_w, 0, n);
    o->cm_rows = iclamp(m.h - 1, 0, n);
}

/* ---- R8, R9: log and help ----------------------------------------------- */

static void logview(ui_layout_t *o, ui_rect_t body, int lines)
{
    o->pane[UI_PANE_LOG] = body;
    o->log_rows = imin(lines, body.h);
    o->log_scroll_max = imax(0, lines - body.h);
}

static void helpview(ui_layout_t *o, ui_rect_t body, int lines)
{
    int two = lines > body.h && body.w >= 2 * UI_HELP_COL_W;

    o->pane[UI_PANE_HELP] = body;
    o->help_cols = two ? 2 : 1;
    o->help_col_w = body.w / o->help_cols;
    o->help_rows = imin(body.h, (lines + o->help_cols - 1) / o->help_cols);
    o->help_scroll_max = imax(0, lines - o->help_cols * body.h);
}

/* ---- all views ---------------------------------------------------------- */

void ui_layout(const ui_layout_in_t *in, ui_layout_t *out)
{
    int rows = imax(0, in->rows), cols = imax(0, in->cols), k = imax(0, in->k);
    ui_rect_t body;

    memset(out, 0, sizeof *out);
    if (rows < UI_MIN_ROWS || cols < UI_MIN_COLS) {
        out->too_small = 1;
        out->pane[UI_PANE_TOO_SMALL] = rect(0, 0, rows, cols);
        return;
    }
    out->pane[UI_PANE_HEADER] = rect(0, 0, UI_HEADER_H, cols);
    out->pane[UI_PANE_STATUS] = rect(rows - UI_STATUS_H, 0, UI_STATUS_H, cols);
    body = rect(UI_HEADER_H, 0, rows - UI_HEADER_H - UI_STATUS_H, cols);
    switch (in->view) {
    case UI_VIEW_CONFUSION: confusion(out, body, k); break;
    case UI_VIEW_LOG: logview(out, body, imax(0, in->log_lines)); break;
    case UI_VIEW_HELP: helpview(out, body, imax(0, in->help_lines)); break;
    default: dashboard(out, rows, cols, k); break;
    }
}

ui_rect_t ui_layout_dialog(int rows, int cols, int text_h, int text_w)
{
    int h = imin(imax(0, text_h) + 2, imax(0, rows));
    int w = imin(imax(0, text_w) + 2, imax(0, cols));
    return rect((rows - h) / 2, (cols - w) / 2, h, w);
}

void ui_layout_too_small_msg(char *buf, size_t n, int rows, int cols)
{
    snprintf(buf, n, "terminal too small: need %dx%d (now %dx%d)", UI_MIN_COLS, UI_MIN_ROWS,
             cols, rows);
}

int ui_scroll_first(int first, int selected, int visible, int total)
{
    if (visible <= 0 || total <= visible)
        return 0;
    if (selected < first)
        first = selected;
    if (selected >= first + visible)
        first = selected - visible + 1;
    return iclamp(first, 0, total - visible);
}

const char *ui_view_name(ui_view_t v)
{
    static const char *const names[UI_VIEW_COUNT] = {"dashboard", "confusion", "log", "help"};
    return (unsigned)v < UI_VIEW_COUNT ? names[v] : "?";
}

const char *ui_pane_name(ui_pane_t p)
{
    static const char *const names[UI_PANE_COUNT] = {
        "header", "status", "table", "threshold", "loss", "accuracy",
        "matrix", "legend", "log",   "help",      "lr",       "dashboard-matrix", "too-small"};
    return (unsigned)p < UI_PANE_COUNT ? names[p] : "?";
}

/* draw.c - colours, pane windows and the dashboard (header, table,
 * threshold bar, curves, status line). Every pane is drawn into a cell
 * grid (chart.h) and copied to its own window; one doupdate per frame. */
#include "ui/app_priv.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "report/progress.h"

/* ---- colours ------------------------------------------------------------ */

typedef struct {
    short fg, bg;
    attr_t color_attr, mono_attr;
} scheme_t;

static const scheme_t scheme[R_ROLE_COUNT] = {
    [C_NORMAL] = {-1, -1, A_NORMAL, A_NORMAL},
    [C_TITLE] = {-1, -1, A_BOLD, A_BOLD},
    [C_AXIS] = {-1, -1, A_NORMAL, A_NORMAL},
    [C_LABEL] = {-1, -1, A_NORMAL, A_NORMAL},
    [C_LOSS_TRAIN] = {COLOR_CYAN, -1, A_NORMAL, A_NORMAL},
    [C_LOSS_VAL] = {COLOR_YELLOW, -1, A_NORMAL, A_BOLD},
    [C_ACC_TRAIN] = {COLOR_CYAN, -1, A_NORMAL, A_NORMAL},
    [C_ACC_VAL] = {COLOR_YELLOW, -1, A_NORMAL, A_BOLD},
    [C_JUDGE_TRAIN] = {COLOR_MAGENTA, -1, A_NORMAL, A_NORMAL},
    [C_JUDGE_VAL] = {COLOR_GREEN, -1, A_NORMAL, A_BOLD},
    [C_GAUGE_FILL] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
    [C_GAUGE_EMPTY] = {-1, -1, A_DIM, A_NORMAL},
    [C_GAUGE_MARK] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
    [R_HEADER] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
    [R_STATUS] = {-1, -1, A_REVERSE, A_REVERSE},
    [R_SELECTED] = {-1, -1, A_REVERSE, A_REVERSE},
    [R_ON] = {COLOR_GREEN, -1, A_BOLD, A_BOLD},
    [R_OFF] = {COLOR_RED, -1, A_BOLD, A_NORMAL},
    [R_ERROR] = {COLOR_WHITE, COLOR_RED, A_BOLD, A_BOLD | A_REVERSE},
    [R_WARN] = {COLOR_YELLOW, -1, A_NORMAL, A_BOLD},
    [R_DIAG] = {COLOR_GREEN, -1, A_BOLD, A_BOLD},
    [R_OFFDIAG] = {COLOR_RED, -1, A_NORMAL, A_NORMAL},
    [R_DIM] = {-1, -1, A_DIM, A_DIM},
};

void draw_colors(app_t *a)
{
    for (int r = 0; r < R_ROLE_COUNT; r++) {
        a->pair[r] = 0;
        a->attr[r] = a->color ? scheme[r].color_attr : scheme[r].mono_attr;
        if (a->color && r < COLOR_PAIRS - 1 && (scheme[r].fg >= 0 || scheme[r].bg >= 0)) {
            init_pair((short)(r + 1), scheme[r].fg, scheme[r].bg);
            a->pair[r] = (short)(r + 1);
        }
    }
}

/* ---- grids and text --------------------------------------------------------- */

ui_grid_t draw_grid(app_t *a, int h, int w)
{
    size_t need = (size_t)(h > 0 ? h : 0) * (size_t)(w > 0 ? w : 0);
    if (need > a->ncells) {
        a->cells = xrealloc(a->cells, need * sizeof *a->cells);
        a->ncells = need;
    }
    ui_grid_t g = {a->cells, h, w};
    ui_grid_clear(&g, C_NORMAL);
    return g;
}

/* ASCII stand-ins for the glyphs the workbench and the log use; *len
 * gets the bytes of the code point replaced. */
static const char *ascii_for(const char *u, int *len)
{
    static const struct { const char *u, *a; } map[] = {
        {"\u2713", "+"}, {"\u2717", "x"}, {"\u03c4", "tau"}, {"\u2026", "..."},
        {"\u2192", "->"}, {"\u2191", "Up"}, {"\u2193", "Down"}, {"\u00b7", "."},
        {"\u2500", "-"}, {"\u2502", "|"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t n = strlen(map[i].u);
        if (!strncmp(u, map[i].u, n)) {
            *len = (int)n;
            return map[i].a;
        }
    }
    int n = 1;
    while (((unsigned char)u[n] & 0xC0) == 0x80)
        n++;
    *len = n;
    return "?";
}

int draw_put(app_t *a, ui_grid_t *g, int y, int x, int role, const char *s)
{
    if (a->utf8)
        return ui_grid_put(g, y, x, s, role);
    char buf[1024];
    size_t o = 0;
    while (*s && o + 8 < sizeof buf) {
        if ((unsigned char)*s < 0x80) {
            buf[o++] = *s++;
        } else {
            int len;
            const char *r = ascii_for(s, &len);
            size_t rl = strlen(r);
            memcpy(buf + o, r, rl);
            o += rl;
            s += len;
        }
    }
    buf[o] = '\0';
    return ui_grid_put(g, y, x, buf, role);
}

int draw_printf(app_t *a, ui_grid_t *g, int y, int x, int role, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return draw_put(a, g, y, x, role, buf);
}

void draw_pct(char *buf, size_t n, int w, double v)
{
    if (isnan(v))
        snprintf(buf, n, "%*s", w, "--");
    else
        snprintf(buf, n, "%*.1f%%", w - 1, 100.0 * v);
}

static void draw_num(char *buf, size_t n, int w, double v)
{
    if (isnan(v))
        snprintf(buf, n, "%*s", w, "--");
    else
        snprintf(buf, n, "%*.3f", w, v);
}

void draw_blit(app_t *a, WINDOW *w, const ui_grid_t *g)
{
    char buf[UI_CELL_BYTES * 512];
    for (int y = 0; y < g->h; y++) {
        const ui_cell_t *row = g->cells + (size_t)y * g->w;
        for (int x = 0; x < g->w;) {
            int role = row[x].role, run = 1;
            while (x + run < g->w && row[x + run].role == role && run < 512)
                run++;
            if (role < 0 || role >= R_ROLE_COUNT)
                role = C_NORMAL;
            ui_cells_str(row + x, run, buf, sizeof buf);
            wattr_set(w, a->attr[role], a->pair[role], NULL);
            mvwaddstr(w, y, x, buf);
            x += run;
        }
    }
    wattr_set(w, A_NORMAL, 0, NULL);
}

int draw_tau_uniform(const app_t *a)
{
    for (int c = 1; c < a->k; c++)
        if (a->tau[c] != a->tau[0])
            return 0;
    return 1;
}

/* ---- header ------------------------------------------------------------------- */

static const char *const phase_name[] = {"Stage 1", "judge pool", "judges", "validation", ""};

static void fmt_duration(char *buf, size_t n, double s)
{
    if (isfinite(s) && s >= 0)
        eta_format(s, buf, n); /* M:SS or H:MM:SS, as the batch progress line */
    else
        snprintf(buf, n, "--");
}

/* The header's parts in screen order, each with a priority (0 first) and
 * a fixed width: as many as fit are shown, the most important first. Every
 * part is there in every phase ("--" when it has no value), so the set
 * shown depends on the width only and nothing comes and goes as training
 * moves from one phase to the next. */
typedef struct {
    char text[128];
    int prio, w;
} seg_t;

static void header_line(char *line, size_t n, const seg_t *seg, int nseg, int width)
{
    int keep[16] = {0}, used = 0;
    for (int p = 0; p < 8; p++)
        for (int i = 0; i < nseg; i++) {
            if (seg[i].prio != p)
                continue;
            int add = seg[i].w + (used ? 2 : 0);
            if (used + add <= width) {
                keep[i] = 1;
                used += add;
            }
        }
    line[0] = '\0';
    for (int i = 0; i < nseg; i++)
        if (keep[i]) {
            size_t len = strlen(line);
            int pad = seg[i].w - ui_text_cells(seg[i].text);
            snprintf(line + len, n - len, "%s%.127s%*s", len ? "  " : "", seg[i].text,
                     pad > 0 ? pad : 0, "");
        }
}

static void seg_set(seg_t *sg, int prio, int w, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void seg_set(seg_t *sg, int prio, int w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sg->text, sizeof sg->text, fmt, ap);
    va_end(ap);
    sg->prio = prio;
    sg->w = w > ui_text_cells(sg->text) ? w : ui_text_cells(sg->text);
}

static int digits(int v) { return v >= 10 ? 1 + digits(v / 10) : 1; }

static void header_segs(const app_t *a, seg_t *seg)
{
    const wb_snap_t *s = &a->v.snap;
    const epoch_stats_t *l = &s->live;
    int open = s->epoch_open && l->phase < PHASE_IDLE, d = digits(s->last_epoch);
    char dur[32];
    seg_set(&seg[0], 7, 5, "mscnn");
    seg_set(&seg[1], 0, 7 + 2 * d, "Epoch %d/%d",
            s->epoch_open ? l->epoch : s->start_epoch + s->nhistory, s->last_epoch);
    if (open)
        seg_set(&seg[2], 1, 20, "%s %d/%d", phase_name[l->phase], l->step, l->steps);
    else
        seg_set(&seg[2], 1, 20, "%s", s->state == WB_FINISHING ? "scoring the test set"
                                      : s->state == WB_FINISHED ? "epochs done"
                                      : s->state == WB_STOPPING ? "saving" : "between epochs");
    seg_set(&seg[3], 4, 9, "%s", s->stage1_frozen ? "S1 frozen" : "S1 trains");
    if (s->epoch_open && l->phase == PHASE_STAGE1 && !isnan(l->s1_loss))
        seg_set(&seg[4], 6, 21, "loss %.3f acc %.1f%%", l->s1_loss, 100 * l->s1_acc);
    else
        seg_set(&seg[4], 6, 21, "loss --  acc --");
    double img_s = s->epoch_open ? l->img_s : s->nhistory ? s->last.img_s : NAN;
    if (isfinite(img_s))
        seg_set(&seg[5], 2, 11, "%.0f img/s", img_s);
    else
        seg_set(&seg[5], 2, 11, "-- img/s");
    fmt_duration(dur, sizeof dur, s->state == WB_TRAINING ? s->eta : NAN);
    seg_set(&seg[6], 2, 11, "ETA %s", dur);
    seg_set(&seg[7], 3, 0, "%.127s", s->device);
}

static void draw_header(app_t *a, WINDOW *w, ui_rect_t r)
{
    const wb_snap_t *s = &a->v.snap;
    ui_grid_t g = draw_grid(a, r.h, r.w);
    ui_grid_clear(&g, R_HEADER);
    char state[32], line[512];
    seg_t seg[8];
    memset(seg, 0, sizeof seg);
    snprintf(state, sizeof state, " %-9s ", wb_state_name(s->state));
    header_segs(a, seg);
    header_line(line, sizeof line, seg, 8, r.w - ui_text_cells(state) - 2);
    draw_put(a, &g, 0, 1, R_HEADER, line);
    int role = s->state == WB_ERROR ? R_ERROR : s->state == WB_PAUSED ? R_WARN : R_HEADER;
    draw_put(a, &g, 0, r.w - ui_text_cells(state), role, state);
    draw_blit(a, w, &g);
}

/* ---- status line ------------------------------------------------------------------ */

static void draw_status(app_t *a, WINDOW *w, ui_rect_t r)
{
    ui_grid_t g = draw_grid(a, r.h, r.w);
    ui_grid_clear(&g, R_STATUS);
    char buf[512];
    if (a->confirming != UI_ACT_NONE) {
        draw_put(a, &g, 0, 1, R_STATUS,
                 a->confirming == UI_ACT_QUIT ? "Save the model and quit? y = yes, other = no"
                 : a->confirming == UI_ACT_AUTO_TUNE
                     ? "Apply the auto-tuned tau (coverage under 5%)? y = yes, other = no"
                     : "Retrain the checked judges? y = yes, other = no");
    } else if (a->msg[0] && now_seconds() < a->msg_until) {
        ui_grid_clear(&g, a->msg_role);
        draw_put(a, &g, 0, 1, a->msg_role, a->msg);
    } else if (a->v.snap.error[0]) {
        ui_grid_clear(&g, R_ERROR);
        snprintf(buf, sizeof buf, "error: %s (l: log)", a->v.snap.error);
        draw_put(a, &g, 0, 1, R_ERROR, buf);
    } else {
        ui_keys_hint(buf, sizeof buf, r.w - 2, !a->utf8);
        draw_put(a, &g, 0, 1, R_STATUS, buf);
    }
    draw_blit(a, w, &g);
}

/* ---- the per-category table ---------------------------------------------------------- */

#define COL_NAME 5
#define NAME_W 13
#define NUM_W 7
#define N_W 5

/* s right-aligned in w cells (UTF-8 aware) after what buf holds. */
static void add_right(char *buf, size_t n, int w, const char *s)
{
    size_t len = strlen(buf);
    int pad = w - ui_text_cells(s);
    snprintf(buf + len, n - len, "%*s%s", pad > 0 ? pad : 0, "", s);
}

static void table_titles(app_t *a, ui_grid_t *g)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%-*s", NAME_W, "Category");
    add_right(buf, sizeof buf, N_W, "n");
    add_right(buf, sizeof buf, NUM_W, "S1 val");
    add_right(buf, sizeof buf, NUM_W, "J loss");
    add_right(buf, sizeof buf, NUM_W, "J acc");
    add_right(buf, sizeof buf, NUM_W, "J val");
    add_right(buf, sizeof buf, NUM_W, a->utf8 ? "Prec@\u03c4" : "P@tau");
    add_right(buf, sizeof buf, NUM_W, a->utf8 ? "Rec@\u03c4" : "R@tau");
    add_right(buf, sizeof buf, 6, a->utf8 ? "\u03c4" : "tau");
    draw_put(a, g, 0, COL_NAME, C_TITLE, buf);
    draw_put(a, g, 0, 0, C_TITLE, a->utf8 ? "  \u2713" : " [x]");
}

/* The role of a figure resting on n images: dim when they are few. */
static int fig_role(int base, long n) { return n >= 0 && n < UI_FEW_IMAGES ? R_DIM : base; }

static void table_row(app_t *a, ui_grid_t *g, int y, int c)
{
    const wb_snap_t *s = &a->v.snap;
    int sel = c == a->sel, on = a->trainable[c];
    int base = sel ? R_SELECTED : C_NORMAL;
    if (sel)
        for (int x = 0; x < g->w; x++)
            ui_grid_at(g, y, x)->role = R_SELECTED;
    draw_put(a, g, y, 0, base, sel ? ">" : " ");
    if (a->utf8)
        draw_put(a, g, y, 2, sel ? base : on ? R_ON : R_OFF, on ? "\u2713" : "\u2717");
    else
        draw_put(a, g, y, 1, sel ? base : on ? R_ON : R_OFF, on ? "[x]" : "[ ]");
    const cat_stats_t *last = s->nhistory ? &s->last.cat[c] : NULL;
    const cat_stats_t *live = s->epoch_open && s->live.cat[c].judge_n > 0 ? &s->live.cat[c] : last;
    double nan = NAN;
    long n_true = a->have_cache ? a->n_true[c] : -1;
    char f[6][16], name[NAME_W + 1], n[24];
    draw_pct(f[0], 16, NUM_W, last ? last->s1_val_acc : nan);
    draw_num(f[1], 16, NUM_W, live ? live->judge_loss : nan);
    draw_pct(f[2], 16, NUM_W, live ? live->judge_acc : nan);
    draw_pct(f[3], 16, NUM_W, last ? last->val_judge_acc : nan);
    draw_pct(f[4], 16, NUM_W, a->have_cache ? a->prec[c] : nan);
    draw_pct(f[5], 16, NUM_W, a->have_cache ? a->rec[c] : nan);
    /* what each figure rests on: validation images of c, pool images
     * predicted c, validation images predicted c, outputs c at tau */
    long on_n[6] = {n_true, live ? live->judge_n : -1, live ? live->judge_n : -1,
                    last ? last->val_n : -1, a->have_cache ? a->n_out[c] : -1, n_true};
    snprintf(name, sizeof name, "%s", s->class_names[c]);
    if (n_true >= 0)
        snprintf(n, sizeof n, "%*ld", N_W, n_true);
    else
        snprintf(n, sizeof n, "%*s", N_W, "--");
    int x = COL_NAME;
    x += draw_printf(a, g, y, x, base, "%-*s", NAME_W, name);
    x += draw_put(a, g, y, x, sel ? base : fig_role(base, n_true), n);
    for (int i = 0; i < 6; i++)
        x += draw_put(a, g, y, x, sel ? base : fig_role(base, on_n[i]), f[i]);
    draw_printf(a, g, y, x, base, "%6.2f", a->tau[c]);
}

static void draw_table(app_t *a, WINDOW *w, ui_rect_t r)
{
    ui_grid_t g = draw_grid(a, r.h, r.w);
    table_titles(a, &g);
    int rows = a->lay.table_rows;
    a->table_first = ui_scroll_first(a->table_first, a->sel, rows, a->k);
    for (int i = 0; i < rows && a->table_first + i < a->k; i++)
        table_row(a, &g, 1 + i, a->table_first + i);
    draw_blit(a, w, &g);
}

/* ---- threshold bar ---------------------------------------------------------------------- */

static void draw_thresh(app_t *a, WINDOW *w, ui_rect_t r)
{
    ui_grid_t g = draw_grid(a, r.h, r.w);
    int uniform = draw_tau_uniform(a);
    double mean = 0;
    for (int c = 0; c < a->k; c++)
        mean += a->tau[c] / a->k;
    const char *label = uniform ? (a->utf8 ? "\u03c4" : "tau") : (a->utf8 ? "mean \u03c4" : "mean tau");
    ui_gauge(g.cells, g.w, uniform ? a->tau[0] : mean, label,
             a->utf8 ? UI_GLYPH_UTF8 : UI_GLYPH_ASCII);
    char line[3][256], cov[16], sel[16], acc[16], s1[16], oth[16];
    if (!a->have_cache) {
        draw_put(a, &g, 1, 0, C_LABEL,
                 "validation: coverage and accuracy at \u03c4 come after the first epoch");
    } else {
        const score_eval_t *e = &a->ev;
        double s1acc = a->cache.n ? (double)a->cache.n_correct / a->cache.n : NAN;
        draw_pct(cov, sizeof cov, 1, e->coverage);
        draw_pct(sel, sizeof sel, 1, e->none_accepted ? 0.0 : e->sel_acc);
        draw_pct(acc, sizeof acc, 1, e->acc11);
        draw_pct(s1, sizeof s1, 1, s1acc);
        draw_pct(oth, sizeof oth, 1, 1 - s1acc);
        snprintf(line[0], sizeof line[0],
                 "val n=%d: coverage %s  selective acc %s  11-way acc %s  (always-OTHER %s, "
                 "never-OTHER %s)", a->cache.n, cov, sel, acc, oth, s1);
        snprintf(line[1], sizeof line[1],
                 "coverage %s  selective acc %s  11-way acc %s  (always-OTHER %s)", cov, sel,
                 acc, oth);
        snprintf(line[2], sizeof line[2], "cov %s  sel %s  11-way %s", cov, sel, acc);
        int i = 0;
        while (i < 2 && ui_text_cells(line[i]) > r.w)
            i++;
        draw_put(a, &g, 1, 0, C_LABEL, line[i]);
    }
    draw_blit(a, w, &g);
}

/* ---- curves -------------------------------------------------------------------------------- */

/* Stage 1's training curve: the per-epoch points before the oldest step
 * point held, the step points, then the per-epoch points after them. */
static const ui_ring_t *with_steps(app_t *a, const ui_ring_t *epochs, const ui_ring_t *steps)
{
    int n = ui_ring_len(steps);
    double first, last, x, y;
    if (n == 0)
        return epochs;
    ui_ring_get(steps, 0, &first, NULL);
    ui_ring_get(steps, n - 1, &last, NULL);
    ui_ring_init(&a->merged);
    for (int i = 0; ui_ring_get(epochs, i, &x, &y) == 0; i++)
        if (x < first)
            ui_ring_push(&a->merged, x, y);
    for (int i = 0; ui_ring_get(steps, i, &x, &y) == 0; i++)
        ui_ring_push(&a->merged, x, y);
    for (int i = 0; ui_ring_get(epochs, i, &x, &y) == 0; i++)
        if (x > last)
            ui_ring_push(&a->merged, x, y);
    return &a->merged;
}

/* Without colour the series differ by glyph (help's "Figures" says which). */
static const char *const series_glyph[4] = {"*", "o", "+", "x"};

static void draw_chart(app_t *a, WINDOW *w, ui_rect_t r, int acc)
{
    ui_grid_t g = draw_grid(a, r.h, r.w);
    int base = acc ? WB_S1_ACC : WB_S1_LOSS;
    ui_series_t ser[4];
    static const char *const names[4] = {"S1", "S1 val", "J", "J val"};
    static const int roles[2][4] = {{C_LOSS_TRAIN, C_LOSS_VAL, C_JUDGE_TRAIN, C_JUDGE_VAL},
                                    {C_ACC_TRAIN, C_ACC_VAL, C_JUDGE_TRAIN, C_JUDGE_VAL}};
    for (int i = 0; i < 4; i++)
        ser[i] = (ui_series_t){&a->v.curves.r[base + i], roles[acc][i], names[i],
                               a->color ? NULL : series_glyph[i]};
    ser[0].data = with_steps(a, ser[0].data, &a->v.curves.step[acc ? WB_STEP_ACC : WB_STEP_LOSS]);
    ui_chart_t c = {acc ? "Accuracy" : "Loss", ser, 4, a->utf8 ? UI_GLYPH_UTF8 : UI_GLYPH_ASCII,
                    acc, 0.0, 1.0};
    ui_chart_draw(&g, &c, NULL);
    draw_blit(a, w, &g);
}

/* Stage 1's learning rate, per step while it trains (the schedule). */
static void draw_lr(app_t *a, WINDOW *w, ui_rect_t r)
{
    ui_grid_t g = draw_grid(a, r.h, r.w);
    ui_series_t ser = {with_steps(a, &a->v.curves.r[WB_LR], &a->v.curves.step[WB_STEP_LR]),
                       C_LOSS_TRAIN, "S1 lr", a->color ? NULL : series_glyph[0]};
    ui_chart_t c = {"Learning rate", &ser, 1, a->utf8 ? UI_GLYPH_UTF8 : UI_GLYPH_ASCII, 0, 0, 0};
    ui_chart_draw(&g, &c, NULL);
    draw_blit(a, w, &g);
}

/* ---- frame --------------------------------------------------------------------------------- */

static void draw_too_small(app_t *a, WINDOW *w, ui_rect_t r)
{
    ui_grid_t g = draw_grid(a, r.h, r.w);
    char msg[128];
    ui_layout_too_small_msg(msg, sizeof msg, a->rows, a->cols);
    int x = (r.w - (int)strlen(msg)) / 2;
    draw_put(a, &g, r.h / 2, x > 0 ? x : 0, C_NORMAL, msg);
    draw_blit(a, w, &g);
}

void draw_relayout(app_t *a)
{
    draw_end(a);
    getmaxyx(stdscr, a->rows, a->cols);
    ui_layout_in_t in = {a->rows, a->cols, a->view, a->k,
                         (int)(a->v.log.total - wb_log_first(&a->v.log)), ui_keys_help_count()};
    ui_layout(&in, &a->lay);
    werase(stdscr); /* resizeterm() left it touched: blank it under the panes */
    wnoutrefresh(stdscr);
    for (int p = 0; p < UI_PANE_COUNT; p++) {
        ui_rect_t r = a->lay.pane[p];
        if (ui_rect_shown(r))
            a->win[p] = newwin(r.h, r.w, r.y, r.x);
    }
    clearok(curscr, TRUE); /* repaint everything: no leftovers of the old size */
    a->dirty = DIRTY_ALL;
}

void draw_frame(app_t *a)
{
    if (a->confirming == UI_ACT_NONE && a->dialog) { /* the prompt is gone: repaint under it */
        delwin(a->dialog);
        a->dialog = NULL;
        a->dirty = DIRTY_ALL;
    }
    if (!a->dirty)
        return;
    for (int p = 0; p < UI_PANE_COUNT; p++) {
        WINDOW *w = a->win[p];
        ui_rect_t r = a->lay.pane[p];
        if (!w || !(a->dirty & DIRTY_PANE(p)))
            continue;
        switch ((ui_pane_t)p) {
        case UI_PANE_HEADER: draw_header(a, w, r); break;
        case UI_PANE_STATUS: draw_status(a, w, r); break;
        case UI_PANE_TABLE: draw_table(a, w, r); break;
        case UI_PANE_THRESH: draw_thresh(a, w, r); break;
        case UI_PANE_LOSS: draw_chart(a, w, r, 0); break;
        case UI_PANE_ACC: draw_chart(a, w, r, 1); break;
        case UI_PANE_MATRIX:
            draw_confusion(a, w, a->win[UI_PANE_LEGEND]);
            if (a->win[UI_PANE_LEGEND])
                wnoutrefresh(a->win[UI_PANE_LEGEND]);
            break;
        case UI_PANE_LEGEND: continue; /* drawn with the matrix */
        case UI_PANE_LR: draw_lr(a, w, r); break;
        case UI_PANE_DMATRIX: draw_dash_matrix(a, w); break;
        case UI_PANE_LOG: draw_log(a, w); break;
        case UI_PANE_HELP: draw_help(a, w); break;
        case UI_PANE_TOO_SMALL: draw_too_small(a, w, r); break;
        case UI_PANE_COUNT: break;
        }
        wnoutrefresh(w);
    }
    draw_dialog(a);
    doupdate();
    a->dirty = 0;
}

void draw_end(app_t *a)
{
    for (int p = 0; p < UI_PANE_COUNT; p++)
        if (a->win[p]) {
            delwin(a->win[p]);
            a->win[p] = NULL;
        }
    if (a->dialog) {
        delwin(a->dialog);
        a->dialog = NULL;
    }
}

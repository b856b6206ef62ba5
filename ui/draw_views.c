/* draw_views.c - the confusion matrix, log and help views, and the y/n
 * prompt drawn over them. */
#include "ui/app_priv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- confusion matrix ------------------------------------------------------ */

/* Column titles: the names cut to the cell, or the indices when two cut
 * names would look the same (the row labels then start with the index). */
static int names_collide(const app_t *a, int w)
{
    for (int i = 0; i < a->k; i++)
        for (int j = i + 1; j < a->k; j++)
            if (!strncmp(a->v.snap.class_names[i], a->v.snap.class_names[j], (size_t)w))
                return 1;
    return 0;
}

/* Where a matrix goes in its grid: from y0 (the column titles), cell_w per
 * column, rows x cols cells visible from (row0, col0). */
typedef struct {
    int y0, label_w, cell_w, rows, cols, row0, col0;
} cm_geom_t;

static void matrix_titles(app_t *a, ui_grid_t *g, const cm_geom_t *m, int by_index)
{
    int n = a->k + 1, cw = m->cell_w;
    draw_put(a, g, m->y0, 0, C_TITLE, "target\\out");
    for (int j = 0; j < m->cols && m->col0 + j < n; j++) {
        int c = m->col0 + j;
        char t[32];
        if (c == a->k)
            snprintf(t, sizeof t, "%.*s", cw - 1, "OTHER");
        else if (by_index)
            snprintf(t, sizeof t, "%d", c);
        else
            snprintf(t, sizeof t, "%.*s", cw - 1, a->v.snap.class_names[c]);
        int x = m->label_w + j * cw + cw - (int)strlen(t);
        draw_put(a, g, m->y0, x, c == a->k ? R_WARN : C_TITLE, t);
    }
}

static void matrix_row(app_t *a, ui_grid_t *g, const cm_geom_t *m, int y, int t, int by_index)
{
    int n = a->k + 1, cw = m->cell_w;
    char label[64];
    if (t == a->k)
        snprintf(label, sizeof label, "OTHER");
    else if (by_index)
        snprintf(label, sizeof label, "%d %s", t, a->v.snap.class_names[t]);
    else
        snprintf(label, sizeof label, "%s", a->v.snap.class_names[t]);
    label[m->label_w - 1] = '\0';
    draw_put(a, g, y, 0, t == a->sel ? R_SELECTED : t == a->k ? R_WARN : C_LABEL, label);
    for (int j = 0; j < m->cols && m->col0 + j < n; j++) {
        int o = m->col0 + j;
        long v = a->cm[(size_t)t * n + o];
        int role = v == 0 ? R_DIM : o == t ? R_DIAG : o == a->k ? R_WARN : R_OFFDIAG;
        char cell[32];
        snprintf(cell, sizeof cell, "%*ld", cw, v);
        if ((int)strlen(cell) > cw)
            snprintf(cell, sizeof cell, "%*s", cw, "+++");
        draw_put(a, g, y, m->label_w + j * cw, role, cell);
    }
}

static void matrix_draw(app_t *a, ui_grid_t *g, const cm_geom_t *m)
{
    int by_index = names_collide(a, m->cell_w - 1);
    matrix_titles(a, g, m, by_index);
    for (int i = 0; i < m->rows && m->row0 + i < a->k + 1; i++)
        matrix_row(a, g, m, m->y0 + 1 + i, m->row0 + i, by_index);
}

static void legend_lines(app_t *a, char lines[][128], int *count)
{
    char tau[32], acc[16], cov[16], sel[16];
    int uniform = draw_tau_uniform(a);
    snprintf(tau, sizeof tau, uniform ? "\u03c4 %.2f" : "per-category \u03c4", a->tau[0]);
    draw_pct(acc, sizeof acc, 1, a->ev.acc11);
    draw_pct(cov, sizeof cov, 1, a->ev.coverage);
    draw_pct(sel, sizeof sel, 1, a->ev.none_accepted ? 0.0 : a->ev.sel_acc);
    int n = 0;
    snprintf(lines[n++], 128, "Validation (n=%d) at %s", a->cache.n, tau);
    snprintf(lines[n++], 128, "rows: 11-way target, columns: final output");
    snprintf(lines[n++], 128, "OTHER column: the judge rejected");
    snprintf(lines[n++], 128, "OTHER row: Stage 1 was wrong");
    snprintf(lines[n++], 128, "11-way acc %s  coverage %s  selective acc %s", acc, cov, sel);
    *count = n;
}

static void draw_legend(app_t *a, WINDOW *w)
{
    int h, wd;
    getmaxyx(w, h, wd);
    ui_grid_t g = draw_grid(a, h, wd);
    char lines[8][128];
    int n;
    legend_lines(a, lines, &n);
    if (wd >= 70 && h < n) { /* under the matrix: pack into the rows there are */
        char packed[3][400];
        snprintf(packed[0], 400, "%s: %s", lines[0], lines[1]);
        snprintf(packed[1], 400, "%s; %s", lines[2], lines[3]);
        snprintf(packed[2], 400, "%s", lines[4]);
        for (int i = 0; i < 3 && i < h; i++)
            draw_put(a, &g, i, 0, i == 0 ? C_TITLE : C_LABEL, packed[i]);
    } else { /* beside it: one fact per line, wrapped at the pane width */
        int y = 0;
        for (int i = 0; i < n && y < h; i++) {
            const char *s = lines[i];
            while (*s && y < h) {
                int len = (int)strlen(s), cut = len < wd ? len : wd;
                while (cut < len && cut > 0 && s[cut] != ' ')
                    cut--;
                if (cut == 0)
                    cut = len < wd ? len : wd;
                char part[256];
                snprintf(part, sizeof part, "%.*s", cut, s);
                draw_put(a, &g, y++, 0, i == 0 ? C_TITLE : C_LABEL, part);
                s += cut;
                while (*s == ' ')
                    s++;
            }
        }
    }
    draw_blit(a, w, &g);
}

void draw_confusion(app_t *a, WINDOW *matrix, WINDOW *legend)
{
    int h, w;
    getmaxyx(matrix, h, w);
    ui_grid_t g = draw_grid(a, h, w);
    if (!a->have_cache || !a->cm) {
        draw_put(a, &g, 0, 0, C_LABEL,
                 "The confusion matrix on the validation split appears after the first epoch.");
        draw_blit(a, matrix, &g);
        if (legend)
            werase(legend);
        return;
    }
    const ui_layout_t *L = &a->lay;
    int n = a->k + 1;
    a->cm_row0 = ui_scroll_first(a->cm_row0, a->sel, L->cm_rows, n);
    a->cm_col0 = ui_scroll_first(a->cm_col0, a->sel, L->cm_cols, n);
    cm_geom_t m = {0, L->cm_label_w, L->cm_cell_w, L->cm_rows, L->cm_cols, a->cm_row0,
                   a->cm_col0};
    matrix_draw(a, &g, &m);
    draw_blit(a, matrix, &g);
    if (legend)
        draw_legend(a, legend);
}

/* The dashboard's matrix (layout R4b): the whole of it, under a title. */
void draw_dash_matrix(app_t *a, WINDOW *w)
{
    int h, wd;
    getmaxyx(w, h, wd);
    ui_grid_t g = draw_grid(a, h, wd);
    if (!a->have_cache || !a->cm) {
        draw_put(a, &g, 0, 0, C_LABEL, "Confusion matrix (validation): after the first epoch");
    } else {
        char tau[32];
        if (draw_tau_uniform(a))
            snprintf(tau, sizeof tau, "\u03c4 %.2f", a->tau[0]);
        else
            snprintf(tau, sizeof tau, "per-category \u03c4");
        draw_printf(a, &g, 0, 0, C_TITLE, "Confusion, val n=%d at %s (c: full view)", a->cache.n,
                    tau);
        cm_geom_t m = {1, UI_CM_LABEL_W, a->lay.dm_cell_w, a->k + 1, a->k + 1, 0, 0};
        matrix_draw(a, &g, &m);
    }
    draw_blit(a, w, &g);
}

/* ---- log ----------------------------------------------------------------------- */

void draw_log(app_t *a, WINDOW *w)
{
    int h, wd;
    getmaxyx(w, h, wd);
    ui_grid_t g = draw_grid(a, h, wd);
    const wb_log_t *l = &a->v.log;
    long first = wb_log_first(l), total = l->total, avail = total - first;
    long max_back = avail > h ? avail - h : 0;
    if (a->log_back > max_back)
        a->log_back = max_back;
    long start = total - a->log_back - h;
    if (start < first)
        start = first;
    for (int y = 0; y < h && start + y < total - a->log_back; y++) {
        const char *line = wb_log_get(l, start + y);
        int role = !strncmp(line, "error", 5) ? R_OFFDIAG
                 : !strncmp(line, "warning", 7) ? R_WARN
                 : !strncmp(line, "Epoch ", 6) ? C_TITLE : C_NORMAL;
        draw_put(a, &g, y, 0, role, line);
    }
    if (a->log_back > 0) {
        char more[64];
        snprintf(more, sizeof more, " %ld newer lines below (PgDn) ", a->log_back);
        draw_put(a, &g, h - 1, wd - (int)strlen(more), R_STATUS, more);
    }
    draw_blit(a, w, &g);
}

/* ---- help ----------------------------------------------------------------------- */

void draw_help(app_t *a, WINDOW *w)
{
    int h, wd;
    getmaxyx(w, h, wd);
    ui_grid_t g = draw_grid(a, h, wd);
    const ui_layout_t *L = &a->lay;
    int count = ui_keys_help_count();
    if (a->help_first > L->help_scroll_max)
        a->help_first = L->help_scroll_max;
    for (int col = 0; col < L->help_cols; col++)
        for (int y = 0; y < L->help_rows; y++) {
            int i = a->help_first + col * L->help_rows + y;
            if (i >= count)
                break;
            char line[256];
            ui_keys_help_line(i, !a->utf8, line, sizeof line);
            int title = line[0] && line[0] != ' ';
            draw_put(a, &g, y, col * L->help_col_w + 1, title ? C_TITLE : C_NORMAL, line);
        }
    draw_blit(a, w, &g);
}

/* ---- the y/n prompt ---------------------------------------------------------------- */

void draw_dialog(app_t *a)
{
    if (a->confirming == UI_ACT_NONE)
        return;
    char l1[160], l2[64] = "y = yes, any other key = no";
    if (a->confirming == UI_ACT_QUIT) {
        snprintf(l1, sizeof l1, "Save the model to %.60s and quit?", a->v.snap.save_dir);
    } else if (a->confirming == UI_ACT_AUTO_TUNE) {
        snprintf(l1, sizeof l1, "Auto-tune: validation coverage %.1f%%. Apply it?",
                 100 * a->tune_cov);
        snprintf(l2, sizeof l2, "y = apply it, Esc or any other key = keep tau as it is");
    } else {
        int n = 0;
        for (int c = 0; c < a->k; c++)
            n += a->trainable[c];
        snprintf(l1, sizeof l1, "Retrain the %d checked judge%s (Stage 1 frozen)?", n,
                 n == 1 ? "" : "s");
    }
    int tw = (int)(strlen(l1) > strlen(l2) ? strlen(l1) : strlen(l2)) + 2;
    ui_rect_t r = ui_layout_dialog(a->rows, a->cols, 3, tw);
    if (!ui_rect_shown(r))
        return;
    if (!a->dialog)
        a->dialog = newwin(r.h, r.w, r.y, r.x);
    if (!a->dialog)
        return;
    ui_grid_t g = draw_grid(a, r.h, r.w);
    const char *hz = a->utf8 ? "\u2500" : "-", *vt = a->utf8 ? "\u2502" : "|";
    for (int x = 1; x < r.w - 1; x++) {
        ui_grid_put(&g, 0, x, hz, R_WARN);
        ui_grid_put(&g, r.h - 1, x, hz, R_WARN);
    }
    for (int y = 0; y < r.h; y++) {
        ui_grid_put(&g, y, 0, y == 0 || y == r.h - 1 ? (a->utf8 ? "\u253c" : "+") : vt, R_WARN);
        ui_grid_put(&g, y, r.w - 1, y == 0 || y == r.h - 1 ? (a->utf8 ? "\u253c" : "+") : vt,
                    R_WARN);
    }
    if (a->utf8) {
        ui_grid_put(&g, 0, 0, "\u250c", R_WARN);
        ui_grid_put(&g, 0, r.w - 1, "\u2510", R_WARN);
        ui_grid_put(&g, r.h - 1, 0, "\u2514", R_WARN);
        ui_grid_put(&g, r.h - 1, r.w - 1, "\u2518", R_WARN);
    }
    draw_put(a, &g, 1, 2, C_TITLE, l1);
    draw_put(a, &g, 3, 2, C_LABEL, l2);
    draw_blit(a, a->dialog, &g);
    touchwin(a->dialog);
    wnoutrefresh(a->dialog);
}

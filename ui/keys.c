/* keys.c - the key table and everything read from it (see keys.h). */
#include "ui/keys.h"

#include <curses.h> /* KEY_* constants only: no curses call in this file */
#include <stdio.h>
#include <string.h>

#define G(x) UI_KEYS_##x
#define A(x) UI_ACT_##x

/* codes, label, ASCII label, help, hint word, hint rank, action, group, confirm */
static const ui_key_t key_table[] = {
    {{KEY_UP, 'k'}, "↑/k", "Up/k", "select previous category", NULL, 0,
     A(SELECT_UP), G(MOVE), 0},
    {{KEY_DOWN, 'j'}, "↓/j", "Down/j", "select next category", NULL, 0,
     A(SELECT_DOWN), G(MOVE), 0},
    {{KEY_PPAGE}, "PgUp", "PgUp", "scroll a page up", NULL, 0, A(PAGE_UP), G(MOVE), 0},
    {{KEY_NPAGE}, "PgDn", "PgDn", "scroll a page down", NULL, 0, A(PAGE_DOWN), G(MOVE), 0},
    {{' '}, "Space", "Space", "toggle selected trainable", "toggle", 3,
     A(TOGGLE_SELECTED), G(CATEGORIES), 0},
    {{'a'}, "a", "a", "all categories trainable", NULL, 0, A(TOGGLE_ALL), G(CATEGORIES), 0},
    {{'n'}, "n", "n", "no category trainable", NULL, 0, A(TOGGLE_NONE), G(CATEGORIES), 0},
    {{'+', '='}, "+/=", "+/=", "raise tau by 0.01", NULL, 0,
     A(TAU_UP_SMALL), G(THRESHOLD), 0},
    {{'-'}, "-", "-", "lower tau by 0.01", NULL, 0, A(TAU_DOWN_SMALL), G(THRESHOLD), 0},
    {{']'}, "]", "]", "raise tau by 0.05", NULL, 0, A(TAU_UP_LARGE), G(THRESHOLD), 0},
    {{'['}, "[", "[", "lower tau by 0.05", NULL, 0, A(TAU_DOWN_LARGE), G(THRESHOLD), 0},
    {{'t'}, "t", "t", "auto-tune tau; asks if cov<5%", "tune", 4, A(AUTO_TUNE), G(THRESHOLD), 0},
    {{'d', 27}, "d/Esc", "d/Esc", "dashboard (Esc: back)", "dash", 7, A(VIEW_DASHBOARD), G(VIEWS), 0},
    {{'c'}, "c", "c", "confusion matrix", "matrix", 8, A(VIEW_CONFUSION), G(VIEWS), 0},
    {{'l'}, "l", "l", "log", "log", 9, A(VIEW_LOG), G(VIEWS), 0},
    {{'?', KEY_F(1)}, "?/F1", "?/F1", "this help", "help", 1, A(VIEW_HELP), G(VIEWS), 0},
    {{'p'}, "p", "p", "pause / resume training", "pause", 5, A(PAUSE), G(TRAINING), 0},
    {{'r'}, "r", "r", "retrain selection (asks y/n)", NULL, 0, A(RETRAIN), G(TRAINING), 1},
    {{'s'}, "s", "s", "save the model now", "save", 6, A(SAVE), G(TRAINING), 0},
    {{'q'}, "q", "q", "quit (asks y/n)", "quit", 2, A(QUIT), G(TRAINING), 1},
};

/* The confirming mode (keys.h): only its 'y' codes are looked up; the
 * "other" entry is there for the help screen. */
static const ui_key_t confirm_table[] = {
    {{'y', 'Y'}, "y", "y", "confirm", NULL, 0, A(CONFIRM_YES), G(CONFIRM), 0},
    {{27}, "Esc", "Esc", "cancels, as does any but y", NULL, 0, A(CANCEL), G(CONFIRM), 0},
};

#define NKEYS ((int)(sizeof key_table / sizeof key_table[0]))
#define NCONFIRM ((int)(sizeof confirm_table / sizeof confirm_table[0]))

static const char *const group_title[UI_KEYS_GROUP_COUNT] = {
    "Move", "Categories", "Threshold tau", "Views", "Training", "When asked y/n"};

static const char *const action_name[UI_ACT_COUNT] = {
    "none",         "select-up",      "select-down",   "page-up",       "page-down",
    "toggle",       "toggle-all",     "toggle-none",   "tau-up",        "tau-down",
    "tau-up-large", "tau-down-large", "auto-tune",     "view-dashboard", "view-confusion",
    "view-log",     "view-help",      "pause",         "retrain",       "save",
    "quit",         "confirm-yes",    "cancel"};

const ui_key_t *ui_keys(int *n)
{
    *n = NKEYS;
    return key_table;
}

const ui_key_t *ui_keys_confirm(int *n)
{
    *n = NCONFIRM;
    return confirm_table;
}

static int has_code(const ui_key_t *k, int key)
{
    for (int j = 0; j < UI_KEY_CODES; j++)
        if (k->codes[j] != 0 && k->codes[j] == key)
            return 1;
    return 0;
}

ui_action_t ui_key_action(int key)
{
    for (int i = 0; i < NKEYS; i++)
        if (has_code(&key_table[i], key))
            return key_table[i].action;
    return UI_ACT_NONE;
}

ui_action_t ui_key_confirm_action(int key)
{
    if (key == KEY_RESIZE || key == ERR)
        return UI_ACT_NONE;
    for (int i = 0; i < NCONFIRM; i++)
        if (has_code(&confirm_table[i], key))
            return confirm_table[i].action;
    return UI_ACT_CANCEL;
}

const ui_key_t *ui_key_find(ui_action_t a)
{
    for (int i = 0; i < NKEYS; i++)
        if (key_table[i].action == a)
            return &key_table[i];
    return NULL;
}

double ui_action_tau_delta(ui_action_t a)
{
    switch (a) {
    case UI_ACT_TAU_UP_SMALL: return UI_TAU_STEP_SMALL;
    case UI_ACT_TAU_DOWN_SMALL: return -UI_TAU_STEP_SMALL;
    case UI_ACT_TAU_UP_LARGE: return UI_TAU_STEP_LARGE;
    case UI_ACT_TAU_DOWN_LARGE: return -UI_TAU_STEP_LARGE;
    default: return 0.0;
    }
}

const char *ui_action_name(ui_action_t a)
{
    return (unsigned)a < UI_ACT_COUNT ? action_name[a] : "?";
}

int ui_text_cells(const char *s)
{
    int n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) /* not a continuation byte */
            n++;
    return n;
}

/* ---- help screen ------------------------------------------------------ */

static void entry_line(const ui_key_t *k, int ascii, char *buf, size_t n)
{
    const char *label = ascii ? k->label_ascii : k->label;
    int pad = UI_KEY_LABEL_MAX - ui_text_cells(label);
    snprintf(buf, n, "  %s%*s %s", label, pad > 0 ? pad : 0, "", k->help);
}

/* Lines of group g in table t: title, entries, and a blank line unless it
 * is the last group. Writes line i of the group when 0 <= i < count. */
static int group_lines(const ui_key_t *t, int nt, int g, int i, int ascii, char *buf, size_t n)
{
    int count = 1;
    if (i == 0)
        snprintf(buf, n, "%s", group_title[g]);
    for (int j = 0; j < nt; j++) {
        if ((int)t[j].group != g)
            continue;
        if (i == count)
            entry_line(&t[j], ascii, buf, n);
        count++;
    }
    if (g != UI_KEYS_CONFIRM) {
        if (i == count)
            snprintf(buf, n, "%s", "");
        count++;
    }
    return count;
}

/* After the keys: how to read the figures (UI_KEYS_NOTES_MIN in keys.h). */
static const char *const notes[] = {
    "",
    "Figures",
    "  dim: on fewer than 20 val images",
    "  n: validation images of the category",
    "  curves without colour: * o + x mark",
    "  S1, S1 val, J, J val in that order",
};
#define NNOTES ((int)(sizeof notes / sizeof notes[0]))

/* Walks every group, then the notes; returns the total line count. */
static int help_walk(int i, int ascii, char *buf, size_t n)
{
    int total = 0;
    for (int g = 0; g < UI_KEYS_GROUP_COUNT; g++) {
        const ui_key_t *t = g == UI_KEYS_CONFIRM ? confirm_table : key_table;
        int nt = g == UI_KEYS_CONFIRM ? NCONFIRM : NKEYS;
        total += group_lines(t, nt, g, i - total, ascii, buf, n);
    }
    if (i >= total && i < total + NNOTES)
        snprintf(buf, n, "%s", notes[i - total]);
    return total + NNOTES;
}

int ui_keys_help_count(void)
{
    char buf[8];
    return help_walk(-1, 1, buf, sizeof buf);
}

const char *ui_keys_help_line(int i, int ascii, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    buf[0] = '\0';
    help_walk(i, ascii, buf, n);
    return buf;
}

/* ---- hint line -------------------------------------------------------- */

/* The entry of hint rank r, NULL when none has it. */
static const ui_key_t *hint_entry(int r)
{
    for (int i = 0; i < NKEYS; i++)
        if (key_table[i].hint && key_table[i].hint_rank == r)
            return &key_table[i];
    return NULL;
}

const char *ui_keys_hint(char *buf, size_t n, int width, int ascii)
{
    size_t len = 0;
    int cells = 0;
    if (n == 0)
        return buf;
    buf[0] = '\0';
    for (int r = 1; r <= NKEYS; r++) {
        const ui_key_t *k = hint_entry(r);
        char item[64];
        int c;
        if (!k)
            continue;
        snprintf(item, sizeof item, "%s%s:%s", cells ? "  " : "",
                 ascii ? k->label_ascii : k->label, k->hint);
        c = ui_text_cells(item);
        if (cells + c > width || len + strlen(item) + 1 > n)
            break;
        memcpy(buf + len, item, strlen(item) + 1);
        len += strlen(item);
        cells += c;
    }
    return buf;
}

/* keys.h - the one key table: dispatch, the help screen and the key-hint
 * line are all read from it, so help can never drift from what the keys do.
 * Pure: key codes are ints (ncurses KEY_* values, taken from <curses.h> in
 * keys.c for the constants only).
 *
 * Two modes:
 *  - normal: ui_key_action() looks the key up in the table; unknown keys
 *    (and KEY_RESIZE, ERR) are UI_ACT_NONE.
 *  - confirming: after an entry with `confirm` set (retrain, quit) the UI
 *    shows a y/n prompt and passes the next key to ui_key_confirm_action()
 *    instead: 'y' or 'Y' is UI_ACT_CONFIRM_YES, KEY_RESIZE and ERR (the
 *    getch timeout) are UI_ACT_NONE (the prompt stays), every other key,
 *    'n' and Esc included, is UI_ACT_CANCEL. In normal mode Esc (27) is
 *    UI_ACT_VIEW_DASHBOARD: it leaves the help, log and matrix views. So 'n' cancels a prompt although it
 *    means "no category trainable" outside one.
 */
#ifndef MSCNN_UI_KEYS_H
#define MSCNN_UI_KEYS_H

#include <stddef.h>

typedef enum {
    UI_ACT_NONE = 0,
    UI_ACT_SELECT_UP,
    UI_ACT_SELECT_DOWN,
    UI_ACT_PAGE_UP,
    UI_ACT_PAGE_DOWN,
    UI_ACT_TOGGLE_SELECTED,
    UI_ACT_TOGGLE_ALL,
    UI_ACT_TOGGLE_NONE,
    UI_ACT_TAU_UP_SMALL,
    UI_ACT_TAU_DOWN_SMALL,
    UI_ACT_TAU_UP_LARGE,
    UI_ACT_TAU_DOWN_LARGE,
    UI_ACT_AUTO_TUNE,
    UI_ACT_VIEW_DASHBOARD,
    UI_ACT_VIEW_CONFUSION,
    UI_ACT_VIEW_LOG,
    UI_ACT_VIEW_HELP,
    UI_ACT_PAUSE,
    UI_ACT_RETRAIN,
    UI_ACT_SAVE,
    UI_ACT_QUIT,
    UI_ACT_CONFIRM_YES, /* confirming mode only */
    UI_ACT_CANCEL,      /* confirming mode only */
    UI_ACT_COUNT
} ui_action_t;

typedef enum {
    UI_KEYS_MOVE,
    UI_KEYS_CATEGORIES,
    UI_KEYS_THRESHOLD,
    UI_KEYS_VIEWS,
    UI_KEYS_TRAINING,
    UI_KEYS_CONFIRM, /* the confirming-mode table */
    UI_KEYS_GROUP_COUNT
} ui_key_group_t;

#define UI_TAU_STEP_SMALL 0.01
/* An auto-tune (t) below this validation coverage asks y/n before it
 * replaces tau. */
#define UI_TUNE_MIN_COVERAGE 0.05
#define UI_TAU_STEP_LARGE 0.05

#define UI_KEY_CODES 3
typedef struct {
    int codes[UI_KEY_CODES]; /* the keys, unused slots 0 (0 is never a key) */
    const char *label;       /* shown in help, UTF-8 ("↑/k") */
    const char *label_ascii; /* the same for a non-UTF-8 terminal ("Up/k") */
    const char *help;        /* what it does, at most UI_KEY_HELP_MAX cells */
    const char *hint;        /* word for the status line, NULL: not there */
    int hint_rank;           /* 1 = shown first in the hint line, 0 = not */
    ui_action_t action;
    ui_key_group_t group;
    int confirm;             /* 1: ask y/n before doing it */
} ui_key_t;

#define UI_KEY_HELP_MAX 29
#define UI_KEY_LABEL_MAX 7

/* The normal-mode table (n entries into *n) and the confirming-mode one.
 * Static, never freed. */
const ui_key_t *ui_keys(int *n);
const ui_key_t *ui_keys_confirm(int *n);

ui_action_t ui_key_action(int key);         /* normal mode */
ui_action_t ui_key_confirm_action(int key); /* confirming mode */
/* The normal-mode entry of an action, NULL for none (e.g. UI_ACT_NONE). */
const ui_key_t *ui_key_find(ui_action_t a);
/* tau change of a TAU_* action (+-UI_TAU_STEP_*), 0 for any other. */
double ui_action_tau_delta(ui_action_t a);
/* "select-up", "quit"...: for the log. */
const char *ui_action_name(ui_action_t a);

/* The help screen: ui_keys_help_count() lines; line i goes into buf (n
 * bytes) and is returned. Per group a title line, then one line per entry
 * ("  " + label padded to UI_KEY_LABEL_MAX cells + " " + help), a blank
 * line between groups; the confirming-mode table comes last. Every line
 * fits UI_HELP_LINE_COLS cells. ascii picks label_ascii (no byte >= 0x80
 * in any line then). Out of range: "". */
#define UI_HELP_LINE_COLS (2 + UI_KEY_LABEL_MAX + 1 + UI_KEY_HELP_MAX)
int ui_keys_help_count(void);
const char *ui_keys_help_line(int i, int ascii, char *buf, size_t n);

/* The key-hint line: "label:hint" for the entries with a hint, by
 * hint_rank, two spaces apart, as many as fit in width cells (the lower
 * ranks go first, so "?/F1:help  q:quit" survive a narrow line). Returns
 * buf. */
const char *ui_keys_hint(char *buf, size_t n, int width, int ascii);

/* Display cells of a UTF-8 string (one per code point; every string in the
 * table is made of width-1 characters). */
int ui_text_cells(const char *s);

#endif

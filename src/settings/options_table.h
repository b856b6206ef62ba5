/* options_table.h - the settings table, inside src/settings/ (and tests).
 *
 * One entry (setting_t) per setting says everything about it: where it
 * lives in options_t and its type, its default, its INI section and key,
 * its long option spellings, how a value is checked, its line in --help and
 * its value in the air recipe. The defaults, the INI reader, the command
 * line, the "was it given" bookkeeping, the recipes and --help all iterate
 * settings[]; adding a setting is adding one entry (options_table.c).
 */
#ifndef MSCNN_OPTIONS_TABLE_H
#define MSCNN_OPTIONS_TABLE_H

#include <stddef.h>
#include "settings/options.h"

typedef enum { K_INT, K_U64, K_FLOAT, K_BOOL, K_PATH, K_TEXT, K_CHOICE } kind_t;

/* Float bounds: B_OPEN_LO makes the lower bound exclusive, B_OPEN_HI the
 * upper one. */
enum { B_OPEN_LO = 1, B_OPEN_HI = 2 };

/* The --help groups, in the order --help prints them; 0: not in --help. */
enum { H_NONE, H_TRAINING, H_DATA, H_STAGE2, H_OUTPUT, H_GENERAL, H_NGROUPS };

typedef struct {
    /* the field and its type */
    kind_t kind;
    size_t offset;               /* into options_t */
    size_t size;                 /* string fields: sizeof the array */
    const char *def;             /* the default, as text (set through the check) */

    /* the check */
    long ilo, ihi;               /* K_INT */
    double flo, fhi;             /* K_FLOAT */
    int bounds;                  /* K_FLOAT: B_OPEN_* */
    int allow_empty;             /* K_PATH, K_TEXT: "" means none / search */
    const char *const *choices;  /* K_CHOICE: NULL-terminated */
    /* K_TEXT: when set, the value must also pass it; it says what it
     * expects in e (e.g. "expected ..., got 'x'") */
    int (*check)(const char *value, err_t *e);

    /* INI file: [section] key */
    const char *section, *key;

    /* command line: --opt[0] (the spelling --help shows) and --opt[1]
     * (its alias, usually the hyphen form), NULL for none */
    const char *opt[2];
    int flag;                    /* K_BOOL: the option takes no value, sets 1 */
    int opt_at;                  /* place in the option list (the order an
                                    abbreviation's candidates are listed in) */
    size_t cli_mark;             /* 1 + offset of an int the command line sets
                                    to 1 when it gives this setting; 0 none */

    /* --help: group, place in it, the value's name, the text. The text's
     * "\n" continue at the text column; "%s" is replaced by the default,
     * "%l" by the choices ("a, b or c"). Entries without an option keep
     * their text for the reader of the table (the INI template says more). */
    int help_group, help_at;
    const char *arg;
    const char *help;

    const char *air;             /* the air recipe's value, NULL: the default */
} setting_t;

extern const setting_t settings[];
extern const size_t n_settings;
extern const char *const setting_sections[]; /* NULL-terminated, INI order */

/* The setting at [section] key, or NULL. */
const setting_t *setting_find(const char *section, const char *key);
int setting_known_section(const char *name);

/* Parses and stores one value into o without marking it given; -1 (o
 * untouched) when it is not valid. */
int setting_store(options_t *o, const setting_t *s, const char *v);

/* Parses and stores one value and marks the setting given; -1 (o
 * untouched) with what it expects in what ("a whole number from 0 to 2",
 * or the check's own message when has_got is set to 1: it names the value). */
int setting_set(options_t *o, const setting_t *s, const char *v, char *what, size_t len,
                int *has_got);

/* What a valid value looks like: "a whole number from 0 to 2". */
void setting_describe(const setting_t *s, char *buf, size_t len);

/* "a", "a or b", "a, b or c", each name between pre and post. */
void join_or(char *buf, size_t len, const char *const *names, const char *pre, const char *post);

/* One pass over the command line (options_cli.c). Values are applied to o
 * (pass 1 applies them to a scratch copy, so every error is found, left to
 * right, before the INI file is read). Never stops at an error: -h or
 * --version later on the line still wins. */
typedef struct {
    const char *config;  /* last -c FILE, or NULL */
    opt_action_t action; /* first of -h / --version seen, else OPT_RUN */
    int failed;          /* first error is in e */
} scan_t;
void options_scan_args(int argc, char **argv, options_t *o, scan_t *r, err_t *e);

#endif

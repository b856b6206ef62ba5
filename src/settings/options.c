/* options.c - every setting of a run: defaults, INI file, command line.
 *
 * One table (settings[]) describes every setting: its INI section and key,
 * its type and valid range, and where it lives in options_t. The INI reader
 * and the command line both go through set_value(), so a value means the
 * same thing and is checked the same way wherever it comes from, and the
 * "expected ..." part of every error message comes from the same place.
 *
 * The INI file is parsed by libinih through a reader of our own: it counts
 * lines (the handler of Debian's inih gets no line number), strips leading
 * whitespace (so an indented key is a key, never an inih "continuation
 * line"), rejects syntax errors and unknown sections with a message that
 * names FILE:LINE, and stops the parse at the first error.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "settings/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/usr/local/etc"
#endif

/* ---- the settings table ------------------------------------------------ */

typedef enum { K_INT, K_U64, K_FLOAT, K_BOOL, K_PATH, K_TEXT, K_CHOICE } kind_t;

/* Float bounds: B_OPEN_LO makes the lower bound exclusive, B_OPEN_HI the
 * upper one. */
enum { B_OPEN_LO = 1, B_OPEN_HI = 2 };

typedef struct {
    const char *section;
    const char *key;
    kind_t kind;
    size_t offset;            /* into options_t */
    size_t size;              /* string fields: sizeof the array */
    long ilo, ihi;            /* K_INT */
    double flo, fhi;          /* K_FLOAT */
    int bounds;               /* K_FLOAT: B_OPEN_* */
    int allow_empty;          /* K_PATH: "" means none / search */
    const char *const *choices; /* K_CHOICE: NULL-terminated */
} setting_t;

static const char *const dataset_names[] = {"auto", "cifar10", "cifar100", "folder", "synth",
                                             NULL};
static const char *const label_names[] = {"fine", "coarse", NULL};
static const char *const device_names[] = {"auto", "cpu", "gpu", NULL};
/* The architectures the model code knows; add new ones here. */
static const char *const arch_names[] = {"basic", "air", NULL};
static const char *const schedule_names[] = {"constant", "linear", "cosine", NULL};
static const char *const recipe_names[] = {"auto", "keras", "air", NULL};
static const char *const fill_names[] = {"zero", "reflect", NULL};
static const char *const flip_names[] = {"random", "alternate", "none", NULL};

#define FIELD(f) offsetof(options_t, f), sizeof(((options_t *)0)->f)
#define INT(sec, key, f, lo, hi) {sec, key, K_INT, FIELD(f), lo, hi, 0, 0, 0, 0, NULL}
#define U64(sec, key, f) {sec, key, K_U64, FIELD(f), 0, 0, 0, 0, 0, 0, NULL}
#define FLT(sec, key, f, lo, hi, b) {sec, key, K_FLOAT, FIELD(f), 0, 0, lo, hi, b, 0, NULL}
#define BOOL(sec, key, f) {sec, key, K_BOOL, FIELD(f), 0, 0, 0, 0, 0, 0, NULL}
#define PATH(sec, key, f, empty) {sec, key, K_PATH, FIELD(f), 0, 0, 0, 0, 0, empty, NULL}
#define TEXT(sec, key, f) {sec, key, K_TEXT, FIELD(f), 0, 0, 0, 0, 0, 1, NULL}
#define CHOICE(sec, key, f, names) {sec, key, K_CHOICE, FIELD(f), 0, 0, 0, 0, 0, 0, names}

static const setting_t settings[] = {
    BOOL("run", "batch", batch_mode),
    BOOL("run", "no_color", no_color),
    INT("run", "threads", threads, 0, 1024),
    CHOICE("run", "device", device, device_names),
    U64("run", "seed", seed),
    PATH("run", "output_dir", output_dir, 0),
    PATH("run", "save_model", save_model, 0),
    PATH("run", "load_model", load_model, 1),

    CHOICE("data", "dataset", dataset, dataset_names),
    PATH("data", "data_dir", data_dir, 1),
    CHOICE("data", "cifar100_labels", cifar100_labels, label_names),
    BOOL("data", "light_mode", light_mode),
    FLT("data", "val_fraction", val_fraction, 0.0, 0.9, 0),
    INT("data", "val_light", val_light, 0, 100000),
    BOOL("data", "augment", augment),
    INT("data", "crop_pad", crop_pad, 0, 16),
    CHOICE("data", "crop_fill", crop_fill, fill_names),
    CHOICE("data", "flip", flip, flip_names),
    INT("data", "synth_train", synth_train, 10, 1000000),
    INT("data", "synth_test", synth_test, 10, 1000000),

    CHOICE("train", "arch", arch, arch_names),
    INT("train", "epochs", epochs, 0, 100000),
    INT("train", "batch_size", batch_size, 1, 65536),
    FLT("train", "lr", lr, 0.0, 10.0, B_OPEN_LO),
    FLT("train", "momentum", momentum, 0.0, 1.0, B_OPEN_HI),
    BOOL("train", "nesterov", nesterov),
    FLT("train", "weight_decay", weight_decay, 0.0, 1.0, 0),
    FLT("train", "label_smoothing", label_smoothing, 0.0, 1.0, B_OPEN_HI),
    FLT("train", "warmup_epochs", warmup_epochs, 0.0, 1000.0, 0),
    FLT("train", "warmup_from", warmup_from, 0.0, 1.0, 0),
    CHOICE("train", "lr_schedule", lr_schedule, schedule_names),
    FLT("train", "bn_bias_lr_scale", bn_bias_lr_scale, 0.0, 1000.0, B_OPEN_LO),
    BOOL("train", "lookahead", lookahead),
    INT("train", "tta", tta, 0, 2),
    CHOICE("train", "recipe", recipe, recipe_names),

    BOOL("stage2", "stage2_only", stage2_only),
    TEXT("stage2", "stage2_categories", stage2_categories),
    FLT("stage2", "threshold", threshold, 0.0, 1.0, 0),
    TEXT("stage2", "tune_threshold", tune_threshold),
    BOOL("stage2", "per_category", per_category),
    FLT("stage2", "judge_holdout", judge_holdout, 0.0, 0.5, B_OPEN_LO),
    INT("stage2", "judge_batch_size", judge_batch_size, 1, 65536),
    INT("stage2", "judge_passes", judge_passes, 1, 100),
    FLT("stage2", "judge_lr", judge_lr, 0.0, 10.0, B_OPEN_LO),
    FLT("stage2", "judge_momentum", judge_momentum, 0.0, 1.0, B_OPEN_HI),
    FLT("stage2", "judge_weight_decay", judge_weight_decay, 0.0, 1.0, 0),
    PATH("run", "predictions", predictions, 1),
};
#define NSETTINGS (sizeof settings / sizeof settings[0])
_Static_assert(NSETTINGS <= OPTIONS_MAX_SETTINGS, "raise OPTIONS_MAX_SETTINGS");

static const char *const sections[] = {"run", "data", "train", "stage2", NULL};

void options_defaults(options_t *o)
{
    memset(o, 0, sizeof *o);
    o->batch_mode = 0;
    o->no_color = 0;
    o->threads = 0;
    snprintf(o->device, sizeof o->device, "%s", "auto");
    o->seed = 42;
    snprintf(o->output_dir, sizeof o->output_dir, "%s", ".");
    snprintf(o->save_model, sizeof o->save_model, "%s", "multistage_cnn_model");
    o->load_model[0] = '\0';
    o->config_path[0] = '\0';

    snprintf(o->dataset, sizeof o->dataset, "%s", "auto");
    o->data_dir[0] = '\0';
    snprintf(o->cifar100_labels, sizeof o->cifar100_labels, "%s", "fine");
    o->light_mode = 0;
    o->val_fraction = 0.1;
    o->val_light = 500;
    o->augment = 1;
    o->crop_pad = 4;
    snprintf(o->crop_fill, sizeof o->crop_fill, "%s", "zero");
    snprintf(o->flip, sizeof o->flip, "%s", "random");
    o->synth_train = 5000;
    o->synth_test = 1000;

    snprintf(o->recipe, sizeof o->recipe, "%s", "auto");
    snprintf(o->arch, sizeof o->arch, "%s", "basic");
    o->epochs = 50;
    o->batch_size = 32;
    o->lr = 0.02;
    o->momentum = 0.9;
    o->nesterov = 1;
    o->weight_decay = 5e-4;
    o->label_smoothing = 0.0;
    o->warmup_epochs = 1.0;
    o->warmup_from = 0.0;
    snprintf(o->lr_schedule, sizeof o->lr_schedule, "%s", "linear");
    o->bn_bias_lr_scale = 1.0;
    o->lookahead = 0;
    o->tta = 0;

    o->stage2_only = 0;
    o->stage2_categories[0] = '\0';
    o->threshold = 0.7;
    o->tune_threshold[0] = '\0';
    o->per_category = 0;
    o->judge_holdout = 0.1;
    o->judge_batch_size = 16;
    o->judge_passes = 4;
    o->judge_lr = 0.03;
    o->judge_momentum = 0.9;
    o->judge_weight_decay = 5e-4;
    o->predictions[0] = '\0';
}

static const setting_t *find_setting(const char *section, const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (!strcmp(settings[i].section, section) && !strcmp(settings[i].key, key))
            return &settings[i];
    return NULL;
}

static int known_section(const char *name)
{
    for (int i = 0; sections[i]; i++)
        if (!strcmp(sections[i], name))
            return 1;
    return 0;
}

/* "a", "a or b", "a, b or c" */
static void join_or(char *buf, size_t len, const char *const *names,
                    const char *pre, const char *post)
{
    size_t n = 0, used = 0;
    while (names[n])
        n++;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf(buf + used, len - used, "%s%s%s%s", sep, pre, names[i], post);
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
    }
}

static void describe(const setting_t *s, char *buf, size_t len)
{
    switch (s->kind) {
    case K_INT:
        snprintf(buf, len, "a whole number from %ld to %ld", s->ilo, s->ihi);
        break;
    case K_U64:
        snprintf(buf, len, "a whole number from 0 to %llu", (unsigned long long)UINT64_MAX);
        break;
    case K_FLOAT:
        if (s->bounds == B_OPEN_LO)
            snprintf(buf, len, "a number greater than %g and at most %g", s->flo, s->fhi);
        else if (s->bounds == B_OPEN_HI)
            snprintf(buf, len, "a number from %g up to (not including) %g", s->flo, s->fhi);
        else
            snprintf(buf, len, "a number from %g to %g", s->flo, s->fhi);
        break;
    case K_BOOL:
        snprintf(buf, len, "a boolean (1/0, true/false, yes/no, on/off)");
        break;
    case K_PATH:
        snprintf(buf, len, "a %spath shorter than %zu characters%s",
                 s->allow_empty ? "" : "non-empty ", s->size,
                 s->allow_empty ? " (empty for none)" : "");
        break;
    case K_TEXT:
        snprintf(buf, len, "a text shorter than %zu characters", s->size);
        break;
    case K_CHOICE: {
        char names[256];
        join_or(names, sizeof names, s->choices, "", "");
        snprintf(buf, len, "%s%s", s->choices[1] ? "one of " : "", names);
        break;
    }
    }
}

/* strtol/strtod skip leading blanks; a setting never starts with one. */
static int starts_clean(const char *v) { return *v && !isspace((unsigned char)*v); }

static int store_value(options_t *o, const setting_t *s, const char *v);

/* Parses and stores one value, marking the setting given; -1 (o untouched)
 * when it is not valid. */
static int set_value(options_t *o, const setting_t *s, const char *v)
{
    if (store_value(o, s, v))
        return -1;
    o->given[s - settings] = 1;
    return 0;
}

static int store_value(options_t *o, const setting_t *s, const char *v)
{
    char *field = (char *)o + s->offset;
    switch (s->kind) {
    case K_INT: {
        long x;
        if (!starts_clean(v) || parse_int(v, s->ilo, s->ihi, &x))
            return -1;
        *(int *)field = (int)x;
        return 0;
    }
    case K_U64: {
        uint64_t x;
        /* util's parse_u64 only refuses a leading '-', not " -1" or "+1" */
        if (!isdigit((unsigned char)v[0]) || parse_u64(v, &x))
            return -1;
        *(uint64_t *)field = x;
        return 0;
    }
    case K_FLOAT: {
        double x;
        if (!starts_clean(v) || parse_float(v, s->flo, s->fhi, &x))
            return -1;
        if (((s->bounds & B_OPEN_LO) && x == s->flo) || ((s->bounds & B_OPEN_HI) && x == s->fhi))
            return -1;
        *(double *)field = x;
        return 0;
    }
    case K_BOOL: {
        int x;
        if (parse_bool(v, &x))
            return -1;
        *(int *)field = x;
        return 0;
    }
    case K_PATH:
    case K_TEXT: {
        size_t n = strlen(v);
        if ((n == 0 && !s->allow_empty) || n >= s->size)
            return -1;
        memcpy(field, v, n + 1);
        return 0;
    }
    case K_CHOICE:
        for (int i = 0; s->choices[i]; i++) {
            if (!strcmp(v, s->choices[i])) {
                memcpy(field, v, strlen(v) + 1); /* the table's names fit */
                return 0;
            }
        }
        return -1;
    }
    return -1;
}


/* ---- INI file ------------------------------------------------------------ */

int options_set_ini(options_t *o, const char *section, const char *name,
                    const char *value, const char *file, int line, err_t *e)
{
    char what[512];
    if (!section)
        section = "";
    if (!name)
        name = "";
    if (!value)
        value = "";
    if (!*section) {
        join_or(what, sizeof what, sections, "[", "]");
        return err_set(e, "%s:%d: %s = %s: key outside any section; expected a %s "
                       "header before it", file, line, name, value, what);
    }
    if (!known_section(section)) {
        join_or(what, sizeof what, sections, "[", "]");
        return err_set(e, "%s:%d: [%s] %s = %s: unknown section [%s]; expected %s",
                       file, line, section, name, value, section, what);
    }
    const setting_t *s = find_setting(section, name);
    if (!s) {
        const char *keys[NSETTINGS + 1];
        size_t n = 0;
        for (size_t i = 0; i < NSETTINGS; i++)
            if (!strcmp(settings[i].section, section))
                keys[n++] = settings[i].key;
        keys[n] = NULL;
        join_or(what, sizeof what, keys, "", "");
        return err_set(e, "%s:%d: [%s] %s = %s: unknown key '%s'; expected one of %s",
                       file, line, section, name, value, name, what);
    }
    if (set_value(o, s, value)) {
        describe(s, what, sizeof what);
        return err_set(e, "%s:%d: [%s] %s = %s: expected %s", file, line, section,
                       name, value, what);
    }
    return 0;
}

typedef struct {
    options_t *o;
    const char *path;
    FILE *fp;
    char *buf;       /* getline buffer */
    size_t cap;
    int lineno;      /* line last handed to inih */
    int failed;      /* an error is in e; stop */
    int read_errno;  /* errno of a failed read, 0 at a clean end of file */
    err_t *e;
} ini_ctx_t;

/* Like inih's inline-comment rule: ';' after whitespace starts a comment. */
static const char *find_unquoted(const char *s, const char *chars)
{
    int was_space = 0;
    for (; *s; s++) {
        if (strchr(chars, *s) || (was_space && *s == ';'))
            return s;
        was_space = isspace((unsigned char)*s);
    }
    return s;
}

static char *read_line(char *str, int num, void *stream)
{
    ini_ctx_t *c = stream;
    if (c->failed)
        return NULL;
    errno = 0;
    ssize_t n = getline(&c->buf, &c->cap, c->fp);
    if (n < 0) {
        if (ferror(c->fp))
            c->read_errno = errno ? errno : EIO;
        return NULL;
    }
    c->lineno++;
    char *s = c->buf;
    if (memchr(s, '\0', (size_t)n)) {
        c->failed = 1;
        err_set(c->e, "%s:%d: the line holds a NUL byte; expected a text file", c->path, c->lineno);
        return NULL;
    }
    if (c->lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
        s += 3; /* UTF-8 byte order mark */
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';

    char sec[1024];
    if (*s == '[') {
        const char *end = strchr(s, ']');
        const char *rest = end ? end + 1 : "";
        while (isspace((unsigned char)*rest))
            rest++;
        if (!end || (*rest && *rest != ';' && *rest != '#')) {
            c->failed = 1;
            err_set(c->e, "%s:%d: %s: expected a section header like [train]", c->path, c->lineno, s);
            return NULL;
        }
        size_t k = (size_t)(end - s - 1);
        if (k >= sizeof sec)
            k = sizeof sec - 1;
        memcpy(sec, s + 1, k);
        sec[k] = '\0';
        if (!known_section(sec)) {
            char what[128];
            join_or(what, sizeof what, sections, "[", "]");
            c->failed = 1;
            err_set(c->e, "%s:%d: [%s]: unknown section; expected %s", c->path, c->lineno, sec, what);
            return NULL;
        }
    } else if (*s == ';' || *s == '#') {
        len = 0; /* a comment of any length; inih sees a blank line */
    } else if (*s) {
        const char *eq = find_unquoted(s, "=:");
        if (*eq != '=' && *eq != ':') {
            c->failed = 1;
            err_set(c->e, "%s:%d: %s: expected key = value, a [section] header or a ; comment",
                    c->path, c->lineno, s);
            return NULL;
        }
    }
    if (len + 2 > (size_t)num) {
        c->failed = 1;
        err_set(c->e, "%s:%d: line longer than %d characters (the INI reader's limit); "
                "give this value on the command line instead", c->path, c->lineno, num - 2);
        return NULL;
    }
    memcpy(str, s, len);
    str[len] = '\n';
    str[len + 1] = '\0';
    return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx_t *c = user;
    if (c->failed)
        return 0;
    if (options_set_ini(c->o, section, name, value, c->path, c->lineno, c->e)) {
        c->failed = 1;
        return 0;
    }
    return 1;
}

int options_load_ini(options_t *o, const char *path, err_t *e)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return err_set(e, "cannot open config file '%s': %s", path, strerror(errno));
    ini_ctx_t c = {.o = o, .path = path, .fp = fp, .e = e};
    int r = ini_parse_stream(read_line, &c, on_key, &c);
    free(c.buf);
    fclose(fp);
    if (c.failed)
        return -1;
    if (c.read_errno)
        return err_set(e, "cannot read config file '%s': %s", path, strerror(c.read_errno));
    if (r == -2)
        return err_set(e, "%s: out of memory while reading the config file", path);
    if (r != 0) /* the reader should have caught every syntax error */
        return err_set(e, "%s:%d: syntax error; expected key = value, a [section] header "
                       "or a ; comment", path, r);
    return 0;
}

/* ---- command line -------------------------------------------------------- */

enum {
    OPT_BATCH = 256, OPT_EPOCHS, OPT_BATCH_SIZE, OPT_LIGHT_MODE, OPT_LOAD_MODEL,
    OPT_SAVE_MODEL, OPT_CONFIG, OPT_DATA_DIR, OPT_DATASET, OPT_SEED, OPT_THREADS,
    OPT_OUTPUT_DIR, OPT_ARCH, OPT_LR, OPT_HELP_L, OPT_VERSION_L, OPT_STAGE2_ONLY,
    OPT_STAGE2_CATEGORIES, OPT_THRESHOLD, OPT_TUNE_THRESHOLD, OPT_PER_CATEGORY,
    OPT_PREDICTIONS, OPT_NO_COLOR, OPT_DEVICE, OPT_RECIPE, OPT_TTA, OPT_MOMENTUM,
    OPT_WEIGHT_DECAY, OPT_LABEL_SMOOTHING, OPT_WARMUP_EPOCHS, OPT_LOOKAHEAD, OPT_FLIP
};

static const struct option long_options[] = {
    {"batch", no_argument, NULL, OPT_BATCH},
    {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"batch_size", required_argument, NULL, OPT_BATCH_SIZE},
    {"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
    {"light_mode", no_argument, NULL, OPT_LIGHT_MODE},
    {"light-mode", no_argument, NULL, OPT_LIGHT_MODE},
    {"load_model", required_argument, NULL, OPT_LOAD_MODEL},
    {"load-model", required_argument, NULL, OPT_LOAD_MODEL},
    {"save_model", required_argument, NULL, OPT_SAVE_MODEL},
    {"save-model", required_argument, NULL, OPT_SAVE_MODEL},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"data_dir", required_argument, NULL, OPT_DATA_DIR},
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"seed", required_argument, NULL, OPT_SEED},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"output_dir", required_argument, NULL, OPT_OUTPUT_DIR},
    {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
    {"arch", required_argument, NULL, OPT_ARCH},
    {"lr", required_argument, NULL, OPT_LR},
    {"recipe", required_argument, NULL, OPT_RECIPE},
    {"tta", required_argument, NULL, OPT_TTA},
    {"momentum", required_argument, NULL, OPT_MOMENTUM},
    {"weight_decay", required_argument, NULL, OPT_WEIGHT_DECAY},
    {"weight-decay", required_argument, NULL, OPT_WEIGHT_DECAY},
    {"label_smoothing", required_argument, NULL, OPT_LABEL_SMOOTHING},
    {"label-smoothing", required_argument, NULL, OPT_LABEL_SMOOTHING},
    {"warmup_epochs", required_argument, NULL, OPT_WARMUP_EPOCHS},
    {"warmup-epochs", required_argument, NULL, OPT_WARMUP_EPOCHS},
    {"lookahead", required_argument, NULL, OPT_LOOKAHEAD},
    {"flip", required_argument, NULL, OPT_FLIP},
    {"stage2_only", no_argument, NULL, OPT_STAGE2_ONLY},
    {"stage2-only", no_argument, NULL, OPT_STAGE2_ONLY},
    {"stage2_categories", required_argument, NULL, OPT_STAGE2_CATEGORIES},
    {"stage2-categories", required_argument, NULL, OPT_STAGE2_CATEGORIES},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"tune_threshold", required_argument, NULL, OPT_TUNE_THRESHOLD},
    {"tune-threshold", required_argument, NULL, OPT_TUNE_THRESHOLD},
    {"per_category", no_argument, NULL, OPT_PER_CATEGORY},
    {"per-category", no_argument, NULL, OPT_PER_CATEGORY},
    {"predictions", required_argument, NULL, OPT_PREDICTIONS},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"no_color", no_argument, NULL, OPT_NO_COLOR},
    {"help", no_argument, NULL, OPT_HELP_L},
    {"version", no_argument, NULL, OPT_VERSION_L},
    {NULL, 0, NULL, 0},
};

/* The setting a value option sets (flags and -c/-h handled by the caller). */
static const setting_t *option_setting(int val)
{
    static const struct { int val; const char *section, *key; } map[] = {
        {OPT_EPOCHS, "train", "epochs"},      {OPT_BATCH_SIZE, "train", "batch_size"},
        {OPT_LOAD_MODEL, "run", "load_model"}, {OPT_SAVE_MODEL, "run", "save_model"},
        {OPT_DATA_DIR, "data", "data_dir"},   {OPT_DATASET, "data", "dataset"},
        {OPT_SEED, "run", "seed"},            {OPT_THREADS, "run", "threads"},
        {OPT_OUTPUT_DIR, "run", "output_dir"}, {OPT_ARCH, "train", "arch"},
        {OPT_LR, "train", "lr"},              {OPT_RECIPE, "train", "recipe"},
        {OPT_TTA, "train", "tta"},            {OPT_MOMENTUM, "train", "momentum"},
        {OPT_WEIGHT_DECAY, "train", "weight_decay"},
        {OPT_LABEL_SMOOTHING, "train", "label_smoothing"},
        {OPT_WARMUP_EPOCHS, "train", "warmup_epochs"},
        {OPT_LOOKAHEAD, "train", "lookahead"}, {OPT_FLIP, "data", "flip"},
        {OPT_STAGE2_CATEGORIES, "stage2", "stage2_categories"},
        {OPT_THRESHOLD, "stage2", "threshold"},
        {OPT_TUNE_THRESHOLD, "stage2", "tune_threshold"},
        {OPT_PREDICTIONS, "run", "predictions"},
        {OPT_DEVICE, "run", "device"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].val == val)
            return find_setting(map[i].section, map[i].key);
    return NULL;
}

typedef struct {
    const char *config;  /* last -c FILE, or NULL */
    opt_action_t action; /* first of -h / --version seen, else OPT_RUN */
    int failed;          /* first error is in e */
} scan_t;

/* Records the first error of a pass; later ones are dropped. */
static void scan_fail(scan_t *r, err_t *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void scan_fail(scan_t *r, err_t *e, const char *fmt, ...)
{
    if (!r->failed && e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    r->failed = 1;
}

/* Checks that the long option in arg ("--name" or "--name=value") is written
 * in full. Returns the exact table entry, or NULL after setting the error
 * (unknown or abbreviated). */
static const struct option *exact_long(const char *arg, scan_t *r, err_t *e)
{
    const char *name = arg + 2;
    size_t n = strcspn(name, "=");
    char typed[256];
    snprintf(typed, sizeof typed, "--%.*s", (int)(n < 200 ? n : 200), name);
    for (const struct option *p = long_options; p->name; p++)
        if (strlen(p->name) == n && !strncmp(p->name, name, n))
            return p;
    char full[512] = "";
    size_t used = 0;
    int matches = 0;
    for (const struct option *p = long_options; n && p->name; p++) {
        if (strncmp(p->name, name, n))
            continue;
        int w = snprintf(full + used, sizeof full - used, "%s--%s", matches ? ", " : "", p->name);
        if (w > 0 && (size_t)w < sizeof full - used)
            used += (size_t)w;
        matches++;
    }
    if (matches)
        scan_fail(r, e, "option '%s' is abbreviated; write it in full (%s)", typed, full);
    else
        scan_fail(r, e, "unknown option '%s' (see mscnn --help)", typed);
    return NULL;
}

/* "-batch": a long option written with one dash (name without "=value"). */
static int single_dash_long(const char *arg)
{
    if (arg[0] != '-' || arg[1] == '-' || !arg[1] || !arg[2])
        return 0;
    size_t n = strcspn(arg + 1, "=");
    for (const struct option *p = long_options; p->name; p++)
        if (strlen(p->name) == n && !strncmp(p->name, arg + 1, n))
            return 1;
    return 0;
}

/* One pass over the command line. Values are applied to o (pass 1 applies
 * them to a scratch copy, so every error is found, left to right, before
 * the INI file is read). Never stops at an error: -h or --version later on
 * the line still wins. */
static void scan_args(int argc, char **argv, options_t *o, scan_t *r, err_t *e)
{
    int saved_opterr = opterr;
    opterr = 0; /* our own messages */
    optind = 0; /* glibc: full re-initialisation */
    for (;;) {
        int prev = optind ? optind : 1;
        int idx = -1;
        int c = getopt_long(argc, argv, "+:c:h", long_options, &idx);
        if (c == -1) {
            if (optind >= argc)
                break;
            int after_dashdash = optind > prev && !strcmp(argv[optind - 1], "--");
            scan_fail(r, e, "unexpected argument '%s' (mscnn takes no file arguments; "
                      "see mscnn --help)", argv[optind]);
            if (after_dashdash)
                break;
            optind++; /* keep looking for -h / --version */
            continue;
        }
        const struct option *lo = NULL;
        int is_long = idx >= 0 || ((c == '?' || c == ':') && (optopt == 0 || optopt >= 256));
        if (is_long) {
            if (prev >= argc || strncmp(argv[prev], "--", 2)) {
                scan_fail(r, e, "cannot parse option '%s'", prev < argc ? argv[prev] : "");
                continue;
            }
            lo = exact_long(argv[prev], r, e);
            if (!lo)
                continue;
        }
        char flag[64];
        if (lo)
            snprintf(flag, sizeof flag, "--%s", lo->name);
        else
            snprintf(flag, sizeof flag, "-%c", c == '?' || c == ':' ? optopt : c);
        if (c == '?') {
            if (lo)
                scan_fail(r, e, "%s: takes no value, got '%s'", flag, argv[prev]);
            else if (single_dash_long(argv[prev]))
                scan_fail(r, e, "unknown option '%s' (long options take two dashes: "
                          "-%s)", argv[prev], argv[prev]);
            else if (isprint(optopt))
                scan_fail(r, e, "unknown option '%s' (see mscnn --help)", flag);
            else
                scan_fail(r, e, "unknown option '%s' (see mscnn --help)", argv[prev]);
            continue;
        }
        if (c == ':') {
            scan_fail(r, e, "%s: missing value", flag);
            continue;
        }
        switch (c) {
        case 'h':
        case OPT_HELP_L:
            if (r->action == OPT_RUN)
                r->action = OPT_HELP;
            break;
        case OPT_VERSION_L:
            if (r->action == OPT_RUN)
                r->action = OPT_VERSION;
            break;
        case 'c':
        case OPT_CONFIG:
            if (!*optarg || strlen(optarg) >= sizeof o->config_path) {
                char what[64];
                snprintf(what, sizeof what, "a file name shorter than %zu characters",
                         sizeof o->config_path);
                scan_fail(r, e, "%s: expected %s, got '%s'", flag, what, optarg);
                break;
            }
            r->config = optarg;
            break;
        case OPT_BATCH:
            o->batch_mode = 1;
            break;
        case OPT_LIGHT_MODE:
            o->light_mode = 1;
            break;
        case OPT_STAGE2_ONLY:
            o->stage2_only = 1;
            break;
        case OPT_PER_CATEGORY:
            o->per_category = 1;
            break;
        case OPT_NO_COLOR:
            o->no_color = 1;
            break;
        default: {
            const setting_t *s = option_setting(c);
            if (!s) {
                scan_fail(r, e, "cannot parse option '%s'", flag);
                break;
            }
            if (set_value(o, s, optarg)) {
                char what[256];
                describe(s, what, sizeof what);
                scan_fail(r, e, "%s: expected %s, got '%s'", flag, what, optarg);
            }
            if (c == OPT_THRESHOLD)
                o->threshold_given = 1;
            break;
        }
        }
    }
    optind = 1;
    opterr = saved_opterr;
}

/* $XDG_CONFIG_HOME/mscnn/mscnn.ini, else ~/.config/mscnn/mscnn.ini, when it
 * exists. XDG says a relative $XDG_CONFIG_HOME is to be ignored. */
static int default_config(char *out, size_t len)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, len, "%s/mscnn/mscnn.ini", xdg);
    else if (home && *home)
        n = snprintf(out, len, "%s/.config/mscnn/mscnn.ini", home);
    else
        return 0;
    struct stat st;
    return n > 0 && (size_t)n < len && stat(out, &st) == 0;
}

int options_parse(options_t *o, int argc, char **argv, opt_action_t *action, err_t *e)
{
    options_defaults(o);
    *action = OPT_RUN;
    if (argc < 1)
        return 0;

    /* getopt may permute its argv; it works on a copy of the pointers. */
    char **args = xmalloc(((size_t)argc + 1) * sizeof *args);
    memcpy(args, argv, (size_t)argc * sizeof *args);
    args[argc] = NULL;

    int rc = -1;
    scan_t r = {0};
    options_t scratch;
    options_defaults(&scratch);
    scan_args(argc, args, &scratch, &r, e);
    if (r.action != OPT_RUN) { /* -h / --version win over everything */
        *action = r.action;
        rc = 0;
        goto out;
    }
    if (r.failed)
        goto out;

    if (r.config) {
        if (options_load_ini(o, r.config, e))
            goto out;
        snprintf(o->config_path, sizeof o->config_path, "%s", r.config);
    } else {
        char path[sizeof o->config_path];
        if (default_config(path, sizeof path)) {
            if (options_load_ini(o, path, e))
                goto out;
            memcpy(o->config_path, path, sizeof path);
        }
    }

    scan_t r2 = {0};
    scan_args(argc, args, o, &r2, e);
    if (!r2.failed)
        rc = 0;
out:
    free(args);
    return rc;
}

/* ---- recipes ------------------------------------------------------------- */

/* airbench94's recipe (Keller Jordan, 2024) in mscnn's terms. airbench sums
 * the loss over the batch and gives SGD lr 11.5 / kilostep and weight decay
 * 0.0153 x 1024 / kilostep as PyTorch's coupled decay divided by lr, with
 * kilostep = 1024 (1 + 1 / (1 - momentum)); mscnn averages the loss, so its
 * lr is airbench's times the batch (1.5) and its decay airbench's effective
 * decay over that lr (1.33e-3). Warm-up from 0.2 over 20 % of 10 epochs,
 * then linear decay to 0; BN biases learn 64x faster. */
static const char *const air_recipe[][3] = {
    {"train", "epochs", "10"},          {"train", "batch_size", "1024"},
    {"train", "lr", "1.5"},             {"train", "momentum", "0.85"},
    {"train", "nesterov", "1"},         {"train", "weight_decay", "0.00133"},
    {"train", "label_smoothing", "0.2"}, {"train", "warmup_epochs", "2"},
    {"train", "warmup_from", "0.2"},    {"train", "lr_schedule", "linear"},
    {"train", "bn_bias_lr_scale", "64"}, {"train", "lookahead", "1"},
    {"train", "tta", "2"},              {"data", "crop_pad", "2"},
    {"data", "crop_fill", "reflect"},   {"data", "flip", "alternate"},
};

void options_apply_recipe(options_t *o, const char *arch)
{
    if (!strcmp(o->recipe, "auto"))
        snprintf(o->recipe, sizeof o->recipe, "%s", !strcmp(arch, "air") ? "air" : "keras");
    if (strcmp(o->recipe, "air"))
        return; /* keras: the built-in defaults */
    for (size_t i = 0; i < sizeof air_recipe / sizeof air_recipe[0]; i++) {
        const setting_t *s = find_setting(air_recipe[i][0], air_recipe[i][1]);
        if (!o->given[s - settings] && store_value(o, s, air_recipe[i][2]))
            abort(); /* the table above holds a value its setting refuses */
    }
}

/* ---- help ---------------------------------------------------------------- */

void options_print_help(FILE *fp, const char *prog)
{
    options_t d;
    options_defaults(&d);
    if (!prog || !*prog)
        prog = "mscnn";
    const char *slash = strrchr(prog, '/');
    if (slash && slash[1])
        prog = slash + 1;

    fprintf(fp,
            "Usage: %s [--batch] [OPTIONS]\n"
            "Train and evaluate a two-stage CNN image classifier on CIFAR-10:\n"
            "Stage 1 classifies, one judge per class says whether Stage 1 is right,\n"
            "and an answer whose judge scores it under tau becomes the class OTHER.\n"
            "Without --batch, on a terminal, it opens the interactive workbench\n"
            "(? there lists the keys); --batch trains headless, prints the test\n"
            "report and exits.\n"
            "\n"
            "Training:\n"
            "      --epochs N          training epochs, 0 to 100000; 0 only evaluates\n"
            "                          (default %d)\n"
            "      --batch_size N      mini-batch size, 1 to 65536 (default %d)\n"
            "      --lr X              peak learning rate, 0 < X <= 10 (default %g)\n"
            "      --arch NAME         Stage 1 network: basic or air (default %s)\n"
            "      --recipe NAME       training recipe: auto (the network's), keras\n"
            "                          (the defaults shown here) or air (airbench94:\n"
            "                          10 epochs, batch 1024, lr 1.5, momentum 0.85,\n"
            "                          label smoothing 0.2, lookahead, TTA 2, ...);\n"
            "                          settings given in the config file or on the\n"
            "                          command line override the recipe's\n"
            "      --momentum X        SGD momentum, 0 <= X < 1 (default %g)\n"
            "      --weight_decay X    L2 weight decay, 0 to 1 (default %g)\n"
            "      --label_smoothing X label smoothing, 0 <= X < 1 (default %g)\n"
            "      --warmup_epochs X   learning-rate warm-up in epochs (default %g)\n"
            "      --lookahead BOOL    airbench's lookahead average of Stage 1's\n"
            "                          weights every 5 steps (default off)\n"
            "      --flip MODE         training flips: random, alternate (each image\n"
            "                          flipped every other epoch) or none\n"
            "                          (default %s)\n"
            "      --tta N             test-time augmentation of Stage 1: 0 none,\n"
            "                          1 flip, 2 flip and 1-pixel shifts (default %d)\n"
            "      --seed N            random seed, 0 to 2^64-1 (default %llu)\n"
            "      --device NAME       auto, cpu or gpu (default auto: the GPU when\n"
            "                          this build has one and a device is present)\n"
            "      --threads N         worker threads, 0 to 1024; 0 = all cores\n"
            "                          (default %d)\n"
            "\n"
            "Data:\n"
            "      --dataset NAME      auto, cifar10, cifar100, folder or synth\n"
            "                          (default %s: CIFAR-10 when found, else the\n"
            "                          built-in synth set)\n"
            "      --data_dir DIR      the data: CIFAR-10 or CIFAR-100 binary files,\n"
            "                          or the root of a folder of class/*.png\n"
            "                          (default: search $MSCNN_DATA,\n"
            "                          ./data/cifar-10-batches-bin and\n"
            "                          $XDG_CACHE_HOME/mscnn/cifar-10-batches-bin)\n"
            "      --light_mode        train and test on a small balanced subset\n"
            "                          (5000 train, 1000 test) for quick runs\n"
            "\n"
            "Stage 2:\n"
            "      --stage2_only       train the judges only; Stage 1 stays frozen\n"
            "      --stage2_categories LIST\n"
            "                          judges to train, names or indices (ship,9);\n"
            "                          the rest stay frozen (default: all)\n"
            "      --threshold T       confidence threshold tau, 0 to 1 (default %g)\n"
            "      --tune_threshold RULE\n"
            "                          choose tau on the validation split: accuracy,\n"
            "                          coverage=C or risk=R[,delta=D]\n"
            "      --per_category      tune one tau per category\n"
            "      --predictions FILE  write one CSV row per test image\n"
            "\n"
            "Output:\n"
            "      --output_dir DIR    where history.csv is written (default %s)\n"
            "      --save_model DIR    where the trained model is saved\n"
            "                          (default %s)\n"
            "      --load_model DIR    start from the model saved in DIR\n"
            "                          (default: none, train from scratch)\n"
            "\n"
            "General:\n"
            "      --batch             run headless: train, report, save, exit\n"
            "      --no-color          draw the workbench without colours (so does\n"
            "                          a non-empty NO_COLOR environment variable)\n"
            "  -c, --config FILE       read settings from FILE instead of the\n"
            "                          default config file\n"
            "  -h, --help              show this help and exit\n"
            "      --version           show the version and exit\n"
            "\n"
            "Every option with an underscore also takes hyphens (--batch-size).\n"
            "Options must be written in full; abbreviations are refused.\n"
            "\n"
            "Settings come from the built-in defaults, then the config file, then\n"
            "the command line, each overriding the one before. The config file is\n"
            "FILE from -c, else $XDG_CONFIG_HOME/mscnn/mscnn.ini\n"
            "(~/.config/mscnn/mscnn.ini) when it exists. It also holds settings with\n"
            "no option (augmentation, schedule, judges, ...); copy\n"
            "the commented template to start one:\n"
            "  %s/mscnn/mscnn.ini\n"
            "\n"
            "Exit status: 0 success, 1 runtime error, 2 usage error (or no\n"
            "terminal for the workbench), 130 stopped by a signal (model saved).\n"
            "Full documentation: man mscnn\n",
            prog, d.epochs, d.batch_size, d.lr, d.arch, d.momentum, d.weight_decay,
            d.label_smoothing, d.warmup_epochs, d.flip, d.tta, (unsigned long long)d.seed,
            d.threads, d.dataset, d.threshold, d.output_dir, d.save_model, SYSCONFDIR);
}

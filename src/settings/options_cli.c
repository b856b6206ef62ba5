/* options_cli.c - the command line: one pass of getopt_long over argv.
 *
 * The option list is built from the settings table (every setting with a
 * long option, both spellings) plus the three options that are not
 * settings: -c/--config, -h/--help and --version. Options must be written
 * in full: getopt's abbreviations are refused with the candidates named.
 */
#include "settings/options_table.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* getopt values: the options that are not settings, then settings[i] as
 * V_SETTING + i */
enum { V_CONFIG = 256, V_HELP, V_VERSION, V_SETTING };

static const struct {
    const char *name;
    int val, at; /* at: place in the option list, as setting_t's opt_at */
} extras[] = {{"config", V_CONFIG, 7}, {"help", V_HELP, 31}, {"version", V_VERSION, 32}};
#define NEXTRAS (sizeof extras / sizeof extras[0])

static struct option long_options[2 * OPTIONS_MAX_SETTINGS + NEXTRAS + 1];

static void add_setting_options(size_t *n, size_t i)
{
    const setting_t *s = &settings[i];
    for (int k = 0; k < 2 && s->opt[k]; k++)
        long_options[(*n)++] = (struct option){s->opt[k], s->flag ? no_argument : required_argument,
                                               NULL, V_SETTING + (int)i};
}

/* Fills long_options once, in the order of opt_at (an entry without a place
 * goes last). */
static void build_long_options(void)
{
    static int built;
    if (built)
        return;
    int last = 0;
    for (size_t i = 0; i < n_settings; i++)
        last = settings[i].opt_at > last ? settings[i].opt_at : last;
    for (size_t j = 0; j < NEXTRAS; j++)
        last = extras[j].at > last ? extras[j].at : last;
    size_t n = 0;
    for (int at = 0; at <= last; at++) {
        for (size_t j = 0; j < NEXTRAS; j++)
            if (extras[j].at == at)
                long_options[n++] = (struct option){extras[j].name, extras[j].val == V_CONFIG ?
                                                    required_argument : no_argument, NULL,
                                                    extras[j].val};
        for (size_t i = 0; i < n_settings; i++)
            if (at && settings[i].opt_at == at)
                add_setting_options(&n, i);
    }
    for (size_t i = 0; i < n_settings; i++)
        if (!settings[i].opt_at)
            add_setting_options(&n, i);
    long_options[n] = (struct option){NULL, 0, NULL, 0};
    built = 1;
}

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
/* A getopt error ('?' or ':') at argv[prev], as the user's message. */
static void getopt_error(int c, const char *arg, const struct option *lo, const char *flag,
                         scan_t *r, err_t *e)
{
    if (c == ':')
        scan_fail(r, e, "%s: missing value", flag);
    else if (lo)
        scan_fail(r, e, "%s: takes no value, got '%s'", flag, arg);
    else if (single_dash_long(arg))
        scan_fail(r, e, "unknown option '%s' (long options take two dashes: -%s)", arg, arg);
    else if (isprint(optopt))
        scan_fail(r, e, "unknown option '%s' (see mscnn --help)", flag);
    else
        scan_fail(r, e, "unknown option '%s' (see mscnn --help)", arg);
}

/* -c FILE / --config FILE */
static void config_option(const options_t *o, const char *flag, scan_t *r, err_t *e)
{
    if (!*optarg || strlen(optarg) >= sizeof o->config_path) {
        char what[64];
        snprintf(what, sizeof what, "a file name shorter than %zu characters",
                 sizeof o->config_path);
        scan_fail(r, e, "%s: expected %s, got '%s'", flag, what, optarg);
        return;
    }
    r->config = optarg;
}

/* A setting's option: a flag sets it to 1, the others take optarg. */
static void setting_option(options_t *o, const setting_t *s, const char *flag, scan_t *r,
                           err_t *e)
{
    const char *v = s->flag ? "1" : optarg;
    char what[256];
    int has_got;
    if (setting_set(o, s, v, what, sizeof what, &has_got)) {
        if (has_got) /* the check's message names the value */
            scan_fail(r, e, "%s: %s", flag, what);
        else
            scan_fail(r, e, "%s: expected %s, got '%s'", flag, what, v);
        return;
    }
    if (s->cli_mark)
        *(int *)((char *)o + s->cli_mark - 1) = 1;
}

static void apply_option(int c, options_t *o, const char *flag, scan_t *r, err_t *e)
{
    switch (c) {
    case 'h':
    case V_HELP:
        if (r->action == OPT_RUN)
            r->action = OPT_HELP;
        break;
    case V_VERSION:
        if (r->action == OPT_RUN)
            r->action = OPT_VERSION;
        break;
    case 'c':
    case V_CONFIG:
        config_option(o, flag, r, e);
        break;
    default:
        if (c >= V_SETTING && (size_t)(c - V_SETTING) < n_settings)
            setting_option(o, &settings[c - V_SETTING], flag, r, e);
        else
            scan_fail(r, e, "cannot parse option '%s'", flag);
        break;
    }
}

/* The argument getopt stopped at is not an option: an error, and the scan
 * goes on past it unless it came after "--". Returns 0 to stop. */
static int stray_argument(int argc, char **argv, int prev, scan_t *r, err_t *e)
{
    if (optind >= argc)
        return 0;
    int after_dashdash = optind > prev && !strcmp(argv[optind - 1], "--");
    scan_fail(r, e, "unexpected argument '%s' (mscnn takes no file arguments; "
              "see mscnn --help)", argv[optind]);
    if (after_dashdash)
        return 0;
    optind++; /* keep looking for -h / --version */
    return 1;
}

void options_scan_args(int argc, char **argv, options_t *o, scan_t *r, err_t *e)
{
    build_long_options();
    int saved_opterr = opterr;
    opterr = 0; /* our own messages */
    optind = 0; /* glibc: full re-initialisation */
    for (;;) {
        int prev = optind ? optind : 1;
        int idx = -1;
        int c = getopt_long(argc, argv, "+:c:h", long_options, &idx);
        if (c == -1) {
            if (!stray_argument(argc, argv, prev, r, e))
                break;
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
        if (c == '?' || c == ':')
            getopt_error(c, argv[prev], lo, flag, r, e);
        else
            apply_option(c, o, flag, r, e);
    }
    optind = 1;
    opterr = saved_opterr;
}

int options_takes_value(const char *arg)
{
    if (!strcmp(arg, "-c"))
        return 1;
    if (strncmp(arg, "--", 2) || strchr(arg, '='))
        return 0;
    build_long_options();
    for (size_t i = 0; long_options[i].name; i++)
        if (!strcmp(arg + 2, long_options[i].name))
            return long_options[i].has_arg == required_argument;
    return 0;
}

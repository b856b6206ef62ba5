/* options_value.c - one value of a setting: look it up, check it, store
 * it, say what it expects. The defaults, the INI file, the command line and
 * the recipes all store through setting_store(), so a value means the same
 * thing and is checked the same way wherever it comes from, and the
 * "expected ..." part of every error message comes from the same place.
 */
#include "settings/options_table.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const setting_t *setting_find(const char *section, const char *key)
{
    for (size_t i = 0; i < n_settings; i++)
        if (!strcmp(settings[i].section, section) && !strcmp(settings[i].key, key))
            return &settings[i];
    return NULL;
}

int setting_known_section(const char *name)
{
    for (int i = 0; setting_sections[i]; i++)
        if (!strcmp(setting_sections[i], name))
            return 1;
    return 0;
}

void join_or(char *buf, size_t len, const char *const *names, const char *pre, const char *post)
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

void setting_describe(const setting_t *s, char *buf, size_t len)
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

static int store_number(char *field, const setting_t *s, const char *v)
{
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
    default: { /* K_BOOL */
        int x;
        if (parse_bool(v, &x))
            return -1;
        *(int *)field = x;
        return 0;
    }
    }
}

static int store_text(char *field, const setting_t *s, const char *v)
{
    size_t n = strlen(v);
    if (s->kind == K_CHOICE) {
        int i = 0;
        while (s->choices[i] && strcmp(v, s->choices[i]))
            i++;
        if (!s->choices[i])
            return -1;
    } else if ((n == 0 && !s->allow_empty) || n >= s->size) {
        return -1;
    }
    if (s->check) {
        err_t e;
        if (s->check(v, &e))
            return -1;
    }
    if (n >= s->size)
        return -1;
    memcpy(field, v, n + 1);
    return 0;
}

int setting_store(options_t *o, const setting_t *s, const char *v)
{
    char *field = (char *)o + s->offset;
    if (s->kind == K_PATH || s->kind == K_TEXT || s->kind == K_CHOICE)
        return store_text(field, s, v);
    return store_number(field, s, v);
}

int setting_set(options_t *o, const setting_t *s, const char *v, char *what, size_t len,
                int *has_got)
{
    *has_got = 0;
    if (setting_store(o, s, v) == 0) {
        o->given[s - settings] = 1;
        return 0;
    }
    err_t e;
    if (s->check && s->check(v, &e)) {
        snprintf(what, len, "%s", e.msg);
        *has_got = 1;
    } else {
        setting_describe(s, what, len);
    }
    return -1;
}

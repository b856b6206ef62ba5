/* options_ini.c - the INI file: options_set_ini() and options_load_ini().
 *
 * The INI file is parsed by libinih through a reader of our own: it counts
 * lines (the handler of Debian's inih gets no line number), strips leading
 * whitespace (so an indented key is a key, never an inih "continuation
 * line"), rejects syntax errors and unknown sections with a message that
 * names FILE:LINE, and stops the parse at the first error. A key given
 * twice in one file is an error naming both lines. The file must be a
 * regular file of at most OPTIONS_INI_MAX_BYTES (base/file.h). Each key
 * goes through the settings table (options_table.c).
 */
#include "settings/options_table.h"

#include "base/file.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define OPTIONS_INI_MAX_BYTES (1 << 20)

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
        join_or(what, sizeof what, setting_sections, "[", "]");
        return err_set(e, "%s:%d: %s = %s: key outside any section; expected a %s "
                       "header before it", file, line, name, value, what);
    }
    if (!setting_known_section(section)) {
        join_or(what, sizeof what, setting_sections, "[", "]");
        return err_set(e, "%s:%d: [%s] %s = %s: unknown section [%s]; expected %s",
                       file, line, section, name, value, section, what);
    }
    const setting_t *s = setting_find(section, name);
    if (!s) {
        const char *keys[OPTIONS_MAX_SETTINGS + 1];
        size_t n = 0;
        for (size_t i = 0; i < n_settings; i++)
            if (!strcmp(settings[i].section, section))
                keys[n++] = settings[i].key;
        keys[n] = NULL;
        join_or(what, sizeof what, keys, "", "");
        return err_set(e, "%s:%d: [%s] %s = %s: unknown key '%s'; expected one of %s",
                       file, line, section, name, value, name, what);
    }
    int has_got;
    if (setting_set(o, s, value, what, sizeof what, &has_got)) {
        if (has_got) /* the check's message names the value */
            return err_set(e, "%s:%d: [%s] %s = %s: %s", file, line, section, name, value,
                           what);
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
    size_t bytes;    /* read so far (the file may grow while we read) */
    struct seen { char *section, *name; int line; } *seen; /* keys given */
    int nseen;
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
    c->bytes += (size_t)n;
    if (c->bytes > OPTIONS_INI_MAX_BYTES) {
        c->failed = 1;
        err_set(c->e, "%s:%d: config file grew past the limit of %d bytes while being read",
                c->path, c->lineno, OPTIONS_INI_MAX_BYTES);
        return NULL;
    }
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
        if (!setting_known_section(sec)) {
            char what[128];
            join_or(what, sizeof what, setting_sections, "[", "]");
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

/* A key given twice in one file: -1 with e naming both lines. */
static int check_duplicate(ini_ctx_t *c, const char *section, const char *name)
{
    for (int i = 0; i < c->nseen; i++)
        if (!strcmp(c->seen[i].section, section) && !strcmp(c->seen[i].name, name))
            return err_set(c->e, "%s:%d: [%s] %s: duplicate key, already given on line %d "
                           "(each key may appear once per file)", c->path, c->lineno, section,
                           name, c->seen[i].line);
    c->seen = xrealloc(c->seen, (size_t)(c->nseen + 1) * sizeof *c->seen);
    c->seen[c->nseen++] = (struct seen){xstrdup(section), xstrdup(name), c->lineno};
    return 0;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx_t *c = user;
    if (c->failed)
        return 0;
    if (check_duplicate(c, section ? section : "", name ? name : "") ||
        options_set_ini(c->o, section, name, value, c->path, c->lineno, c->e)) {
        c->failed = 1;
        return 0;
    }
    return 1;
}

int options_load_ini(options_t *o, const char *path, err_t *e)
{
    FILE *fp = fopen_regular(path, "config file", OPTIONS_INI_MAX_BYTES, NULL, e);
    if (!fp)
        return -1;
    ini_ctx_t c = {.o = o, .path = path, .fp = fp, .e = e};
    int r = ini_parse_stream(read_line, &c, on_key, &c);
    free(c.buf);
    for (int i = 0; i < c.nseen; i++)
        free(c.seen[i].section), free(c.seen[i].name);
    free(c.seen);
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

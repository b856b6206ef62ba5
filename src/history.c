/* history.c - history.csv through libcsv. */
#include "history.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Writes one field, quoted by libcsv only when it needs quoting. */
static void put_field(FILE *fp, const char *s, int first)
{
    if (!first)
        fputc(',', fp);
    if (strpbrk(s, ",\"\r\n") || (*s && (s[0] == ' ' || s[strlen(s) - 1] == ' ')))
        csv_fwrite(fp, s, strlen(s));
    else
        fputs(s, fp);
}

static void header_line(char *buf, size_t len, const char *const *cols, int ncols)
{
    FILE *mem = fmemopen(buf, len, "w");
    if (!mem) {
        buf[0] = 0;
        return;
    }
    for (int i = 0; i < ncols; i++)
        put_field(mem, cols[i], i == 0);
    fputc('\n', mem);
    fclose(mem);
}

static int same_header(const char *path, const char *header)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    size_t len = strlen(header);
    char *line = xmalloc(len + 2);
    int same = fgets(line, (int)len + 2, fp) && !strcmp(line, header);
    free(line);
    fclose(fp);
    return same;
}

int history_open(history_t *h, const char *dir, const char *const *cols, int ncols,
                 int append, err_t *e)
{
    memset(h, 0, sizeof *h);
    if (snprintf(h->path, sizeof h->path, "%s/history.csv", dir) >= (int)sizeof h->path)
        return err_set(e, "%s: output directory name too long", dir);
    h->ncols = ncols;
    size_t cap = 64 * (size_t)ncols + 64;
    char *header = xmalloc(cap);
    header_line(header, cap, cols, ncols);
    int keep = append && same_header(h->path, header);
    h->fp = fopen(h->path, keep ? "a" : "w");
    if (!h->fp) {
        free(header);
        return err_set(e, "%s: cannot open for writing: %s", h->path, strerror(errno));
    }
    if (!keep)
        fputs(header, h->fp);
    free(header);
    if (fflush(h->fp))
        return err_set(e, "%s: write failed: %s", h->path, strerror(errno));
    return 0;
}

int history_write(history_t *h, const double *vals, err_t *e)
{
    for (int i = 0; i < h->ncols; i++) {
        if (i)
            fputc(',', h->fp);
        double v = vals[i];
        if (v == floor(v) && fabs(v) < 1e15)
            fprintf(h->fp, "%.0f", v);
        else
            fprintf(h->fp, "%.6g", v);
    }
    fputc('\n', h->fp);
    if (fflush(h->fp) || ferror(h->fp))
        return err_set(e, "%s: write failed: %s", h->path, strerror(errno));
    return 0;
}

void history_close(history_t *h)
{
    if (h->fp)
        fclose(h->fp);
    h->fp = NULL;
}

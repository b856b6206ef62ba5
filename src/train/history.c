/* history.c - history.csv through libcsv. */
#include "train/history.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A data row whose first field, the epoch, is above after. */
static int row_after(const char *line, int after)
{
    char *end;
    double epoch = strtod(line, &end);
    return end != line && *end == ',' && epoch > after;
}

/* Rewrites path without the rows of epochs above after (through a
 * temporary file and a rename); leaves it alone when there are none. */
static int drop_later_rows(const char *path, int after, err_t *e)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return err_set(e, "%s: cannot read: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int later = 0;
    for (int row = 0; getline(&line, &cap, in) > 0; row++)
        later += row > 0 && row_after(line, after);
    int rc = 0;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = later ? fopen(tmp, "w") : NULL;
    if (later && !out)
        rc = err_set(e, "%s: cannot create: %s", tmp, strerror(errno));
    rewind(in);
    for (int row = 0; out && getline(&line, &cap, in) > 0; row++)
        if (row == 0 || !row_after(line, after))
            fputs(line, out);
    free(line);
    fclose(in);
    if (out && (ferror(out) | fclose(out)))
        rc = err_set(e, "%s: write failed: %s", tmp, strerror(errno));
    if (!rc && later && rename(tmp, path))
        rc = err_set(e, "%s: cannot replace: %s", path, strerror(errno));
    if (rc && later)
        unlink(tmp);
    return rc;
}

int history_open(history_t *h, const char *dir, const char *const *cols, int ncols,
                 int after_epoch, err_t *e)
{
    memset(h, 0, sizeof *h);
    if (snprintf(h->path, sizeof h->path, "%s/history.csv", dir) >= (int)sizeof h->path)
        return err_set(e, "%s: output directory name too long", dir);
    h->ncols = ncols;
    size_t cap = 64 * (size_t)ncols + 64;
    char *header = xmalloc(cap);
    header_line(header, cap, cols, ncols);
    int keep = after_epoch >= 0 && same_header(h->path, header);
    if (keep && drop_later_rows(h->path, after_epoch, e)) {
        free(header);
        return -1;
    }
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

typedef struct {
    const char *const *want;
    int nwant;
    int map[512];          /* column index -> wanted index, or -1 */
    int col, row, ncols;   /* parse position; row 0 is the header */
    double **cols;
    int cap;
} reader_t;

static void on_field(void *s, size_t len, void *user)
{
    reader_t *r = user;
    char buf[128];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1),
             (const char *)s);
    if (r->col < 512 && r->row == 0) {
        r->map[r->col] = -1;
        for (int j = 0; j < r->nwant; j++)
            if (!strcmp(buf, r->want[j]))
                r->map[r->col] = j;
    } else if (r->col < r->ncols && r->map[r->col] >= 0) {
        char *end;
        double v = strtod(buf, &end);
        r->cols[r->map[r->col]][r->row - 1] = *end || end == buf ? NAN : v;
    }
    r->col++;
}

static void on_row(int c, void *user)
{
    (void)c;
    reader_t *r = user;
    if (r->row == 0)
        r->ncols = r->col < 512 ? r->col : 512;
    r->row++;
    r->col = 0;
    if (r->row > r->cap) {
        int old = r->cap;
        r->cap = r->cap ? 2 * r->cap : 64;
        for (int j = 0; j < r->nwant; j++) {
            r->cols[j] = xrealloc(r->cols[j], sizeof(double) * r->cap);
            for (int i = old; i < r->cap; i++)
                r->cols[j][i] = NAN;
        }
    }
}

int history_read(const char *path, const char *const *want, int nwant, double **cols,
                 int *rows, err_t *e)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return err_set(e, "%s: cannot open: %s", path, strerror(errno));
    reader_t r = {.want = want, .nwant = nwant, .cols = cols};
    for (int j = 0; j < nwant; j++)
        cols[j] = NULL;
    on_row(0, &r); /* allocate */
    r.row = 0;
    struct csv_parser p;
    csv_init(&p, 0);
    char buf[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        if (csv_parse(&p, buf, n, on_field, on_row, &r) != n) {
            rc = err_set(e, "%s: not valid CSV: %s", path, csv_strerror(csv_error(&p)));
            break;
        }
    csv_fini(&p, on_field, on_row, &r);
    csv_free(&p);
    fclose(fp);
    *rows = r.row > 0 ? r.row - 1 : 0;
    return rc;
}

/* openset.c - the unseen kinds of a run: --holdout_classes and --ood_data
 * (data_select.h). */
#include "data/data_select.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define OOD_IMG 3072  /* 3 x 32 x 32 */
#define OOD_REC 3073  /* CIFAR-10 record: label byte, then the image */

/* ---- --holdout_classes ---------------------------------------------------- */

int holdout_parse(const char *spec, char *const *names, int k, int *held, err_t *e)
{
    const char *const *cnames = (const char *const *)names;
    int nheld = dataset_parse_classes("--holdout_classes", spec, cnames, k, held, e);
    if (nheld < 0)
        return -1;
    if (k - nheld < 2)
        return dataset_classes_error(e, "--holdout_classes",
                                     k == nheld ? "holds out every category (at least 2 must "
                                                  "stay to train on):"
                                                : "leaves one category (at least 2 must stay "
                                                  "to train on):",
                                     spec, cnames, k);
    return 0;
}

/* The images of d whose class is held (want_held) or kept, with the kept
 * classes' names; kept labels are renumbered by map, held ones become 0. */
static void select_classes(const dataset_t *d, const int *map, int knew, char *const *kept,
                           int want_held, dataset_t *out)
{
    int *idx = xmalloc(sizeof(int) * (size_t)(d->n ? d->n : 1)), m = 0;
    for (int i = 0; i < d->n; i++)
        if ((map[d->labels[i]] < 0) == want_held)
            idx[m++] = i;
    dataset_t plain = *d;
    plain.class_names = NULL;
    dataset_take(&plain, idx, m, out);
    free(idx);
    for (int i = 0; i < m; i++)
        out->labels[i] = want_held ? 0 : (uint8_t)map[out->labels[i]];
    out->k = knew;
    out->class_names = dataset_copy_names((const char *const *)kept, knew);
}

int holdout_apply(const char *spec, dataset_t *train, dataset_t *test, dataset_t *unseen,
                  char *desc, size_t desclen, err_t *e)
{
    int k = train->k, held[DATASET_MAX_CLASSES], map[DATASET_MAX_CLASSES], knew = 0;
    if (holdout_parse(spec, train->class_names, k, held, e))
        return -1;
    char *kept[DATASET_MAX_CLASSES];
    size_t len = 0;
    desc[0] = 0;
    for (int c = 0; c < k; c++) {
        map[c] = held[c] ? -1 : knew;
        if (!held[c])
            kept[knew++] = train->class_names[c];
        else if (len < desclen)
            len += (size_t)snprintf(desc + len, desclen - len, "%s%s", len ? "," : "",
                                    train->class_names[c]);
    }
    dataset_t tr, te;
    select_classes(train, map, knew, kept, 0, &tr);
    select_classes(test, map, knew, kept, 0, &te);
    select_classes(test, map, knew, kept, 1, unseen);
    dataset_free(train);
    dataset_free(test);
    *train = tr;
    *test = te;
    return 0;
}

/* ---- --ood_data ---------------------------------------------------------- */

/* Appends m images (OOD_IMG bytes each, label 0) to d. */
static void append_images(dataset_t *d, const uint8_t *px, int m)
{
    d->pixels = xrealloc(d->pixels, (size_t)(d->n + m) * OOD_IMG);
    d->labels = xrealloc(d->labels, (size_t)(d->n + m) ? (size_t)(d->n + m) : 1);
    memcpy(d->pixels + (size_t)d->n * OOD_IMG, px, (size_t)m * OOD_IMG);
    memset(d->labels + d->n, 0, (size_t)m);
    d->n += m;
}

static int read_cifar_file(const char *path, long size, dataset_t *d, err_t *e)
{
    if (size == 0 || size % OOD_REC)
        return err_set(e, "--ood_data %s: %ld bytes is not a whole number of CIFAR-10 records "
                          "(%d bytes each: a label byte, then a 32x32 RGB image of %d bytes)",
                       path, size, OOD_REC, OOD_IMG);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return err_set(e, "--ood_data %s: cannot open: %s", path, strerror(errno));
    long nrec = size / OOD_REC;
    uint8_t *rec = xmalloc((size_t)nrec * OOD_REC);
    size_t got = fread(rec, OOD_REC, (size_t)nrec, fp);
    fclose(fp);
    if (got != (size_t)nrec) {
        free(rec);
        return err_set(e, "--ood_data %s: short read at record %zu of %ld", path, got, nrec);
    }
    for (long r = 0; r < nrec; r++) /* drop the label bytes */
        memmove(rec + r * OOD_IMG, rec + r * OOD_REC + 1, OOD_IMG);
    append_images(d, rec, (int)nrec);
    free(rec);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_png_ext(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && !strcasecmp(name + n - 4, ".png");
}

/* Every PNG under dir (sub-folders too, names in strcmp order; names
 * starting with '.' skipped), appended to d. */
static int read_png_tree(const char *dir, dataset_t *d, int depth, err_t *e)
{
    if (depth > 32)
        return err_set(e, "--ood_data: folders nested too deep at '%s'", dir);
    DIR *dp = opendir(dir);
    if (!dp)
        return err_set(e, "--ood_data %s: cannot open folder: %s", dir, strerror(errno));
    char **names = NULL;
    int n = 0, cap = 0, rc = 0;
    for (struct dirent *de; (de = readdir(dp));) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap)
            names = xrealloc(names, sizeof *names * (size_t)(cap = cap ? 2 * cap : 64));
        names[n++] = xstrdup(de->d_name);
    }
    closedir(dp);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        uint8_t px[OOD_IMG];
        if (rc || stat(path, &st))
            ;
        else if (S_ISDIR(st.st_mode))
            rc = read_png_tree(path, d, depth + 1, e);
        else if (has_png_ext(names[i])) {
            if (folder_read_png(path, px, e)) {
                err_t why = *e;
                rc = err_set(e, "--ood_data: %s (the model's input is 32x32 RGB)", why.msg);
            }
            else
                append_images(d, px, 1);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int ood_load(const char *path, dataset_t *d, err_t *e)
{
    struct stat st;
    if (stat(path, &st))
        return err_set(e, "--ood_data %s: %s (expected a CIFAR-10 format binary file or a "
                          "folder of 32x32 PNG images)", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        int before = d->n;
        if (read_png_tree(path, d, 0, e))
            return -1;
        if (d->n == before)
            return err_set(e, "--ood_data %s: no .png files in this folder or below it "
                              "(expected 32x32 PNG images)", path);
        return 0;
    }
    return read_cifar_file(path, (long)st.st_size, d, e);
}

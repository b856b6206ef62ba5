/* dataset.c - image sets in memory: copies, subsets, splits, statistics and
 * the batch builder with its augmentation (random translation with zero or
 * mirrored padding in normalised space; random or alternating flips). */
#include "data/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void dataset_free(dataset_t *d)
{
    if (!d)
        return;
    if (d->class_names) {
        for (int i = 0; i < d->k; i++)
            free(d->class_names[i]);
        free(d->class_names);
    }
    free(d->pixels);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

int dataset_name_classes(const char *path, int k, const char *what,
                         const char *const *defaults, dataset_t *train, dataset_t *test,
                         err_t *e)
{
    char **names = NULL;
    int r = dataset_read_names(path, k, what, &names, e);
    if (r < 0)
        return -1;
    if (r == 1)
        names = dataset_copy_names(defaults, k);
    train->k = test->k = k;
    train->class_names = names;
    test->class_names = dataset_copy_names((const char *const *)names, k);
    return 0;
}

int dataset_read_records(const char *path, const record_format_t *f, uint8_t **buf,
                         long long *nrec, err_t *e)
{
    *buf = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return err_set(e, "cannot open %s file '%s': %s", f->what, path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st)) {
        int er = errno;
        fclose(fp);
        return err_set(e, "cannot stat %s file '%s': %s", f->what, path, strerror(er));
    }
    if (!S_ISREG(st.st_mode)) {
        fclose(fp);
        return err_set(e, "%s file '%s' is not a regular file", f->what, path);
    }
    long long size = (long long)st.st_size;
    if (size == 0 || size % (long long)f->bytes != 0) {
        fclose(fp);
        char why[128];
        snprintf(why, sizeof why, "the file is truncated or not a %s %s", f->what, f->kind);
        return err_set(e, "%s file '%s' has size %lld bytes: expected a multiple of "
                          "%zu-byte records (%s) (%s)",
                       f->what, path, size, f->bytes, f->layout,
                       size == 0 ? "the file is empty" : why);
    }
    *buf = xmalloc((size_t)size);
    size_t got = fread(*buf, 1, (size_t)size, fp);
    int er = ferror(fp) ? errno : 0;
    fclose(fp);
    if (got == (size_t)size) {
        *nrec = size / (long long)f->bytes;
        return 0;
    }
    free(*buf);
    *buf = NULL;
    if (er)
        return err_set(e, "error reading %s file '%s': %s", f->what, path, strerror(er));
    return err_set(e, "%s file '%s': short read (%zu of %lld bytes)", f->what, path, got, size);
}

int dataset_classes_error(err_t *e, const char *flag, const char *what, const char *tok,
                          const char *const *names, int k)
{
    char list[2048];
    size_t len = 0;
    for (int c = 0; c < k && len < sizeof list - 80; c++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%d=%.64s", c ? ", " : "", c,
                                names[c]);
    return err_set(e, "%s: %s '%s'; valid categories (name or index): %s", flag, what, tok,
                   list);
}

/* The category tok names (a name, else an index), or -1. */
static int find_class(const char *tok, const char *const *names, int k)
{
    for (int c = 0; c < k; c++)
        if (!strcmp(tok, names[c]))
            return c;
    long v;
    if (parse_int(tok, 0, k - 1, &v) == 0)
        return (int)v;
    return -1;
}

int dataset_parse_classes(const char *flag, const char *spec, const char *const *names, int k,
                          int *chosen, err_t *e)
{
    memset(chosen, 0, sizeof(int) * (size_t)k);
    char buf[1024], tok[128];
    snprintf(buf, sizeof buf, "%s", spec);
    int n = 0;
    for (const char *p = buf;;) {
        size_t len = strcspn(p, ",");
        snprintf(tok, sizeof tok, "%.*s", (int)(len < sizeof tok ? len : sizeof tok - 1), p);
        if (!*tok)
            return dataset_classes_error(e, flag, "empty entry in", spec, names, k);
        int c = find_class(tok, names, k);
        if (c < 0)
            return dataset_classes_error(e, flag, "unknown category", tok, names, k);
        if (chosen[c])
            return dataset_classes_error(e, flag, "category given twice:", tok, names, k);
        chosen[c] = 1;
        n++;
        p += len;
        if (!*p++)
            break;
    }
    return n;
}

int dataset_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int dataset_read_names(const char *path, int k, const char *what, char ***names_out,
                       err_t *e)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (errno == ENOENT)
            return 1;
        return err_set(e, "cannot open %s file '%s': %s", what, path, strerror(errno));
    }
    char **names = xcalloc((size_t)k, sizeof *names);
    int count = 0, lineno = 0, rc = 0;
    int blank_after = 0; /* a blank line seen after the last name */
    char line[1024];
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(fp)) {
            rc = err_set(e, "%s:%d: line too long for a class name", path, lineno);
            break;
        }
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        len = strlen(s);
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
                           s[len - 1] == '\t'))
            s[--len] = 0;
        if (len == 0) {
            blank_after = 1;
            continue;
        }
        if (blank_after || count >= k) {
            rc = err_set(e,
                         "%s:%d: expected exactly %d non-empty class names, one per line "
                         "(blank lines only at the end)",
                         path, lineno, k);
            break;
        }
        names[count++] = xstrdup(s);
    }
    if (!rc && ferror(fp))
        rc = err_set(e, "error reading %s file '%s': %s", what, path, strerror(errno));
    fclose(fp);
    if (!rc && count != k)
        rc = err_set(e, "%s: found %d class names, expected exactly %d (one per line)", path,
                     count, k);
    if (rc) {
        for (int i = 0; i < k; i++)
            free(names[i]);
        free(names);
        return -1;
    }
    *names_out = names;
    return 0;
}

char **dataset_copy_names(const char *const *names, int k)
{
    char **c = xcalloc((size_t)k, sizeof *c);
    for (int i = 0; i < k; i++)
        c[i] = xstrdup(names[i]);
    return c;
}

/* dst must not alias src; dst's previous content is not freed. */
void dataset_take(const dataset_t *src, const int *idx, int m, dataset_t *dst)
{
    size_t img = (size_t)src->c * (size_t)src->h * (size_t)src->w;
    if (m < 0)
        m = 0;
    dataset_t t;
    memset(&t, 0, sizeof t);
    t.n = m;
    t.c = src->c;
    t.h = src->h;
    t.w = src->w;
    t.k = src->k;
    t.pixels = xmalloc((size_t)m * img);
    t.labels = xmalloc((size_t)m);
    for (int i = 0; i < m; i++) {
        memcpy(t.pixels + (size_t)i * img, src->pixels + (size_t)idx[i] * img, img);
        t.labels[i] = src->labels[idx[i]];
    }
    if (src->class_names) {
        t.class_names = xcalloc((size_t)(src->k > 0 ? src->k : 1), sizeof *t.class_names);
        for (int i = 0; i < src->k; i++)
            t.class_names[i] = src->class_names[i] ? xstrdup(src->class_names[i]) : NULL;
    }
    *dst = t;
}

void dataset_balanced_subset(const dataset_t *src, int n, dataset_t *dst)
{
    int k = src->k > 0 ? src->k : 1;
    int per = n > 0 ? n / k : 0;
    int taken[256] = {0};
    int *idx = xmalloc((size_t)(src->n > 0 ? src->n : 1) * sizeof *idx);
    int m = 0;
    for (int i = 0; i < src->n; i++) {
        int l = src->labels[i];
        if (taken[l] < per) {
            taken[l]++;
            idx[m++] = i;
        }
    }
    dataset_take(src, idx, m, dst);
    free(idx);
}

void dataset_split_stratified(const dataset_t *src, int nval, uint64_t seed,
                              dataset_t *train, dataset_t *val)
{
    int n = src->n;
    if (nval < 0)
        nval = 0;
    if (nval > n)
        nval = n;

    /* per-class quota: floor of the proportional share, then the leftover
     * goes one each to the classes with the largest remainders (ties: the
     * lower class index), so the quotas sum to exactly nval */
    long long cnt[256] = {0}, quota[256] = {0}, rem[256] = {0};
    for (int i = 0; i < n; i++)
        cnt[src->labels[i]]++;
    long long assigned = 0;
    for (int c = 0; c < 256; c++) {
        if (!cnt[c])
            continue;
        quota[c] = (long long)nval * cnt[c] / n;
        rem[c] = (long long)nval * cnt[c] % n;
        assigned += quota[c];
    }
    for (long long left = nval - assigned; left > 0; left--) {
        int best = -1;
        for (int c = 0; c < 256; c++)
            if (rem[c] > 0 && (best < 0 || rem[c] > rem[best]))
                best = c;
        if (best < 0)
            break; /* cannot happen: the remainders sum to left * n */
        quota[best]++;
        rem[best] = 0;
    }

    /* walk the images in a seeded random order; each goes to val while its
     * class quota is not filled */
    int *perm = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *perm);
    uint8_t *to_val = xcalloc((size_t)(n > 0 ? n : 1), 1);
    for (int i = 0; i < n; i++)
        perm[i] = i;
    rng_t r;
    rng_seed(&r, seed);
    rng_shuffle(&r, perm, n);
    long long got[256] = {0};
    for (int j = 0; j < n; j++) {
        int i = perm[j], l = src->labels[i];
        if (got[l] < quota[l]) {
            got[l]++;
            to_val[i] = 1;
        }
    }

    /* both parts keep the file order */
    int *ti = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *ti);
    int *vi = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *vi);
    int nt = 0, nv = 0;
    for (int i = 0; i < n; i++) {
        if (to_val[i])
            vi[nv++] = i;
        else
            ti[nt++] = i;
    }
    dataset_take(src, ti, nt, train);
    dataset_take(src, vi, nv, val);
    free(ti);
    free(vi);
    free(perm);
    free(to_val);
}

void dataset_channel_stats(const dataset_t *d, float mean[3], float std[3])
{
    int nc = d->c < 3 ? d->c : 3;
    size_t plane = (size_t)d->h * (size_t)d->w;
    size_t img = (size_t)d->c * plane;
    for (int c = 0; c < 3; c++) {
        mean[c] = 0.0f;
        std[c] = 0.0f;
    }
    if (d->n <= 0 || plane == 0)
        return;
    for (int c = 0; c < nc; c++) {
        /* exact integer sums per image, accumulated in double */
        double s = 0.0, s2 = 0.0;
        for (int i = 0; i < d->n; i++) {
            const uint8_t *p = d->pixels + (size_t)i * img + (size_t)c * plane;
            uint64_t a = 0, a2 = 0;
            for (size_t j = 0; j < plane; j++) {
                a += p[j];
                a2 += (uint64_t)p[j] * p[j];
            }
            s += (double)a;
            s2 += (double)a2;
        }
        double cnt = (double)d->n * (double)plane;
        double m = s / cnt;
        double var = s2 / cnt - m * m;
        if (var < 0.0)
            var = 0.0;
        mean[c] = (float)(m / 255.0);
        std[c] = (float)(sqrt(var) / 255.0);
    }
}

int augment_flip_bit(uint64_t flip_key, int j)
{
    uint64_t z = flip_key + 0x9E3779B97F4A7C15ULL * ((uint64_t)j + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (int)((z ^ (z >> 31)) & 1);
}

/* Source coordinate of s (which may lie up to pad outside [0, n)): itself,
 * its mirror at the edge (reflect) or -1 (zero padding). */
static int source_coord(int s, int n, int reflect)
{
    if (s >= 0 && s < n)
        return s;
    if (!reflect)
        return -1;
    return s < 0 ? -s : 2 * (n - 1) - s;
}

/* Image src (C planes of H x W) into dst through the lookup tables:
 * output pixel (y, x) is source pixel (y + dy, x' + dx) with x' = x, or
 * x' = W-1-x when flipped (crop, then mirror). */
static void place_image(const uint8_t *src, float *dst, int C, int H, int W,
                        const float lut[][256], int dx, int dy, int flip, int reflect)
{
    size_t plane = (size_t)H * (size_t)W;
    int cols[W];
    for (int x = 0; x < W; x++)
        cols[x] = source_coord((flip ? W - 1 - x : x) + dx, W, reflect);
    for (int c = 0; c < C; c++) {
        const uint8_t *s = src + (size_t)c * plane;
        float *o = dst + (size_t)c * plane;
        for (int y = 0; y < H; y++) {
            int sy = source_coord(y + dy, H, reflect);
            float *orow = o + (size_t)y * W;
            if (sy < 0) {
                for (int x = 0; x < W; x++)
                    orow[x] = 0.0f;
                continue;
            }
            const uint8_t *srow = s + (size_t)sy * W;
            for (int x = 0; x < W; x++)
                orow[x] = cols[x] < 0 ? 0.0f : lut[c][srow[cols[x]]];
        }
    }
}

void tta_view(const float *in, float *out, int b, int dx, int dy, int flip)
{
    enum { S = 32 };
    int cols[S];
    for (int x = 0; x < S; x++)
        cols[x] = source_coord((flip ? S - 1 - x : x) + dx, S, 1);
    for (int p = 0; p < b * 3; p++) {
        const float *src = in + (size_t)p * S * S;
        float *dst = out + (size_t)p * S * S;
        for (int y = 0; y < S; y++) {
            const float *row = src + (size_t)source_coord(y + dy, S, 1) * S;
            for (int x = 0; x < S; x++)
                dst[y * S + x] = row[cols[x]];
        }
    }
}

/* Per image the rng is drawn in this order: dx, dy (each uniform in
 * [-pad, pad]), then flip (rng_below(2)), always three draws; a source
 * position outside the image gives 0 (normalised) or its mirror. */
void dataset_make_batch_aug(const dataset_t *d, const int *idx, int b,
                            const float mean[3], const float std[3],
                            const augment_t *aug, rng_t *rng, float *out,
                            int *labels_out)
{
    int C = d->c < 3 ? d->c : 3, H = d->h, W = d->w;
    size_t img = (size_t)d->c * H * W;
    float lut[3][256];
    for (int c = 0; c < C; c++)
        for (int v = 0; v < 256; v++)
            lut[c][v] = ((float)v / 255.0f - mean[c]) / std[c];
    int pad = aug && aug->pad > 0 ? aug->pad : 0;
    if (aug && aug->reflect && (pad > H - 1 || pad > W - 1))
        pad = (H < W ? H : W) - 1; /* a mirror reaches one image across */

    for (int i = 0; i < b; i++) {
        const uint8_t *src = d->pixels + (size_t)idx[i] * img;
        float *dst = out + (size_t)i * (size_t)C * H * W;
        if (labels_out)
            labels_out[i] = d->labels[idx[i]];
        int dx = 0, dy = 0, flip = 0;
        if (aug) {
            dx = (int)rng_below(rng, (uint32_t)(2 * pad + 1)) - pad;
            dy = (int)rng_below(rng, (uint32_t)(2 * pad + 1)) - pad;
            flip = (int)rng_below(rng, 2);
            if (aug->flip == FLIP_NONE)
                flip = 0;
            else if (aug->flip == FLIP_ALTERNATE)
                flip = (augment_flip_bit(aug->flip_key, idx[i]) + aug->epoch) & 1;
        }
        place_image(src, dst, C, H, W, (const float (*)[256])lut, dx, dy, flip,
                    aug && aug->reflect);
    }
}

void dataset_make_batch(const dataset_t *d, const int *idx, int b,
                        const float mean[3], const float std[3],
                        int pad, rng_t *rng, float *out, int *labels_out)
{
    augment_t aug = {.pad = pad, .flip = FLIP_RANDOM};
    dataset_make_batch_aug(d, idx, b, mean, std, rng ? &aug : NULL, rng, out, labels_out);
}

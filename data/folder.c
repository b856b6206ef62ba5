/* folder.c - a folder tree of 32x32 PNG images as a data set.
 *
 * Layout: root/<class>/<image>.png. The classes are the sub-directories of
 * root in strcmp order (label = index in that order); the images of a class
 * are its files whose name ends in ".png" (any case), in strcmp order of the
 * file names. Names starting with '.' (hidden files, editor and OS litter)
 * are skipped everywhere; other files are ignored (README.txt, labels.csv,
 * ...) and so are sub-directories inside a class folder.
 *
 * Pixels: each PNG is read by image_read() (data/image_decode.c, which
 * also reads a JPEG by its first bytes) with libpng's simplified API as 8-bit
 * RGB, whatever its colour type and bit depth: grey is replicated to R=G=B,
 * palettes are expanded, 16-bit samples are reduced to 8 bits. An alpha
 * channel (or tRNS transparency) is removed by compositing onto black in
 * the 8-bit sRGB values, as most image tools do: value = round(v * a / 255)
 * for colour v and alpha a (transparent pixels become 0, opaque ones keep
 * their colour exactly). libpng's own compositing (in linear light) is not
 * used, so the result is exact and easy to reproduce. 16-bit files
 * without gAMA/sRGB information are taken as sRGB-encoded, like 8-bit ones
 * (PNG_IMAGE_FLAG_16BIT_sRGB), not as linear light. The image is read as
 * interleaved 8-bit RGBA and stored as the R, G, B planes of dataset_t.
 *
 * Test split: when root holds the two folders train/ and test/ (and no other
 * folder), each is a tree as above and both must have the same class set.
 * Otherwise the whole tree is the training set and floor(n/6) images are
 * held out as the test set with dataset_split_stratified(seed): per class
 * in proportion, drawn in a seeded random order, both parts keeping the
 * class/file order. At least 6 images are needed then.
 */
#include "data/dataset.h"
#include "data/image_decode.h"

#include "base/file.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define IMG_C 3
#define IMG_H 32
#define IMG_W 32
#define IMG_PIX (IMG_C * IMG_H * IMG_W) /* 3072 */

static const char *const layout_hint =
    "expected root/<class>/*.png (one sub-directory of 32x32 PNG images per class), "
    "or root/train/<class>/*.png and root/test/<class>/*.png";

typedef struct {
    char *name;   /* the class folder's name */
    char *dir;    /* its path */
    char **files; /* paths of its PNG files, sorted by file name */
    int nfiles;
} fclass_t;

typedef struct {
    fclass_t *cls;
    int k;
} ftree_t;

typedef struct {
    char **v;
    int n, cap;
} strlist_t;

static void strlist_push(strlist_t *l, char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
    }
    l->v[l->n++] = s;
}

static void strlist_free(strlist_t *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = xmalloc(a + b + 2);
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

/* Copies s into out (size n), with control characters (below 0x20, and
 * 0x7f) written as \xNN, so a message never carries them raw. Truncates
 * with "..." when out is too small. */
static const char *printable(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[8];
        int len;
        if (c < 0x20 || c == 0x7f)
            len = snprintf(tmp, sizeof tmp, "\\x%02x", c);
        else {
            tmp[0] = (char)c;
            len = 1;
        }
        if (o + (size_t)len + 4 > n) {
            memcpy(out + o, "...", 4);
            return out;
        }
        memcpy(out + o, tmp, (size_t)len);
        o += (size_t)len;
    }
    out[o] = 0;
    return out;
}

/* Non-hidden entry names of dir, sorted. 0, or -1 with e set. */
static int list_dir(const char *dir, strlist_t *out, err_t *e)
{
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d)
        return err_set(e, "cannot open folder '%s': %s", dir, strerror(errno));
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] != '.')
            strlist_push(out, xstrdup(de->d_name));
        errno = 0;
    }
    int er = errno;
    closedir(d);
    if (er) {
        strlist_free(out);
        return err_set(e, "error reading folder '%s': %s", dir, strerror(er));
    }
    if (out->n > 1)
        qsort(out->v, (size_t)out->n, sizeof *out->v, cmp_str);
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_png_ext(const char *name)
{
    size_t len = strlen(name);
    return len > 4 && strcasecmp(name + len - 4, ".png") == 0;
}

static void tree_free(ftree_t *t)
{
    for (int i = 0; i < t->k; i++) {
        fclass_t *c = &t->cls[i];
        for (int j = 0; j < c->nfiles; j++)
            free(c->files[j]);
        free(c->files);
        free(c->name);
        free(c->dir);
    }
    free(t->cls);
    memset(t, 0, sizeof *t);
}

/* Checks a class folder's name: no comma, no control character. */
static int check_class_name(const char *dir, const char *name, err_t *e)
{
    const char *bad = NULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == ',') {
            bad = "a comma";
            break;
        }
        if (*p < 0x20 || *p == 0x7f) {
            bad = "a control character";
            break;
        }
    }
    if (!bad)
        return 0;
    char pd[512];
    return err_set(e,
                   "class folder '%s': its name contains %s; class names must not "
                   "contain commas or control characters (rename the folder)",
                   printable(dir, pd, sizeof pd), bad);
}

/* Lists the classes of root (its sub-directories) and their PNG files. */
static int scan_tree(const char *root, ftree_t *t, err_t *e)
{
    memset(t, 0, sizeof *t);
    strlist_t ents;
    if (list_dir(root, &ents, e))
        return -1;
    int rc = 0;
    t->cls = xcalloc((size_t)(ents.n > 0 ? ents.n : 1), sizeof *t->cls);
    for (int i = 0; i < ents.n && !rc; i++) {
        char *dir = join(root, ents.v[i]);
        if (!is_dir(dir)) {
            free(dir);
            continue;
        }
        if (check_class_name(dir, ents.v[i], e)) {
            free(dir);
            rc = -1;
            break;
        }
        fclass_t *c = &t->cls[t->k++];
        c->name = xstrdup(ents.v[i]);
        c->dir = dir;

        strlist_t files;
        if (list_dir(dir, &files, e)) {
            rc = -1;
            break;
        }
        strlist_t pngs = {0};
        int subdirs = 0;
        for (int j = 0; j < files.n; j++) {
            char *p = join(dir, files.v[j]);
            struct stat st;
            if (!has_png_ext(files.v[j])) {
                if (is_dir(p))
                    subdirs++;
                free(p);
                continue;
            }
            if (stat(p, &st)) {
                rc = err_set(e, "cannot stat PNG file '%s': %s", p, strerror(errno));
                free(p);
                break;
            }
            if (!S_ISREG(st.st_mode)) {
                rc = err_set(e, "PNG file '%s' is not a regular file", p);
                free(p);
                break;
            }
            strlist_push(&pngs, p);
        }
        strlist_free(&files);
        c->files = pngs.v;
        c->nfiles = pngs.n;
        if (rc)
            break;
        if (c->nfiles == 0)
            rc = err_set(e,
                         "class folder '%s' holds no .png files: every class folder needs "
                         "at least one 32x32 PNG image%s",
                         dir,
                         subdirs ? " (it holds sub-directories: is the data set's root "
                                   "one level further down?)"
                                 : "");
    }
    strlist_free(&ents);
    if (!rc && t->k < 2)
        rc = err_set(e, "image folder '%s' has %d class folder%s: at least 2 are needed (%s)",
                     root, t->k, t->k == 1 ? "" : "s", layout_hint);
    if (!rc && t->k > DATASET_MAX_CLASSES)
        rc = err_set(e, "image folder '%s' has %d class folders: at most %d classes are "
                        "supported",
                     root, t->k, DATASET_MAX_CLASSES);
    if (rc)
        tree_free(t);
    return rc;
}

/* A file libpng would only call a "Read Error": empty, not a regular
 * file, or without the PNG signature (a JPEG with a .png name is read as
 * JPEG: image_read()). */
static int png_precheck(const char *path, err_t *e)
{
    unsigned char head[8];
    FILE *fp = fopen_regular(path, "PNG file", (size_t)1 << 30, NULL, e);
    if (!fp)
        return -1;
    size_t n = fread(head, 1, sizeof head, fp);
    fclose(fp);
    if (n == 0)
        return err_set(e, "PNG file '%s' is empty (0 bytes), not a PNG image", path);
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    int png = n == sizeof head && !memcmp(head, png_sig, sizeof png_sig);
    int jpeg = n >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff;
    if (!png && !jpeg)
        return err_set(e, "PNG file '%s' is not a PNG image (it does not start with the PNG "
                          "signature)", path);
    return 0;
}

/* Reads one PNG (or JPEG) into dst as R, G, B planes of 32 x 32 (dataset.h). */
int folder_read_png(const char *path, uint8_t *dst, err_t *e)
{
    if (png_precheck(path, e))
        return -1;
    rgb_image_t im;
    if (image_read(path, &im, e))
        return -1;
    if (im.w != IMG_W || im.h != IMG_H) {
        err_set(e, "PNG file '%s' is %dx%d pixels (width x height): expected 32x32", path,
                im.w, im.h);
        rgb_image_free(&im);
        return -1;
    }
    image_resize_planes(&im, 0, IMG_W, IMG_H, dst); /* same size: a plain copy */
    rgb_image_free(&im);
    return 0;
}

/* Reads every image of t into d (zero-initialised), class names included. */
static int load_tree(const ftree_t *t, const char *root, dataset_t *d, err_t *e)
{
    long long n = 0;
    for (int i = 0; i < t->k; i++)
        n += t->cls[i].nfiles;
    if (n > INT_MAX)
        return err_set(e, "image folder '%s': too many images (%lld)", root, n);
    memset(d, 0, sizeof *d);
    d->c = IMG_C;
    d->h = IMG_H;
    d->w = IMG_W;
    d->pixels = xmalloc((size_t)(n > 0 ? n : 1) * IMG_PIX);
    d->labels = xmalloc((size_t)(n > 0 ? n : 1));
    int m = 0;
    for (int i = 0; i < t->k; i++) {
        for (int j = 0; j < t->cls[i].nfiles; j++) {
            if (folder_read_png(t->cls[i].files[j], d->pixels + (size_t)m * IMG_PIX, e)) {
                dataset_free(d);
                return -1;
            }
            d->labels[m++] = (uint8_t)i;
        }
    }
    d->n = m;
    d->k = t->k;
    d->class_names = xcalloc((size_t)t->k, sizeof *d->class_names);
    for (int i = 0; i < t->k; i++)
        d->class_names[i] = xstrdup(t->cls[i].name);
    return 0;
}

/* 1 if the folder holds at least one (non-hidden) sub-directory. */
static int has_subdir(const char *dir)
{
    strlist_t l;
    if (list_dir(dir, &l, NULL))
        return 0;
    int found = 0;
    for (int i = 0; i < l.n && !found; i++) {
        char *p = join(dir, l.v[i]);
        found = is_dir(p);
        free(p);
    }
    strlist_free(&l);
    return found;
}

/* root/train and root/test: both trees, same class set. */
static int load_split(const char *root, dataset_t *train, dataset_t *test, err_t *e)
{
    char *trdir = join(root, "train"), *tedir = join(root, "test");
    ftree_t tr = {0}, te = {0};
    int rc = -1;
    if (scan_tree(trdir, &tr, e) || scan_tree(tedir, &te, e))
        goto out;
    /* both lists are sorted: the first mismatch names a missing class */
    for (int i = 0, j = 0; i < tr.k || j < te.k;) {
        int c = i >= tr.k ? 1 : j >= te.k ? -1 : strcmp(tr.cls[i].name, te.cls[j].name);
        if (c == 0) {
            i++;
            j++;
            continue;
        }
        char pn[512];
        const char *name = c < 0 ? tr.cls[i].name : te.cls[j].name;
        err_set(e,
                "image folder '%s': class '%s' is in '%s' but not in '%s' (train/ and "
                "test/ must hold the same class folders)",
                root, printable(name, pn, sizeof pn), c < 0 ? trdir : tedir,
                c < 0 ? tedir : trdir);
        goto out;
    }
    if (load_tree(&tr, trdir, train, e))
        goto out;
    if (load_tree(&te, tedir, test, e)) {
        dataset_free(train);
        goto out;
    }
    rc = 0;
out:
    tree_free(&tr);
    tree_free(&te);
    free(trdir);
    free(tedir);
    return rc;
}

int folder_load(const char *root, uint64_t seed, dataset_t *train, dataset_t *test,
                err_t *e)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    struct stat st;
    if (stat(root, &st))
        return err_set(e, "image folder '%s' not found: %s (%s)", root, strerror(errno),
                       layout_hint);
    if (!S_ISDIR(st.st_mode))
        return err_set(e, "image folder '%s' is not a directory (%s)", root, layout_hint);

    /* which layout: train/ + test/, or class folders */
    strlist_t ents;
    if (list_dir(root, &ents, e))
        return -1;
    int has_train = 0, has_test = 0, others = 0;
    const char *other = NULL;
    for (int i = 0; i < ents.n; i++) {
        char *p = join(root, ents.v[i]);
        if (is_dir(p)) {
            if (!strcmp(ents.v[i], "train"))
                has_train = 1;
            else if (!strcmp(ents.v[i], "test"))
                has_test = 1;
            else if (!others++)
                other = ents.v[i];
        }
        free(p);
    }
    int rc = 0;
    if (has_train && has_test) {
        if (others) {
            char po[512];
            rc = err_set(e,
                         "image folder '%s' holds train/ and test/ and also the folder "
                         "'%s': expected either only train/ and test/ (each holding the "
                         "class folders) or only class folders",
                         root, printable(other, po, sizeof po));
        } else {
            rc = load_split(root, train, test, e);
        }
        strlist_free(&ents);
        return rc;
    }
    strlist_free(&ents);
    if (has_train || has_test) {
        /* a lone train/ (or test/) that holds folders is half a split */
        char *p = join(root, has_train ? "train" : "test");
        int half = has_subdir(p);
        free(p);
        if (half)
            return err_set(e,
                           "image folder '%s' has a %s/ folder holding sub-directories but "
                           "no %s/ folder: give both train/ and test/ (each holding the "
                           "class folders), or only class folders",
                           root, has_train ? "train" : "test", has_train ? "test" : "train");
    }

    ftree_t t;
    if (scan_tree(root, &t, e))
        return -1;
    dataset_t all;
    rc = load_tree(&t, root, &all, e);
    tree_free(&t);
    if (rc)
        return -1;
    int nval = all.n / 6;
    if (nval < 1) {
        int n = all.n;
        dataset_free(&all);
        return err_set(e,
                       "image folder '%s' holds only %d image%s: at least 6 are needed to "
                       "hold out 1/6 as the test set (or give train/ and test/ folders)",
                       root, n, n == 1 ? "" : "s");
    }
    dataset_split_stratified(&all, nval, seed, train, test);
    dataset_free(&all);
    return 0;
}

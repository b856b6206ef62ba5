/* test_data_more.c - the CIFAR-100 reader and the PNG folder reader.
 * Generated files go into a mkdtemp() directory under /tmp that is removed
 * (recursively) at the end. PNG files are written with libpng's simplified
 * API in several colour types (RGB, grey, RGBA, palette, 16-bit linear) and
 * one 16-bit file without gamma chunk with libpng's full write API. */
#include "check.h"
#include "data/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC100 3074
#define PIX 3072
#define PLANE 1024

static char tmp[256];

static void path_in(char *out, size_t n, const char *a, const char *b)
{
    int r = snprintf(out, n, "%s/%s", a, b);
    if (r < 0 || (size_t)r >= n) {
        fprintf(stderr, "path too long: %s/%s\n", a, b);
        exit(1);
    }
}

static int contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static void write_bytes(const char *path, const uint8_t *buf, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        fprintf(stderr, "cannot create %s: %s\n", path, strerror(errno));
        exit(1);
    }
    if (n && fwrite(buf, 1, n, fp) != n) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    fclose(fp);
}

static void write_text(const char *path, const char *text)
{
    write_bytes(path, (const uint8_t *)text, strlen(text));
}

static void mkdir_or_die(const char *path)
{
    err_t e;
    if (mkdir_p(path, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        exit(1);
    }
}

/* rm -rf for the trees this test made (no symlinks are made) */
static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st))
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *de;
            while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                    continue;
                char sub[4096];
                path_in(sub, sizeof sub, path, de->d_name);
                rm_rf(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int is_empty_set(const dataset_t *d)
{
    return d->n == 0 && d->pixels == NULL && d->labels == NULL && d->class_names == NULL;
}

/* ---- CIFAR-100 ----------------------------------------------------------- */

static uint8_t pix100(int tag, int r, int j) { return (uint8_t)(tag * 29 + r * 11 + j * 7); }
static int coarse_of(int tag, int r) { return (tag * 5 + r * 3) % 20; }
static int fine_of(int tag, int r) { return (tag * 41 + r * 17) % 100; }

/* nrec records of file `tag`; at record bad_rec the coarse (which = 0) or
 * fine (which = 1) label byte is `bad`; the last `cut` bytes are dropped */
static void write_c100(const char *path, int tag, int nrec, int bad_rec, int which, int bad,
                       size_t cut)
{
    size_t n = (size_t)nrec * REC100;
    uint8_t *buf = malloc(n + 1);
    for (int r = 0; r < nrec; r++) {
        uint8_t *p = buf + (size_t)r * REC100;
        p[0] = (uint8_t)coarse_of(tag, r);
        p[1] = (uint8_t)fine_of(tag, r);
        if (r == bad_rec)
            p[which] = (uint8_t)bad;
        for (int j = 0; j < PIX; j++)
            p[2 + j] = pix100(tag, r, j);
    }
    write_bytes(path, buf, n - cut);
    free(buf);
}

static int check_c100(const dataset_t *d, int tag, int nrec, int coarse)
{
    int bad = 0;
    if (d->n != nrec || d->c != 3 || d->h != 32 || d->w != 32 || d->k != (coarse ? 20 : 100))
        return 1;
    for (int r = 0; r < nrec; r++) {
        if (d->labels[r] != (coarse ? coarse_of(tag, r) : fine_of(tag, r)))
            bad++;
        for (int j = 0; j < PIX; j++)
            if (d->pixels[(size_t)r * PIX + j] != pix100(tag, r, j))
                bad++;
    }
    return bad;
}

/* The class names reader both CIFAR readers use: its file name in messages. */
static void test_read_names(void)
{
    char dir[512], p[512];
    err_t e;
    char **names = NULL;
    path_in(dir, sizeof dir, tmp, "names");
    mkdir_or_die(dir);
    path_in(p, sizeof p, dir, "three.txt");
    write_text(p, "  one\ntwo \t\r\nthree\n\n");
    CHECK(dataset_read_names(p, 3, "TEST names", &names, &e) == 0, "3 names: %s", e.msg);
    if (names) {
        CHECK(!strcmp(names[0], "one") && !strcmp(names[1], "two") && !strcmp(names[2], "three"),
              "names trimmed: '%s' '%s' '%s'", names[0], names[1], names[2]);
        char **c = dataset_copy_names((const char *const *)names, 3);
        CHECK(c != names && c[2] != names[2] && !strcmp(c[2], "three"), "copy is deep");
        for (int i = 0; i < 3; i++)
            free(names[i]), free(c[i]);
        free(names);
        free(c);
    }
    CHECK(dataset_read_names(p, 4, "TEST names", &names, &e) == -1 &&
              contains(e.msg, "found 3 class names, expected exactly 4"),
          "3 of 4 names: %s", e.msg);
    path_in(p, sizeof p, dir, "absent.txt");
    CHECK(dataset_read_names(p, 3, "TEST names", &names, &e) == 1, "absent file: 1");
    /* a folder opens but does not read: the message names the kind of file */
    CHECK(dataset_read_names(dir, 3, "TEST names", &names, &e) == -1 &&
              contains(e.msg, "TEST names file"),
          "unreadable: %s", e.msg);
}

/* stderr into path until capture_end() (for warnings the readers print) */
static int capture_start(const char *path)
{
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    return saved;
}

static void capture_end(int saved)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
}

static int file_has(const char *path, const char *want)
{
    char buf[4096] = "";
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp)
        fclose(fp);
    buf[n] = 0;
    return strstr(buf, want) != NULL;
}

static void test_cifar100(void)
{
    char dir[512], trp[600], tep[600], p[600];
    err_t e;
    dataset_t tr, te;
    path_in(dir, sizeof dir, tmp, "c100");
    mkdir_or_die(dir);
    path_in(trp, sizeof trp, dir, "train.bin");
    path_in(tep, sizeof tep, dir, "test.bin");

    CHECK(!cifar100_present(dir), "empty folder is not CIFAR-100");
    e.msg[0] = 0;
    CHECK(cifar100_load(dir, 0, &tr, &te, &e) == -1, "missing files refused");
    CHECK(contains(e.msg, trp) && contains(e.msg, "not found") &&
              contains(e.msg, "fetch-cifar100.sh"),
          "missing train.bin: %s", e.msg);
    CHECK(is_empty_set(&tr) && is_empty_set(&te), "failed load leaves empty sets");

    write_c100(trp, 1, 7, -1, 0, 0, 0);
    write_c100(tep, 2, 3, -1, 0, 0, 0);
    CHECK(cifar100_present(dir), "train.bin + test.bin is CIFAR-100");
    CHECK(!cifar100_present(tmp) && !cifar100_present("") && !cifar100_present(NULL),
          "present: other folders");

    /* fine labels, default names */
    char errp[1200];
    path_in(errp, sizeof errp, tmp, "stderr.txt");
    int saved = capture_start(errp);
    CHECK(cifar100_load(dir, 0, &tr, &te, &e) == 0, "load fine: %s", e.msg);
    capture_end(saved);
    CHECK(file_has(errp, "train.bin' holds 7 records; the official train.bin holds 50000") &&
              file_has(errp, "test.bin' holds 3 records; the official test.bin holds 10000"),
          "short CIFAR-100 files are read with a warning");
    unlink(errp);
    CHECK(check_c100(&tr, 1, 7, 0) == 0, "fine train set: n=%d k=%d", tr.n, tr.k);
    CHECK(check_c100(&te, 2, 3, 0) == 0, "fine test set: n=%d k=%d", te.n, te.k);
    if (tr.class_names && te.class_names) {
        CHECK(!strcmp(tr.class_names[0], "apple"), "fine 0: %s", tr.class_names[0]);
        CHECK(!strcmp(tr.class_names[1], "aquarium_fish"), "fine 1: %s", tr.class_names[1]);
        CHECK(!strcmp(tr.class_names[58], "pickup_truck"), "fine 58: %s", tr.class_names[58]);
        CHECK(!strcmp(tr.class_names[99], "worm"), "fine 99: %s", tr.class_names[99]);
        CHECK(!strcmp(te.class_names[99], "worm") && te.class_names != tr.class_names,
              "test set has its own copy of the names");
    }
    dataset_free(&tr);
    dataset_free(&te);

    /* coarse labels, default names */
    CHECK(cifar100_load(dir, 1, &tr, &te, &e) == 0, "load coarse: %s", e.msg);
    CHECK(check_c100(&tr, 1, 7, 1) == 0, "coarse train set: n=%d k=%d", tr.n, tr.k);
    CHECK(check_c100(&te, 2, 3, 1) == 0, "coarse test set: n=%d k=%d", te.n, te.k);
    if (tr.class_names) {
        CHECK(!strcmp(tr.class_names[0], "aquatic_mammals"), "coarse 0: %s", tr.class_names[0]);
        CHECK(!strcmp(tr.class_names[9], "large_man-made_outdoor_things"), "coarse 9: %s",
              tr.class_names[9]);
        CHECK(!strcmp(tr.class_names[19], "vehicles_2"), "coarse 19: %s", tr.class_names[19]);
    }
    dataset_free(&tr);
    dataset_free(&te);

    /* name files (CRLF line ends, trailing blank lines, surrounding blanks) */
    char text[4096];
    size_t o = 0;
    for (int i = 0; i < 100; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, " fine%d\r\n", i);
    snprintf(text + o, sizeof text - o, "\r\n\n");
    path_in(p, sizeof p, dir, "fine_label_names.txt");
    write_text(p, text);
    o = 0;
    for (int i = 0; i < 20; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "coarse%d\n", i);
    char cp[600];
    path_in(cp, sizeof cp, dir, "coarse_label_names.txt");
    write_text(cp, text);
    CHECK(cifar100_load(dir, 0, &tr, &te, &e) == 0, "load fine with names: %s", e.msg);
    if (tr.class_names && te.class_names)
        CHECK(!strcmp(tr.class_names[0], "fine0") && !strcmp(tr.class_names[99], "fine99") &&
                  !strcmp(te.class_names[42], "fine42"),
              "fine names read: %s %s", tr.class_names[0], tr.class_names[99]);
    dataset_free(&tr);
    dataset_free(&te);
    CHECK(cifar100_load(dir, 1, &tr, &te, &e) == 0, "load coarse with names: %s", e.msg);
    if (tr.class_names)
        CHECK(!strcmp(tr.class_names[0], "coarse0") && !strcmp(tr.class_names[19], "coarse19"),
              "coarse names read: %s %s", tr.class_names[0], tr.class_names[19]);
    dataset_free(&tr);
    dataset_free(&te);

    /* a names file with the wrong count */
    o = 0;
    for (int i = 0; i < 19; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "coarse%d\n", i);
    write_text(cp, text);
    e.msg[0] = 0;
    CHECK(cifar100_load(dir, 1, &tr, &te, &e) == -1, "19 coarse names refused");
    CHECK(contains(e.msg, cp) && contains(e.msg, "found 19") && contains(e.msg, "exactly 20"),
          "19 coarse names: %s", e.msg);
    CHECK(is_empty_set(&tr) && is_empty_set(&te), "failed load leaves empty sets");
    /* ... which does not matter for the fine labels */
    CHECK(cifar100_load(dir, 0, &tr, &te, &e) == 0, "fine load ignores the coarse file: %s",
          e.msg);
    dataset_free(&tr);
    dataset_free(&te);
    unlink(cp);
    unlink(p);

    /* truncated train.bin */
    write_c100(trp, 1, 3, -1, 0, 0, 10);
    e.msg[0] = 0;
    CHECK(cifar100_load(dir, 0, &tr, &te, &e) == -1, "truncated file refused");
    CHECK(contains(e.msg, trp) && contains(e.msg, "9212") &&
              contains(e.msg, "expected a multiple of 3074-byte records"),
          "truncated: %s", e.msg);
    CHECK(is_empty_set(&tr) && is_empty_set(&te), "failed load leaves empty sets");

    /* empty test.bin */
    write_c100(trp, 1, 3, -1, 0, 0, 0);
    write_bytes(tep, NULL, 0);
    e.msg[0] = 0;
    CHECK(cifar100_load(dir, 0, &tr, &te, &e) == -1 && contains(e.msg, tep) &&
              contains(e.msg, "empty"),
          "empty test.bin: %s", e.msg);

    /* bad fine label 100 in record 2 of train.bin: refused for both labellings */
    write_c100(trp, 1, 4, 2, 1, 100, 0);
    write_c100(tep, 2, 3, -1, 0, 0, 0);
    for (int coarse = 0; coarse < 2; coarse++) {
        e.msg[0] = 0;
        CHECK(cifar100_load(dir, coarse, &tr, &te, &e) == -1, "fine label 100 refused (coarse=%d)",
              coarse);
        CHECK(contains(e.msg, trp) && contains(e.msg, "record 2 ") &&
                  contains(e.msg, "fine label byte 100") && contains(e.msg, "0..99"),
              "fine label 100: %s", e.msg);
        CHECK(is_empty_set(&tr) && is_empty_set(&te), "failed load leaves empty sets");
    }

    /* bad coarse label 20 in record 1 of test.bin */
    write_c100(trp, 1, 4, -1, 0, 0, 0);
    write_c100(tep, 2, 3, 1, 0, 20, 0);
    for (int coarse = 0; coarse < 2; coarse++) {
        e.msg[0] = 0;
        CHECK(cifar100_load(dir, coarse, &tr, &te, &e) == -1,
              "coarse label 20 refused (coarse=%d)", coarse);
        CHECK(contains(e.msg, tep) && contains(e.msg, "record 1 ") &&
                  contains(e.msg, "coarse label byte 20") && contains(e.msg, "0..19"),
              "coarse label 20: %s", e.msg);
        CHECK(is_empty_set(&tr) && is_empty_set(&te), "failed load leaves empty sets");
    }

    /* labels at the top of the ranges are fine */
    write_c100(tep, 2, 3, 0, 0, 19, 0);
    CHECK(cifar100_load(dir, 1, &tr, &te, &e) == 0 && te.labels[0] == 19, "coarse 19 ok: %s",
          e.msg);
    dataset_free(&tr);
    dataset_free(&te);
    write_c100(tep, 2, 3, 0, 1, 99, 0);
    CHECK(cifar100_load(dir, 0, &tr, &te, &e) == 0 && te.labels[0] == 99, "fine 99 ok: %s",
          e.msg);
    dataset_free(&tr);
    dataset_free(&te);
}

/* ---- PNG folders ---------------------------------------------------------- */

enum { V_RGB, V_GREY, V_RGBA, V_PALETTE, V_RGB16 };

/* image ii of class ci: its generating value for channel c at (y, x) */
static uint8_t val(int ci, int ii, int c, int y, int x)
{
    return (uint8_t)(ci * 50 + ii * 17 + c * 70 + y * 5 + x * 3);
}

/* palette entry i (256 entries) and the index used at (y, x) */
static uint8_t pal(int i, int c) { return (uint8_t)(c == 0 ? i : c == 1 ? 255 - i : i * 7); }
static int pal_index(int ci, int ii, int y, int x) { return (ci * 31 + ii * 13 + y * 8 + x) & 255; }

static void write_png_raw(const char *path, int w, int h, uint32_t format, const void *buf,
                          const void *cmap, int entries)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = (png_uint_32)w;
    im.height = (png_uint_32)h;
    im.format = format;
    im.colormap_entries = (png_uint_32)entries;
    if (!png_image_write_to_file(&im, path, 0, buf, 0, cmap)) {
        fprintf(stderr, "cannot write PNG %s: %s\n", path, im.message);
        exit(1);
    }
}

/* A 16-bit RGB PNG without gAMA/sRGB chunks (as many tools write them),
 * through libpng's full API: sample = v * 257 for the 8-bit value v of
 * val(ci, ii, c, y, x); read back as sRGB it must give v exactly. */
static void write_png16_nogamma(const char *path, int ci, int ii)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        fprintf(stderr, "cannot create %s: %s\n", path, strerror(errno));
        exit(1);
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "cannot write 16-bit PNG %s\n", path);
        exit(1);
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, 32, 32, 16, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    uint8_t row[32 * 3 * 2];
    for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++)
            for (int c = 0; c < 3; c++) {
                unsigned v = val(ci, ii, c, y, x) * 257u; /* big-endian samples */
                row[(x * 3 + c) * 2] = (uint8_t)(v >> 8);
                row[(x * 3 + c) * 2 + 1] = (uint8_t)(v & 255);
            }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(fp);
}

/* the PNG format libpng reports for a file (to check the variants) */
static uint32_t png_format_of(const char *path)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path))
        return 0xffffffffu;
    uint32_t f = im.format;
    png_image_free(&im);
    return f;
}

/* Writes image ii of class ci as variant v (32 x 32). */
static void write_img(const char *path, int ci, int ii, int v)
{
    static uint8_t buf[32 * 32 * 4];
    static uint16_t buf16[32 * 32 * 3];
    static uint8_t cmap[256 * 3];
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) {
            int i = y * 32 + x;
            switch (v) {
            case V_RGB:
                for (int c = 0; c < 3; c++)
                    buf[3 * i + c] = val(ci, ii, c, y, x);
                break;
            case V_GREY:
                buf[i] = val(ci, ii, 0, y, x);
                break;
            case V_RGBA:
                for (int c = 0; c < 3; c++)
                    buf[4 * i + c] = val(ci, ii, c, y, x);
                buf[4 * i + 3] = y == 0 ? 0 : y == 1 ? 128 : 255;
                break;
            case V_PALETTE:
                buf[i] = (uint8_t)pal_index(ci, ii, y, x);
                break;
            case V_RGB16: /* linear 16-bit: only the extremes map exactly */
                for (int c = 0; c < 3; c++)
                    buf16[3 * i + c] = (val(ci, ii, c, y, x) & 1) ? 65535 : 0;
                break;
            }
        }
    switch (v) {
    case V_RGB:
        write_png_raw(path, 32, 32, PNG_FORMAT_RGB, buf, NULL, 0);
        break;
    case V_GREY:
        write_png_raw(path, 32, 32, PNG_FORMAT_GRAY, buf, NULL, 0);
        break;
    case V_RGBA:
        write_png_raw(path, 32, 32, PNG_FORMAT_RGBA, buf, NULL, 0);
        break;
    case V_PALETTE:
        for (int i = 0; i < 256; i++)
            for (int c = 0; c < 3; c++)
                cmap[3 * i + c] = pal(i, c);
        write_png_raw(path, 32, 32, PNG_FORMAT_RGB_COLORMAP, buf, cmap, 256);
        break;
    case V_RGB16:
        write_png_raw(path, 32, 32, PNG_FORMAT_LINEAR_RGB, buf16, NULL, 0);
        break;
    }
}

/* Mismatches of a loaded (planar) image against image ii of class ci
 * written as variant v. RGBA is composited onto black in sRGB values:
 * round(v * a / 255), so alpha 0 gives 0 and alpha 255 the colour. */
static int img_mismatches(const uint8_t *got, int ci, int ii, int v)
{
    int bad = 0;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) {
                int g = got[c * PLANE + y * 32 + x], want;
                switch (v) {
                case V_RGB:
                    want = val(ci, ii, c, y, x);
                    break;
                case V_GREY:
                    want = val(ci, ii, 0, y, x);
                    break;
                case V_RGBA:
                    want = val(ci, ii, c, y, x);
                    want = y == 0 ? 0 : y == 1 ? (want * 128 + 127) / 255 : want;
                    break;
                case V_PALETTE:
                    want = pal(pal_index(ci, ii, y, x), c);
                    break;
                default:
                    want = (val(ci, ii, c, y, x) & 1) ? 255 : 0;
                    break;
                }
                if (g != want)
                    bad++;
            }
    return bad;
}

/* the main tree: 3 classes created in non-sorted order, 4 images each
 * with file names whose strcmp order differs from the creation order */
static const char *const cls_created[3] = {"zebra", "Apple", "mid"};
static const char *const cls_sorted[3] = {"Apple", "mid", "zebra"};
/* files in creation order and the variant of each; sorted: IMG1.PNG,
 * a.png, b.png, img3.png */
static const char *const files_created[4] = {"img3.png", "b.png", "IMG1.PNG", "a.png"};
static const int variant_created[4] = {V_RGB, V_GREY, V_RGBA, V_PALETTE};
static const int sorted_to_created[4] = {2, 3, 1, 0};

/* sorted class index of a created class index */
static int sorted_class(int created)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(cls_sorted[i], cls_created[created]))
            return i;
    return -1;
}

/* writes class folder `cls` (sorted index si) with the 4 images under dir */
static void write_class(const char *dir, const char *cls, int si, int nimg)
{
    char cdir[1024], p[1200];
    path_in(cdir, sizeof cdir, dir, cls);
    mkdir_or_die(cdir);
    for (int f = 0; f < nimg; f++) {
        path_in(p, sizeof p, cdir, files_created[f]);
        write_img(p, si, f, variant_created[f]);
    }
}

static void write_tree(const char *root)
{
    char p[1200];
    mkdir_or_die(root);
    for (int c = 0; c < 3; c++)
        write_class(root, cls_created[c], sorted_class(c), 4);
    path_in(p, sizeof p, root, "README.txt");
    write_text(p, "not an image\n");
    char cdir[1024];
    path_in(cdir, sizeof cdir, root, "mid");
    path_in(p, sizeof p, cdir, "notes.txt");
    write_text(p, "ignored\n");
    path_in(p, sizeof p, cdir, ".hidden.png");
    write_text(p, "hidden files are skipped, so this garbage is never read");
    path_in(p, sizeof p, cdir, "sub");
    mkdir_or_die(p); /* folders inside a class folder are ignored */
}

static int names_sorted(const dataset_t *d)
{
    if (d->k != 3 || !d->class_names)
        return 0;
    for (int i = 0; i < 3; i++)
        if (!d->class_names[i] || strcmp(d->class_names[i], cls_sorted[i]))
            return 0;
    return 1;
}

/* finds which (class, created file) an image is; -1 when none */
static int which_image(const uint8_t *got, int label)
{
    for (int f = 0; f < 4; f++)
        if (img_mismatches(got, label, f, variant_created[f]) == 0)
            return f;
    return -1;
}

static void test_folder_tree(void)
{
    char root[512], p[1200];
    err_t e;
    dataset_t tr, te;
    path_in(root, sizeof root, tmp, "tree");
    write_tree(root);

    /* the files really are of the intended PNG colour types */
    char cdir[1024];
    path_in(cdir, sizeof cdir, root, "Apple");
    path_in(p, sizeof p, cdir, "b.png");
    CHECK(png_format_of(p) == PNG_FORMAT_GRAY, "grey variant: format %u", png_format_of(p));
    path_in(p, sizeof p, cdir, "IMG1.PNG");
    CHECK(png_format_of(p) == PNG_FORMAT_RGBA, "RGBA variant: format %u", png_format_of(p));
    path_in(p, sizeof p, cdir, "a.png");
    CHECK(png_format_of(p) & PNG_FORMAT_FLAG_COLORMAP, "palette variant: format %u",
          png_format_of(p));

    CHECK(folder_load(root, 7, &tr, &te, &e) == 0, "load tree: %s", e.msg);
    CHECK(tr.n == 10 && te.n == 2, "1/6 held out: train %d test %d", tr.n, te.n);
    CHECK(tr.c == 3 && tr.h == 32 && tr.w == 32 && te.c == 3 && te.h == 32 && te.w == 32,
          "shape");
    CHECK(names_sorted(&tr) && names_sorted(&te), "class names in strcmp order");

    /* every image exactly once over both sets, pixels exact, labels right,
     * each set in class/file order */
    int seen[3][4] = {{0}}, ok = 1, order_ok = 1;
    const dataset_t *sets[2] = {&tr, &te};
    for (int s = 0; s < 2; s++) {
        int last = -1;
        for (int i = 0; i < sets[s]->n; i++) {
            int l = sets[s]->labels[i];
            int f = l < 3 ? which_image(sets[s]->pixels + (size_t)i * PIX, l) : -1;
            if (f < 0) {
                ok = 0;
                continue;
            }
            seen[l][f]++;
            /* position in sorted file order */
            int pos = 0;
            while (sorted_to_created[pos] != f)
                pos++;
            if (l * 4 + pos <= last)
                order_ok = 0;
            last = l * 4 + pos;
        }
    }
    for (int l = 0; l < 3; l++)
        for (int f = 0; f < 4; f++)
            if (seen[l][f] != 1)
                ok = 0;
    CHECK(ok, "each image once, exact pixels and right label");
    CHECK(order_ok, "class/file order kept in both parts");
    /* quotas: 2 of 12 over 3 equal classes -> classes 0 and 1 give one each */
    CHECK(te.n == 2 && te.labels[0] == 0 && te.labels[1] == 1, "stratified test labels %d %d",
          te.n > 0 ? te.labels[0] : -1, te.n > 1 ? te.labels[1] : -1);

    /* same seed: same split; the split is the one dataset_split_stratified
     * makes of the whole tree */
    dataset_t tr2, te2;
    CHECK(folder_load(root, 7, &tr2, &te2, &e) == 0, "reload: %s", e.msg);
    CHECK(tr2.n == tr.n && te2.n == te.n &&
              !memcmp(tr2.pixels, tr.pixels, (size_t)tr.n * PIX) &&
              !memcmp(te2.pixels, te.pixels, (size_t)te.n * PIX),
          "same seed, same split");
    dataset_free(&tr2);
    dataset_free(&te2);
    int differs = 0;
    for (uint64_t seed = 1; seed < 20 && !differs; seed++) {
        CHECK(folder_load(root, seed, &tr2, &te2, &e) == 0, "load seed %llu: %s",
              (unsigned long long)seed, e.msg);
        differs = te2.n == te.n && memcmp(te2.pixels, te.pixels, (size_t)te.n * PIX) != 0;
        dataset_free(&tr2);
        dataset_free(&te2);
    }
    CHECK(differs, "another seed holds out other images");
    dataset_free(&tr);
    dataset_free(&te);
}

static void test_folder_split(void)
{
    char root[512], dir[1024], p[1200];
    err_t e;
    dataset_t tr, te;
    path_in(root, sizeof root, tmp, "split");
    path_in(dir, sizeof dir, root, "train");
    mkdir_or_die(dir);
    for (int c = 0; c < 3; c++)
        write_class(dir, cls_created[c], sorted_class(c), 4);
    path_in(dir, sizeof dir, root, "test");
    mkdir_or_die(dir);
    for (int c = 0; c < 3; c++)
        write_class(dir, cls_created[c], sorted_class(c), 1); /* img3.png, RGB */
    /* plus a 16-bit linear image in test/mid */
    path_in(p, sizeof p, dir, "mid/z16.png");
    write_img(p, 1, 9, V_RGB16);
    /* and a 16-bit sRGB one without gamma chunk in test/zebra */
    path_in(p, sizeof p, dir, "zebra/y16.png");
    write_png16_nogamma(p, 2, 5);
    path_in(p, sizeof p, root, "README.txt");
    write_text(p, "files next to train/ and test/ are ignored\n");

    CHECK(folder_load(root, 1, &tr, &te, &e) == 0, "load train/test: %s", e.msg);
    CHECK(tr.n == 12 && te.n == 5, "train %d test %d", tr.n, te.n);
    CHECK(names_sorted(&tr) && names_sorted(&te), "class names in strcmp order");
    int bad = 0;
    for (int i = 0; i < tr.n && tr.n == 12; i++) {
        int l = i / 4, f = sorted_to_created[i % 4];
        if (tr.labels[i] != l)
            bad++;
        bad += img_mismatches(tr.pixels + (size_t)i * PIX, l, f, variant_created[f]) != 0;
    }
    CHECK(bad == 0, "train: class/file order, exact pixels (%d bad)", bad);
    if (te.n == 5) {
        CHECK(te.labels[0] == 0 && te.labels[1] == 1 && te.labels[2] == 1 && te.labels[3] == 2 &&
                  te.labels[4] == 2,
              "test labels %d %d %d %d %d", te.labels[0], te.labels[1], te.labels[2],
              te.labels[3], te.labels[4]);
        CHECK(img_mismatches(te.pixels, 0, 0, V_RGB) == 0, "test image 0");
        CHECK(img_mismatches(te.pixels + PIX, 1, 0, V_RGB) == 0, "test image 1");
        CHECK(img_mismatches(te.pixels + 2 * PIX, 1, 9, V_RGB16) == 0, "16-bit test image");
        CHECK(img_mismatches(te.pixels + 3 * PIX, 2, 0, V_RGB) == 0, "test image 3");
        CHECK(img_mismatches(te.pixels + 4 * PIX, 2, 5, V_RGB) == 0,
              "16-bit image without gamma chunk read as sRGB (%d off)",
              img_mismatches(te.pixels + 4 * PIX, 2, 5, V_RGB));
    }
    dataset_free(&tr);
    dataset_free(&te);

    /* class sets differ: test/ lacks zebra */
    char zp[1200];
    path_in(zp, sizeof zp, dir, "zebra");
    rm_rf(zp);
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1, "test/ without zebra refused");
    CHECK(contains(e.msg, "'zebra'") && contains(e.msg, "but not in") && contains(e.msg, dir),
          "missing class: %s", e.msg);
    CHECK(is_empty_set(&tr) && is_empty_set(&te), "failed load leaves empty sets");
    /* test/ has an extra class */
    write_class(dir, "zebra", 2, 1);
    write_class(dir, "extra", 0, 1);
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1, "extra class in test/ refused");
    CHECK(contains(e.msg, "'extra'") && contains(e.msg, "is in '") && contains(e.msg, dir),
          "extra class: %s", e.msg);
    path_in(p, sizeof p, dir, "extra");
    rm_rf(p);

    /* another folder next to train/ and test/ */
    path_in(p, sizeof p, root, "val");
    mkdir_or_die(p);
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1 && contains(e.msg, "'val'") &&
              contains(e.msg, root),
          "folder next to train/ and test/: %s", e.msg);
    rm_rf(p);
    CHECK(folder_load(root, 1, &tr, &te, &e) == 0, "valid again: %s", e.msg);
    dataset_free(&tr);
    dataset_free(&te);

    /* train/ alone */
    rm_rf(dir);
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1 && contains(e.msg, "no test/") &&
              contains(e.msg, root),
          "train/ without test/: %s", e.msg);
    CHECK(is_empty_set(&tr) && is_empty_set(&te), "failed load leaves empty sets");
}

/* a fresh tree root/<name> with classes "a" and "b" of 4 good images each */
static void fresh_tree(char *root, size_t n, const char *name)
{
    path_in(root, n, tmp, name);
    mkdir_or_die(root);
    write_class(root, "a", 0, 4);
    write_class(root, "b", 1, 4);
}

static void test_folder_refusals(void)
{
    static const uint8_t whole_empty[1] = {0};
    char root[512], p[1200], cdir[1024];
    err_t e;
    dataset_t tr, te;
    static uint8_t buf[64 * 64 * 3];
    memset(buf, 90, sizeof buf);

    /* not there / not a folder */
    path_in(p, sizeof p, tmp, "no-such-folder");
    e.msg[0] = 0;
    CHECK(folder_load(p, 1, &tr, &te, &e) == -1 && contains(e.msg, p) &&
              contains(e.msg, "not found"),
          "missing root: %s", e.msg);
    CHECK(is_empty_set(&tr) && is_empty_set(&te), "failed load leaves empty sets");

    /* 31x32 */
    fresh_tree(root, sizeof root, "r-size");
    path_in(p, sizeof p, root, "b/c31.png");
    write_png_raw(p, 31, 32, PNG_FORMAT_RGB, buf, NULL, 0);
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1, "31x32 refused");
    CHECK(contains(e.msg, p) && contains(e.msg, "31x32") && contains(e.msg, "expected 32x32"),
          "31x32: %s", e.msg);
    CHECK(is_empty_set(&tr) && is_empty_set(&te), "failed load leaves empty sets");
    write_png_raw(p, 32, 64, PNG_FORMAT_GRAY, buf, NULL, 0);
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1 && contains(e.msg, p) &&
              contains(e.msg, "32x64") && contains(e.msg, "expected 32x32"),
          "32x64: %s", e.msg);

    /* garbage bytes */
    fresh_tree(root, sizeof root, "r-corrupt");
    path_in(p, sizeof p, root, "a/junk.png");
    write_text(p, "this is not a PNG file at all, just some bytes");
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1, "garbage .png refused");
    CHECK(contains(e.msg, p) && contains(e.msg, "is not a PNG image"), "garbage: %s", e.msg);
    CHECK(is_empty_set(&tr) && is_empty_set(&te), "failed load leaves empty sets");
    /* a 0-byte .png: named, and said to be empty (libpng says "Read Error") */
    write_bytes(p, whole_empty, 0);
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1 && contains(e.msg, p) &&
              contains(e.msg, "is empty (0 bytes), not a PNG image"),
          "0-byte PNG: %s", e.msg);
    write_text(p, "this is not a PNG file at all, just some bytes");

    /* a truncated real PNG (header fine, image data cut) */
    path_in(cdir, sizeof cdir, root, "a/img3.png");
    FILE *fp = fopen(cdir, "rb");
    uint8_t whole[8192];
    size_t len = fp ? fread(whole, 1, sizeof whole, fp) : 0;
    if (fp)
        fclose(fp);
    CHECK(len > 100, "read back a PNG (%zu bytes)", len);
    write_bytes(p, whole, len / 2);
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1 && contains(e.msg, p),
          "truncated PNG refused: %s", e.msg);

    /* empty class folder */
    fresh_tree(root, sizeof root, "r-empty");
    path_in(cdir, sizeof cdir, root, "c");
    mkdir_or_die(cdir);
    path_in(p, sizeof p, cdir, "README.txt");
    write_text(p, "no images here\n");
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1, "empty class refused");
    CHECK(contains(e.msg, cdir) && contains(e.msg, "no .png"), "empty class: %s", e.msg);

    /* one class only */
    path_in(root, sizeof root, tmp, "r-one");
    mkdir_or_die(root);
    write_class(root, "only", 0, 4);
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1, "one class refused");
    CHECK(contains(e.msg, root) && contains(e.msg, "1 class folder") &&
              contains(e.msg, "at least 2"),
          "one class: %s", e.msg);

    /* comma in a class name */
    fresh_tree(root, sizeof root, "r-comma");
    write_class(root, "cats,dogs", 0, 4);
    path_in(cdir, sizeof cdir, root, "cats,dogs");
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1, "comma in a class name refused");
    CHECK(contains(e.msg, cdir) && contains(e.msg, "comma"), "comma: %s", e.msg);

    /* control character in a class name: refused, printed escaped */
    fresh_tree(root, sizeof root, "r-ctrl");
    write_class(root, "tab\there", 0, 4);
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1, "tab in a class name refused");
    CHECK(contains(e.msg, "tab\\x09here") && contains(e.msg, "control character") &&
              !contains(e.msg, "\t"),
          "control character: %s", e.msg);

    /* too few images to hold out 1/6 */
    path_in(root, sizeof root, tmp, "r-few");
    mkdir_or_die(root);
    write_class(root, "a", 0, 2);
    write_class(root, "b", 1, 3);
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1 && contains(e.msg, root) &&
              contains(e.msg, "only 5 images"),
          "5 images: %s", e.msg);
    write_class(root, "b", 1, 4);
    CHECK(folder_load(root, 1, &tr, &te, &e) == 0 && tr.n == 5 && te.n == 1,
          "6 images: %s (train %d test %d)", e.msg, tr.n, te.n);
    dataset_free(&tr);
    dataset_free(&te);

    /* more than DATASET_MAX_CLASSES classes */
    path_in(root, sizeof root, tmp, "r-many");
    mkdir_or_die(root);
    for (int c = 0; c <= DATASET_MAX_CLASSES; c++) {
        char name[32];
        snprintf(name, sizeof name, "c%03d", c);
        write_class(root, name, c % 3, 1);
    }
    e.msg[0] = 0;
    CHECK(folder_load(root, 1, &tr, &te, &e) == -1 && contains(e.msg, root) &&
              contains(e.msg, "101 class folders") && contains(e.msg, "at most 100"),
          "101 classes: %s", e.msg);
    /* exactly DATASET_MAX_CLASSES is fine */
    path_in(p, sizeof p, root, "c100");
    rm_rf(p);
    CHECK(folder_load(root, 1, &tr, &te, &e) == 0 && tr.k == 100 && te.k == 100 &&
              tr.n + te.n == 100 && te.n == 16,
          "100 classes: %s (k %d, train %d, test %d)", e.msg, tr.k, tr.n, te.n);
    if (tr.class_names && tr.k == 100)
        CHECK(!strcmp(tr.class_names[0], "c000") && !strcmp(tr.class_names[99], "c099"),
              "100 class names");
    dataset_free(&tr);
    dataset_free(&te);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/mscnn_test_data_more.XXXXXX");
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_read_names();
    test_cifar100();
    test_folder_tree();
    test_folder_split();
    test_folder_refusals();
    rm_rf(tmp);
    struct stat st;
    CHECK(stat(tmp, &st) != 0, "temporary folder %s removed", tmp);
    return check_done("test_data_more");
}

/* test_data.c - CIFAR-10 reader, synth set, subsets, splits, statistics and
 * the batch builder. Generated CIFAR files go into a mkdtemp() directory
 * under /tmp that is removed at the end. The real CIFAR-10 set is loaded as
 * well when found ($MSCNN_TEST_CIFAR, ../shared/data/cifar-10-batches-bin or
 * /work/shared/data/cifar-10-batches-bin); otherwise that part is skipped. */
#include "check.h"
#include "data/data_select.h"
#include "data/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC 3073
#define PIX 3072

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

/* pixel j of record r of a file tagged `tag` */
static uint8_t pix_of(int tag, int r, int j) { return (uint8_t)(tag * 31 + r * 7 + j * 13); }

/* nrec records; label of record r is label_of(tag, r) (or `bad` at bad_rec) */
static int label_of(int tag, int r) { return (tag * 3 + r) % 10; }

static void write_cifar(const char *path, int tag, int nrec, int bad_rec, int bad, size_t cut)
{
    size_t n = (size_t)nrec * REC;
    uint8_t *buf = malloc(n + 1);
    for (int r = 0; r < nrec; r++) {
        uint8_t *p = buf + (size_t)r * REC;
        p[0] = (uint8_t)(r == bad_rec ? bad : label_of(tag, r));
        for (int j = 0; j < PIX; j++)
            p[1 + j] = pix_of(tag, r, j);
    }
    write_bytes(path, buf, n - cut);
    free(buf);
}

static void mkdir_or_die(const char *path)
{
    err_t e;
    if (mkdir_p(path, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        exit(1);
    }
}

/* ---- CIFAR reader -------------------------------------------------------- */

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

static void test_read_file(void)
{
    char p1[512], p2[512], p[512];
    err_t e;
    dataset_t d;
    memset(&d, 0, sizeof d);
    path_in(p1, sizeof p1, tmp, "good1.bin");
    path_in(p2, sizeof p2, tmp, "good2.bin");
    write_cifar(p1, 1, 5, -1, 0, 0);
    write_cifar(p2, 2, 3, -1, 0, 0);

    path_in(p, sizeof p, tmp, "stderr.txt");
    int saved = capture_start(p);
    CHECK(cifar10_read_file(p1, &d, &e) == 0, "read good file: %s", e.msg);
    capture_end(saved);
    CHECK(!file_has(p, "warning"),
          "one file (predict's .bin input) is read without the training set's record warning");
    unlink(p);
    CHECK(d.n == 5 && d.c == 3 && d.h == 32 && d.w == 32 && d.k == 10, "shape n=%d c=%d h=%d w=%d k=%d",
          d.n, d.c, d.h, d.w, d.k);
    int ok = 1;
    for (int r = 0; r < d.n; r++) {
        if (d.labels[r] != label_of(1, r))
            ok = 0;
        for (int j = 0; j < PIX; j++)
            if (d.pixels[(size_t)r * PIX + j] != pix_of(1, r, j))
                ok = 0;
    }
    CHECK(ok, "labels and pixels of the good file");

    CHECK(cifar10_read_file(p2, &d, &e) == 0, "append second file: %s", e.msg);
    CHECK(d.n == 8, "appended n=%d", d.n);
    ok = 1;
    for (int r = 0; r < 3; r++) {
        if (d.labels[5 + r] != label_of(2, r))
            ok = 0;
        for (int j = 0; j < PIX; j++)
            if (d.pixels[(size_t)(5 + r) * PIX + j] != pix_of(2, r, j))
                ok = 0;
    }
    CHECK(ok, "labels and pixels of the appended file");
    CHECK(d.labels[0] == label_of(1, 0) && d.pixels[PIX - 1] == pix_of(1, 0, PIX - 1),
          "first file kept after append");

    /* truncated: 2 records minus 100 bytes */
    path_in(p, sizeof p, tmp, "trunc.bin");
    write_cifar(p, 3, 2, -1, 0, 100);
    e.msg[0] = 0;
    CHECK(cifar10_read_file(p, &d, &e) == -1, "truncated file refused");
    CHECK(contains(e.msg, p), "truncated message names the file: %s", e.msg);
    CHECK(contains(e.msg, "6046"), "truncated message gives the size: %s", e.msg);
    CHECK(contains(e.msg, "expected a multiple of 3073-byte records"), "truncated message: %s", e.msg);
    CHECK(d.n == 8, "failed read leaves the set alone (n=%d)", d.n);

    /* one extra byte */
    write_cifar(p, 3, 2, -1, 0, 0);
    FILE *fp = fopen(p, "ab");
    fputc(0, fp);
    fclose(fp);
    CHECK(cifar10_read_file(p, &d, &e) == -1 && contains(e.msg, p), "record + 1 byte refused: %s",
          e.msg);

    /* empty */
    path_in(p, sizeof p, tmp, "empty.bin");
    write_bytes(p, NULL, 0);
    e.msg[0] = 0;
    CHECK(cifar10_read_file(p, &d, &e) == -1, "empty file refused");
    CHECK(contains(e.msg, p) && contains(e.msg, "size 0"), "empty message: %s", e.msg);

    /* label 10 at record 2 */
    path_in(p, sizeof p, tmp, "badlabel.bin");
    write_cifar(p, 4, 4, 2, 10, 0);
    e.msg[0] = 0;
    CHECK(cifar10_read_file(p, &d, &e) == -1, "label 10 refused");
    CHECK(contains(e.msg, p) && contains(e.msg, "record 2") && contains(e.msg, "label byte 10"),
          "bad label message: %s", e.msg);
    write_cifar(p, 4, 4, 3, 255, 0);
    CHECK(cifar10_read_file(p, &d, &e) == -1 && contains(e.msg, "record 3") &&
              contains(e.msg, "255"),
          "label 255 refused: %s", e.msg);
    CHECK(d.n == 8, "failed reads leave the set alone (n=%d)", d.n);

    /* missing */
    path_in(p, sizeof p, tmp, "no-such-file.bin");
    e.msg[0] = 0;
    CHECK(cifar10_read_file(p, &d, &e) == -1, "missing file refused");
    CHECK(contains(e.msg, p) && contains(e.msg, strerror(ENOENT)), "missing message: %s", e.msg);

    /* a directory */
    e.msg[0] = 0;
    CHECK(cifar10_read_file(tmp, &d, &e) == -1 && contains(e.msg, tmp), "directory refused: %s",
          e.msg);
    dataset_free(&d);
    CHECK(d.n == 0 && d.pixels == NULL && d.labels == NULL, "dataset_free clears");
    dataset_free(&d); /* twice is harmless */
}

static const char *const std_names[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                          "dog", "frog", "horse", "ship", "truck"};

static void write_full_dir(const char *dir, int per_batch, int ntest)
{
    char p[512];
    mkdir_or_die(dir);
    for (int b = 1; b <= 5; b++) {
        char name[64];
        snprintf(name, sizeof name, "data_batch_%d.bin", b);
        path_in(p, sizeof p, dir, name);
        write_cifar(p, b, per_batch, -1, 0, 0);
    }
    path_in(p, sizeof p, dir, "test_batch.bin");
    write_cifar(p, 9, ntest, -1, 0, 0);
}

static void test_load(void)
{
    char full[512], p[512], meta[512];
    err_t e;
    dataset_t tr, te;
    path_in(full, sizeof full, tmp, "full");
    write_full_dir(full, 20, 30);
    path_in(meta, sizeof meta, full, "batches.meta.txt");

    CHECK(cifar10_present(full) == 1, "present on the full dir");
    CHECK(cifar10_present(tmp) == 0, "not present on a dir without batches");
    path_in(p, sizeof p, tmp, "nowhere");
    CHECK(cifar10_present(p) == 0, "not present on a missing dir");

    /* default names; a training set of other than the official record counts is
     * loaded with a warning naming each file */
    path_in(p, sizeof p, tmp, "stderr.txt");
    int saved = capture_start(p);
    CHECK(cifar10_load(full, &tr, &te, &e) == 0, "load generated dir: %s", e.msg);
    capture_end(saved);
    CHECK(file_has(p, "warning: CIFAR-10 file '") &&
              file_has(p, "data_batch_3.bin' holds 20 records; the official batch files hold "
                          "10000 each") &&
              file_has(p, "test_batch.bin' holds 30 records"),
          "the record counts are warned about");
    unlink(p);
    CHECK(tr.n == 100 && te.n == 30, "sizes %d %d", tr.n, te.n);
    CHECK(tr.k == 10 && te.k == 10, "k %d %d", tr.k, te.k);
    int ok = 1;
    for (int b = 1; b <= 5; b++)
        for (int r = 0; r < 20; r++) {
            int i = (b - 1) * 20 + r;
            if (tr.labels[i] != label_of(b, r) || tr.pixels[(size_t)i * PIX + 77] != pix_of(b, r, 77))
                ok = 0;
        }
    for (int r = 0; r < 30; r++)
        if (te.labels[r] != label_of(9, r) || te.pixels[(size_t)r * PIX + 3000] != pix_of(9, r, 3000))
            ok = 0;
    CHECK(ok, "batches appended in order 1..5, test separate");
    ok = tr.class_names && te.class_names;
    for (int i = 0; ok && i < 10; i++)
        ok = !strcmp(tr.class_names[i], std_names[i]) && !strcmp(te.class_names[i], std_names[i]);
    CHECK(ok, "default class names");
    CHECK(tr.class_names != te.class_names && tr.class_names[0] != te.class_names[0],
          "train and test own their names");
    dataset_free(&tr);
    dataset_free(&te);

    /* meta names, with CRLF, trailing blanks and blank lines at the end */
    write_text(meta, "n0\r\nn1 \nn2\nn3\nn4\nn5\nn6\nn7\nn8\nname nine\t\n\n  \n\n");
    CHECK(cifar10_load(full, &tr, &te, &e) == 0, "load with meta: %s", e.msg);
    CHECK(tr.class_names && !strcmp(tr.class_names[0], "n0") && !strcmp(tr.class_names[1], "n1") &&
              !strcmp(tr.class_names[9], "name nine"),
          "meta names read and trimmed");
    CHECK(te.class_names && !strcmp(te.class_names[9], "name nine"), "test gets the meta names");
    dataset_free(&tr);
    dataset_free(&te);

    /* the real meta layout (no CR, one trailing blank line) */
    write_text(meta, "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
    CHECK(cifar10_load(full, &tr, &te, &e) == 0 && !strcmp(tr.class_names[9], "truck"),
          "standard meta: %s", e.msg);
    dataset_free(&tr);
    dataset_free(&te);

    /* bad meta: 9 names, 11 names, a blank line in the middle */
    const char *bad[3] = {"a\nb\nc\nd\ne\nf\ng\nh\ni\n\n", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n",
                          "a\nb\nc\n\nd\ne\nf\ng\nh\ni\nj\n"};
    for (int t = 0; t < 3; t++) {
        write_text(meta, bad[t]);
        e.msg[0] = 0;
        CHECK(cifar10_load(full, &tr, &te, &e) == -1, "bad meta %d refused", t);
        CHECK(contains(e.msg, meta), "bad meta %d message names the file: %s", t, e.msg);
        CHECK(tr.n == 0 && tr.pixels == NULL && te.n == 0 && te.pixels == NULL,
              "failed load leaves empty sets");
    }
    unlink(meta);

    /* a missing batch: the message names it and says how to get the data */
    path_in(p, sizeof p, full, "data_batch_3.bin");
    unlink(p);
    e.msg[0] = 0;
    CHECK(cifar10_load(full, &tr, &te, &e) == -1, "missing batch refused");
    CHECK(contains(e.msg, p), "missing batch named: %s", e.msg);
    CHECK(contains(e.msg, "fetch-cifar10.sh") && contains(e.msg, "--data_dir"),
          "missing batch gives the fetch hint: %s", e.msg);
    CHECK(tr.n == 0 && tr.pixels == NULL, "failed load leaves empty train");

    /* a bad label inside a batch */
    write_cifar(p, 3, 20, 7, 12, 0);
    e.msg[0] = 0;
    CHECK(cifar10_load(full, &tr, &te, &e) == -1 && contains(e.msg, p) &&
              contains(e.msg, "record 7"),
          "bad label in a batch: %s", e.msg);
    write_cifar(p, 3, 20, -1, 0, 0);

    /* a truncated test batch */
    path_in(p, sizeof p, full, "test_batch.bin");
    write_cifar(p, 9, 30, -1, 0, 1);
    e.msg[0] = 0;
    CHECK(cifar10_load(full, &tr, &te, &e) == -1 && contains(e.msg, p), "truncated test: %s", e.msg);
    write_cifar(p, 9, 30, -1, 0, 0);
    CHECK(cifar10_load(full, &tr, &te, &e) == 0, "repaired dir loads: %s", e.msg);
    dataset_free(&tr);
    dataset_free(&te);
}

static void set_or_unset(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static void test_locate(void)
{
    char full[512], cache[512], found[512], hdir[512], out[1024], p[512];
    char *old_data = getenv("MSCNN_DATA"), *old_xdg = getenv("XDG_CACHE_HOME"),
         *old_home = getenv("HOME");
    old_data = old_data ? strdup(old_data) : NULL;
    old_xdg = old_xdg ? strdup(old_xdg) : NULL;
    old_home = old_home ? strdup(old_home) : NULL;
    int local = cifar10_present("./data/cifar-10-batches-bin");

    path_in(full, sizeof full, tmp, "full");
    path_in(hdir, sizeof hdir, tmp, "h");
    path_in(cache, sizeof cache, hdir, ".cache");
    path_in(found, sizeof found, cache, "mscnn/cifar-10-batches-bin");
    mkdir_or_die(found);
    path_in(p, sizeof p, found, "test_batch.bin");
    write_cifar(p, 1, 1, -1, 0, 0);
    path_in(p, sizeof p, found, "data_batch_1.bin");
    write_cifar(p, 1, 1, -1, 0, 0);

    setenv("MSCNN_DATA", full, 1);
    CHECK(cifar10_locate(out, sizeof out) == 1 && !strcmp(out, full), "MSCNN_DATA first: %s", out);

    setenv("MSCNN_DATA", tmp, 1); /* no batches there */
    setenv("XDG_CACHE_HOME", cache, 1);
    setenv("HOME", "/nonexistent-mscnn-home", 1);
    int r = cifar10_locate(out, sizeof out);
    if (local)
        CHECK(r == 1 && !strcmp(out, "./data/cifar-10-batches-bin"), "./data second: %s", out);
    else
        CHECK(r == 1 && !strcmp(out, found), "XDG_CACHE_HOME: %s", out);

    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", hdir, 1);
    r = cifar10_locate(out, sizeof out);
    if (!local)
        CHECK(r == 1 && !strcmp(out, found), "HOME/.cache: %s", out);

    setenv("XDG_CACHE_HOME", tmp, 1); /* XDG set: HOME/.cache is not searched */
    unsetenv("MSCNN_DATA");
    r = cifar10_locate(out, sizeof out);
    if (!local)
        CHECK(r == 0, "nothing found gives 0 (got %d, %s)", r, out);
    CHECK(cifar10_locate(out, 4) == 0 || local, "too small a buffer gives 0");

    set_or_unset("MSCNN_DATA", old_data);
    set_or_unset("XDG_CACHE_HOME", old_xdg);
    set_or_unset("HOME", old_home);
    free(old_data);
    free(old_xdg);
    free(old_home);

    remove_tree(found);
    path_in(p, sizeof p, cache, "mscnn");
    rmdir(p);
    rmdir(cache);
    rmdir(hdir);
}

/* ---- synth --------------------------------------------------------------- */

static void test_synth(void)
{
    dataset_t a, at, b, bt, c, ct;
    synth_make(5000, 1000, 42, &a, &at); /* (its speed is bench's business, not a test's) */
    synth_make(5000, 1000, 42, &b, &bt);
    synth_make(5000, 1000, 43, &c, &ct);
    CHECK(a.n == 5000 && at.n == 1000 && a.c == 3 && a.h == 32 && a.w == 32 && a.k == 10 &&
              at.k == 10,
          "synth shape");
    CHECK(!memcmp(a.pixels, b.pixels, (size_t)a.n * PIX) && !memcmp(a.labels, b.labels, (size_t)a.n),
          "same seed, same train bytes");
    CHECK(!memcmp(at.pixels, bt.pixels, (size_t)at.n * PIX) &&
              !memcmp(at.labels, bt.labels, (size_t)at.n),
          "same seed, same test bytes");
    CHECK(memcmp(a.pixels, c.pixels, (size_t)a.n * PIX) != 0, "another seed, other images");
    CHECK(memcmp(a.pixels, at.pixels, (size_t)at.n * PIX) != 0, "train and test differ");

    int cnt[10] = {0}, tcnt[10] = {0}, ok = 1;
    for (int i = 0; i < a.n; i++) {
        if (a.labels[i] >= 10)
            ok = 0;
        else
            cnt[a.labels[i]]++;
    }
    for (int i = 0; i < at.n; i++) {
        if (at.labels[i] >= 10)
            ok = 0;
        else
            tcnt[at.labels[i]]++;
    }
    CHECK(ok, "synth labels < 10");
    ok = 1;
    for (int k = 0; k < 10; k++)
        if (cnt[k] != 500 || tcnt[k] != 100)
            ok = 0;
    CHECK(ok, "synth balanced (500/100 per class)");
    int sorted = 1;
    for (int i = 0; i < 20; i++)
        if (a.labels[i] != i % 10)
            sorted = 0;
    CHECK(!sorted, "synth order is shuffled");

    ok = a.class_names != NULL;
    for (int k = 0; ok && k < 10; k++) {
        const char *s = a.class_names[k];
        ok = s && strlen(s) > 0 && strlen(s) <= 15 && strcmp(s, "synth0") != 0;
        for (const char *q = s; ok && *q; q++)
            ok = (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_';
        for (int j = 0; ok && j < k; j++)
            ok = strcmp(s, a.class_names[j]) != 0;
    }
    CHECK(ok, "synth class names: short, lowercase, distinct, descriptive");

    /* odd sizes stay balanced within one; tiny sizes work */
    dataset_t d, dt2;
    synth_make(25, 0, 7, &d, &dt2);
    int oc[10] = {0};
    for (int i = 0; i < d.n; i++)
        oc[d.labels[i]]++;
    ok = d.n == 25 && dt2.n == 0;
    for (int k = 0; k < 10; k++)
        if (oc[k] != (k < 5 ? 3 : 2))
            ok = 0;
    CHECK(ok, "25 images: classes 0-4 get 3, 5-9 get 2");
    dataset_free(&d);
    dataset_free(&dt2);

    /* pixels use the range (not a constant image) */
    int lo = 255, hi = 0;
    for (size_t j = 0; j < PIX; j++) {
        if (a.pixels[j] < lo)
            lo = a.pixels[j];
        if (a.pixels[j] > hi)
            hi = a.pixels[j];
    }
    CHECK(hi - lo > 60, "synth image has contrast (%d..%d)", lo, hi);

    dataset_free(&a);
    dataset_free(&at);
    dataset_free(&b);
    dataset_free(&bt);
    dataset_free(&c);
    dataset_free(&ct);
}

/* ---- subsets, splits ----------------------------------------------------- */

/* a set of n 2x2 RGB images; image i carries its index in pixel 0/1 */
static void make_tagged(dataset_t *d, int n, int k, const int *labels)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->c = 3;
    d->h = 2;
    d->w = 2;
    d->k = k;
    d->pixels = xcalloc((size_t)n * 12, 1);
    d->labels = xmalloc((size_t)n);
    d->class_names = xcalloc((size_t)k, sizeof *d->class_names);
    for (int i = 0; i < k; i++) {
        char s[16];
        snprintf(s, sizeof s, "c%d", i);
        d->class_names[i] = xstrdup(s);
    }
    for (int i = 0; i < n; i++) {
        d->labels[i] = (uint8_t)labels[i];
        d->pixels[(size_t)i * 12] = (uint8_t)(i & 255);
        d->pixels[(size_t)i * 12 + 1] = (uint8_t)(i >> 8);
        d->pixels[(size_t)i * 12 + 2] = (uint8_t)labels[i];
    }
}

static int tag(const dataset_t *d, int i)
{
    return d->pixels[(size_t)i * 12] | d->pixels[(size_t)i * 12 + 1] << 8;
}

static void test_take_subset(void)
{
    int labels[60], n = 60;
    /* class 0: 30 images, class 1: 26, class 2: 4, interleaved */
    for (int i = 0; i < n; i++)
        labels[i] = (i % 15 == 7) ? 2 : (i % 2);
    dataset_t s, t, u;
    make_tagged(&s, n, 3, labels);

    int idx[3] = {5, 0, 59};
    dataset_take(&s, idx, 3, &t);
    CHECK(t.n == 3 && t.k == 3 && t.h == 2 && tag(&t, 0) == 5 && tag(&t, 1) == 0 && tag(&t, 2) == 59 &&
              t.labels[0] == labels[5] && t.labels[2] == labels[59],
          "dataset_take copies the chosen images");
    CHECK(t.class_names && t.class_names != s.class_names && t.class_names[2] != s.class_names[2] &&
              !strcmp(t.class_names[2], "c2"),
          "dataset_take deep-copies names");
    dataset_free(&t);

    dataset_balanced_subset(&s, 30, &u);
    int cnt[3] = {0}, ok = 1, prev = -1;
    for (int i = 0; i < u.n; i++) {
        cnt[u.labels[i]]++;
        if (tag(&u, i) <= prev)
            ok = 0;
        prev = tag(&u, i);
        if (u.labels[i] != labels[tag(&u, i)])
            ok = 0;
    }
    CHECK(cnt[0] == 10 && cnt[1] == 10 && cnt[2] == 4 && u.n == 24,
          "balanced subset counts %d %d %d (n=%d)", cnt[0], cnt[1], cnt[2], u.n);
    CHECK(ok, "balanced subset keeps file order and labels");
    /* the first 10 of class 0 in file order */
    int seen = 0, firsts = 1;
    for (int i = 0; i < n && seen < 10; i++)
        if (labels[i] == 0) {
            int found = 0;
            for (int j = 0; j < u.n; j++)
                if (tag(&u, j) == i)
                    found = 1;
            firsts &= found;
            seen++;
        }
    CHECK(firsts, "balanced subset takes the first images of each class");
    dataset_free(&u);

    dataset_balanced_subset(&s, 6, &u);
    CHECK(u.n == 6 && tag(&u, 0) == 0 && tag(&u, 1) == 1, "subset of 6: n=%d", u.n);
    dataset_free(&u);
    dataset_free(&s);
}

static void test_split(void)
{
    int n = 103, labels[103];
    /* class sizes 50, 30, 23, mixed order */
    for (int i = 0; i < n; i++)
        labels[i] = i < 100 ? (i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2) : 2;
    int cls[3] = {0};
    for (int i = 0; i < n; i++)
        cls[labels[i]]++;
    CHECK(cls[0] == 50 && cls[1] == 30 && cls[2] == 23, "fixture class sizes");
    dataset_t s, tr, va, tr2, va2, tr3, va3;
    make_tagged(&s, n, 3, labels);

    /* 20 * (50, 30, 23) / 103 = 9.71, 5.83, 4.47 -> 9+5+4 = 18, +1 to the
     * two largest remainders (class 1, then class 0) -> 10, 6, 4 */
    dataset_split_stratified(&s, 20, 5, &tr, &va);
    int vc[3] = {0};
    for (int i = 0; i < va.n; i++)
        vc[va.labels[i]]++;
    CHECK(va.n == 20 && tr.n == 83, "split sizes %d %d", tr.n, va.n);
    CHECK(vc[0] == 10 && vc[1] == 6 && vc[2] == 4, "stratified val counts %d %d %d", vc[0], vc[1],
          vc[2]);
    int *hit = calloc((size_t)n, sizeof *hit), ok = 1, prev = -1;
    for (int i = 0; i < tr.n; i++) {
        hit[tag(&tr, i)]++;
        if (tag(&tr, i) <= prev)
            ok = 0;
        prev = tag(&tr, i);
        if (tr.labels[i] != labels[tag(&tr, i)])
            ok = 0;
    }
    CHECK(ok, "train keeps file order and labels");
    for (int i = 0; i < va.n; i++) {
        hit[tag(&va, i)]++;
        if (va.labels[i] != labels[tag(&va, i)])
            ok = 0;
    }
    CHECK(ok, "val labels match");
    ok = 1;
    for (int i = 0; i < n; i++)
        if (hit[i] != 1)
            ok = 0;
    CHECK(ok, "train and val are disjoint and cover the set");
    free(hit);
    CHECK(tr.class_names && va.class_names && !strcmp(va.class_names[1], "c1"), "split copies names");

    dataset_split_stratified(&s, 20, 5, &tr2, &va2);
    ok = va2.n == va.n;
    for (int i = 0; ok && i < va.n; i++)
        ok = tag(&va, i) == tag(&va2, i);
    CHECK(ok, "same seed, same split");
    dataset_split_stratified(&s, 20, 6, &tr3, &va3);
    int same = va3.n == va.n;
    for (int i = 0; same && i < va.n; i++)
        same = tag(&va, i) == tag(&va3, i);
    CHECK(!same, "another seed, another split");
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&tr2);
    dataset_free(&va2);
    dataset_free(&tr3);
    dataset_free(&va3);

    /* edges: nothing to val, everything to val */
    dataset_split_stratified(&s, 0, 1, &tr, &va);
    CHECK(tr.n == n && va.n == 0, "nval 0: %d %d", tr.n, va.n);
    dataset_free(&tr);
    dataset_free(&va);
    dataset_split_stratified(&s, n, 1, &tr, &va);
    CHECK(tr.n == 0 && va.n == n, "nval n: %d %d", tr.n, va.n);
    dataset_free(&tr);
    dataset_free(&va);
    /* every nval gives the exact total and near-proportional counts */
    ok = 1;
    for (int nv = 1; nv < n; nv += 7) {
        dataset_split_stratified(&s, nv, 9, &tr, &va);
        int c3[3] = {0};
        for (int i = 0; i < va.n; i++)
            c3[va.labels[i]]++;
        if (va.n != nv || tr.n != n - nv)
            ok = 0;
        for (int k = 0; k < 3; k++) {
            double want = (double)nv * cls[k] / n;
            if (c3[k] < (int)want || c3[k] > (int)want + 1)
                ok = 0;
        }
        dataset_free(&tr);
        dataset_free(&va);
    }
    CHECK(ok, "exact totals and proportional counts for many nval");
    dataset_free(&s);

    /* a balanced set splits evenly */
    dataset_t a, at;
    synth_make(500, 0, 3, &a, &at);
    dataset_split_stratified(&a, 50, 1, &tr, &va);
    int c10[10] = {0};
    for (int i = 0; i < va.n; i++)
        c10[va.labels[i]]++;
    ok = va.n == 50 && tr.n == 450;
    for (int k = 0; k < 10; k++)
        ok &= c10[k] == 5;
    CHECK(ok, "balanced 500 -> 5 per class in val of 50");
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&a);
    dataset_free(&at);
}

/* ---- statistics and batches ---------------------------------------------- */

static void test_stats(void)
{
    int labels[2] = {0, 1};
    dataset_t d;
    make_tagged(&d, 2, 2, labels);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) {
            d.pixels[i * 12 + j] = 51;
            d.pixels[i * 12 + 4 + j] = 102;
            d.pixels[i * 12 + 8 + j] = 255;
        }
    float m[3], s[3];
    dataset_channel_stats(&d, m, s);
    CHECK_NEAR(m[0], 0.2, 1e-6, "mean R");
    CHECK_NEAR(m[1], 0.4, 1e-6, "mean G");
    CHECK_NEAR(m[2], 1.0, 1e-6, "mean B");
    CHECK(s[0] == 0.0f && s[1] == 0.0f && s[2] == 0.0f, "std of a constant set is 0: %g %g %g",
          s[0], s[1], s[2]);
    /* half 0, half 255 in R: mean .5, std .5; G: 0,0,0,0 / 255,255,255,255 too */
    for (int j = 0; j < 4; j++) {
        d.pixels[j] = 0;
        d.pixels[12 + j] = 255;
        d.pixels[4 + j] = (uint8_t)(j < 2 ? 0 : 255);
        d.pixels[16 + j] = (uint8_t)(j < 2 ? 0 : 255);
    }
    dataset_channel_stats(&d, m, s);
    CHECK_NEAR(m[0], 0.5, 1e-6, "mean R 0/255");
    CHECK_NEAR(s[0], 0.5, 1e-6, "std R 0/255 (population)");
    CHECK_NEAR(m[1], 0.5, 1e-6, "mean G 0/255");
    CHECK_NEAR(s[1], 0.5, 1e-6, "std G 0/255");
    dataset_free(&d);
}

/* a 3 x 4 x 4 image with 48 distinct non-zero values */
static void make_tiny(dataset_t *d, int n)
{
    int labels[8] = {3, 1, 4, 1, 5, 9, 2, 6};
    memset(d, 0, sizeof *d);
    d->n = n;
    d->c = 3;
    d->h = 4;
    d->w = 4;
    d->k = 10;
    d->pixels = xmalloc((size_t)n * 48);
    d->labels = xmalloc((size_t)n);
    for (int i = 0; i < n; i++) {
        d->labels[i] = (uint8_t)labels[i % 8];
        for (int j = 0; j < 48; j++)
            d->pixels[i * 48 + j] = (uint8_t)(1 + j * 5 + i);
    }
}

/* does out (3x4x4) equal image img of d shifted by (dx, dy), mirrored if flip? */
static int matches(const dataset_t *d, int img, const float *out, const float *mean,
                   const float *std, int dx, int dy, int flip)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) {
                int sy = y + dy, sx = (flip ? 3 - x : x) + dx;
                float want = 0.0f;
                if (sy >= 0 && sy < 4 && sx >= 0 && sx < 4)
                    want = ((float)d->pixels[img * 48 + c * 16 + sy * 4 + sx] / 255.0f - mean[c]) /
                           std[c];
                if (fabsf(out[c * 16 + y * 4 + x] - want) > 1e-5f)
                    return 0;
            }
    return 1;
}

/* does out (3x4x4) equal image img of d shifted by (dx, dy) with the
 * padding mirrored (PyTorch's "reflect": -1 -> 1, 4 -> 2), mirrored if flip? */
static int matches_reflect(const dataset_t *d, int img, const float *out, const float *mean,
                           const float *std, int dx, int dy, int flip)
{
    static const int mirror[] = {2, 1, 0, 1, 2, 3, 2, 1}; /* index s + 2, s in -2..5 */
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) {
                int sy = mirror[y + dy + 2], sx = mirror[(flip ? 3 - x : x) + dx + 2];
                float want = ((float)d->pixels[img * 48 + c * 16 + sy * 4 + sx] / 255.0f -
                              mean[c]) / std[c];
                if (fabsf(out[c * 16 + y * 4 + x] - want) > 1e-5f)
                    return 0;
            }
    return 1;
}

/* Reflect padding and airbench's alternating flips. */
static void test_batch_aug(void)
{
    enum { N = 200 };
    dataset_t d;
    make_tiny(&d, N);
    float mean[3] = {0.1f, 0.2f, 0.3f}, std[3] = {0.5f, 0.25f, 2.0f};
    int idx[N];
    for (int i = 0; i < N; i++)
        idx[i] = i;
    float *out = malloc(sizeof(float) * N * 48), *out1 = malloc(sizeof(float) * N * 48);

    /* reflect, pad 2: every image a mirrored-padding copy, draws as documented */
    augment_t aug = {.pad = 2, .reflect = 1, .flip = FLIP_RANDOM};
    rng_t r, q;
    rng_seed(&r, 7);
    rng_seed(&q, 7);
    dataset_make_batch_aug(&d, idx, N, mean, std, &aug, &r, out, NULL);
    int ok = 1, edge_shift = 0;
    for (int i = 0; i < N; i++) {
        int dx = (int)rng_below(&q, 5) - 2, dy = (int)rng_below(&q, 5) - 2;
        int f = (int)rng_below(&q, 2);
        ok &= matches_reflect(&d, i, out + i * 48, mean, std, dx, dy, f);
        edge_shift += dx == -2 || dy == 2;
    }
    CHECK(ok, "reflect padding: each image its shifted copy mirrored at the edges");
    CHECK(edge_shift > 20, "shifts of the full pad occur (%d)", edge_shift);

    /* alternate: a fixed half flipped in even epochs, the other half in odd */
    aug = (augment_t){.pad = 0, .flip = FLIP_ALTERNATE, .epoch = 4, .flip_key = 99};
    rng_seed(&r, 1);
    dataset_make_batch_aug(&d, idx, N, mean, std, &aug, &r, out, NULL);
    aug.epoch = 5;
    rng_seed(&r, 2); /* the rng does not decide alternating flips */
    dataset_make_batch_aug(&d, idx, N, mean, std, &aug, &r, out1, NULL);
    int flipped = 0, complementary = 1, bit_ok = 1;
    for (int i = 0; i < N; i++) {
        int f0 = matches(&d, i, out + i * 48, mean, std, 0, 0, 1) &&
                 !matches(&d, i, out + i * 48, mean, std, 0, 0, 0);
        int f1 = matches(&d, i, out1 + i * 48, mean, std, 0, 0, 1) &&
                 !matches(&d, i, out1 + i * 48, mean, std, 0, 0, 0);
        int p0 = matches(&d, i, out + i * 48, mean, std, 0, 0, 0);
        int p1 = matches(&d, i, out1 + i * 48, mean, std, 0, 0, 0);
        complementary &= (f0 && p1) || (p0 && f1);
        bit_ok &= f0 == augment_flip_bit(99, i);
        flipped += f0;
    }
    CHECK(complementary, "alternate: each image flipped in exactly one of two epochs");
    CHECK(bit_ok, "alternate: flipped in even epochs exactly when its bit is 1");
    CHECK(flipped > N / 2 - 30 && flipped < N / 2 + 30, "alternate: about half (%d of %d)",
          flipped, N);
    int same_key = 1, other_key = 0;
    for (int i = 0; i < N; i++) {
        same_key &= augment_flip_bit(99, i) == augment_flip_bit(99, i);
        other_key += augment_flip_bit(99, i) != augment_flip_bit(100, i);
    }
    CHECK(same_key && other_key > 50, "the bits follow the key (%d of %d differ)", other_key, N);

    /* none: never flipped, still translated */
    aug = (augment_t){.pad = 1, .flip = FLIP_NONE};
    rng_seed(&r, 3);
    rng_seed(&q, 3);
    dataset_make_batch_aug(&d, idx, N, mean, std, &aug, &r, out, NULL);
    ok = 1;
    for (int i = 0; i < N; i++) {
        int dx = (int)rng_below(&q, 3) - 1, dy = (int)rng_below(&q, 3) - 1;
        rng_below(&q, 2);
        ok &= matches(&d, i, out + i * 48, mean, std, dx, dy, 0);
    }
    CHECK(ok, "flip none: shifted, never mirrored");
    free(out);
    free(out1);
    dataset_free(&d);
}

static void test_batch(void)
{
    dataset_t d;
    make_tiny(&d, 8);
    float mean[3] = {0.1f, 0.2f, 0.3f}, std[3] = {0.5f, 0.25f, 2.0f};
    int idx[4] = {6, 0, 6, 3}, lab[4];
    float out[4 * 48], out2[4 * 48];

    dataset_make_batch(&d, idx, 4, mean, std, 2, NULL, out, lab);
    int ok = 1;
    for (int i = 0; i < 4; i++) {
        if (lab[i] != d.labels[idx[i]])
            ok = 0;
        for (int c = 0; c < 3; c++)
            for (int j = 0; j < 16; j++) {
                float want = ((float)d.pixels[idx[i] * 48 + c * 16 + j] / 255.0f - mean[c]) / std[c];
                if (fabsf(out[i * 48 + c * 16 + j] - want) > 1e-6f)
                    ok = 0;
            }
    }
    CHECK(ok, "no rng: exact normalisation and labels");
    CHECK_NEAR(out[0], ((1.0 + 6) / 255.0 - 0.1) / 0.5, 1e-6, "first value");

    /* with rng: reproducible for a seed */
    rng_t r1, r2;
    rng_seed(&r1, 11);
    rng_seed(&r2, 11);
    dataset_make_batch(&d, idx, 4, mean, std, 2, &r1, out, lab);
    dataset_make_batch(&d, idx, 4, mean, std, 2, &r2, out2, NULL);
    CHECK(!memcmp(out, out2, sizeof out), "same seed, same augmented batch");
    CHECK(lab[0] == 2 && lab[3] == 1, "labels with augmentation");

    /* many draws of one image: each output is a shifted / mirrored copy and
     * the draws follow the documented order dx, dy, flip */
    enum { M = 400, PAD = 2 };
    int one[M];
    for (int i = 0; i < M; i++)
        one[i] = 5;
    float *big = malloc(sizeof(float) * M * 48);
    rng_t r, mirror;
    rng_seed(&r, 99);
    rng_seed(&mirror, 99);
    dataset_make_batch(&d, one, M, mean, std, PAD, &r, big, NULL);
    int all_copies = 1, order_ok = 1, flips = 0, dxs[2 * PAD + 1] = {0}, dys[2 * PAD + 1] = {0};
    for (int i = 0; i < M; i++) {
        int found = 0, fdx = 0, fdy = 0, ff = 0;
        for (int f = 0; f < 2 && !found; f++)
            for (int dy = -PAD; dy <= PAD && !found; dy++)
                for (int dx = -PAD; dx <= PAD && !found; dx++)
                    if (matches(&d, 5, big + i * 48, mean, std, dx, dy, f)) {
                        found = 1;
                        fdx = dx;
                        fdy = dy;
                        ff = f;
                    }
        if (!found) {
            all_copies = 0;
            continue;
        }
        int edx = (int)rng_below(&mirror, 2 * PAD + 1) - PAD;
        int edy = (int)rng_below(&mirror, 2 * PAD + 1) - PAD;
        int ef = (int)rng_below(&mirror, 2);
        if (edx != fdx || edy != fdy || ef != ff)
            order_ok = 0;
        flips += ff;
        dxs[fdx + PAD]++;
        dys[fdy + PAD]++;
    }
    CHECK(all_copies, "every augmented image is a shifted/mirrored copy with zero padding");
    CHECK(order_ok, "draw order per image: dx, dy, flip");
    CHECK(flips > M / 2 - 60 && flips < M / 2 + 60, "flip about half the time (%d of %d)", flips, M);
    ok = 1;
    for (int j = 0; j < 2 * PAD + 1; j++)
        if (dxs[j] < 40 || dys[j] < 40)
            ok = 0;
    CHECK(ok, "all shifts in [-pad, pad] occur");
    free(big);

    /* a hand-checked case: pad 1 image shifted left by one (dx = +1) and
     * mirrored: out(y, x) = src(y, 3 - x + 1), so column 0 is padding */
    float o1[48];
    int i5 = 5;
    for (uint64_t seed = 0; seed < 1000; seed++) {
        rng_t q, qq;
        rng_seed(&q, seed);
        rng_seed(&qq, seed);
        int dx = (int)rng_below(&qq, 3) - 1, dy = (int)rng_below(&qq, 3) - 1,
            f = (int)rng_below(&qq, 2);
        if (dx != 1 || dy != 0 || f != 1)
            continue;
        dataset_make_batch(&d, &i5, 1, mean, std, 1, &q, o1, NULL);
        int good = 1;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 4; y++) {
                if (o1[c * 16 + y * 4 + 0] != 0.0f)
                    good = 0;
                for (int x = 1; x < 4; x++) {
                    float want = ((float)d.pixels[5 * 48 + c * 16 + y * 4 + (4 - x)] / 255.0f - mean[c]) / std[c];
                    if (fabsf(o1[c * 16 + y * 4 + x] - want) > 1e-6f)
                        good = 0;
                }
            }
        CHECK(good, "dx=+1, flip: mirrored copy with the left column padded (seed %llu)",
              (unsigned long long)seed);
        break;
    }

    /* pad 0 with rng: identity or mirror only */
    rng_seed(&r, 5);
    float o0[8 * 48];
    int all[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    dataset_make_batch(&d, all, 8, mean, std, 0, &r, o0, NULL);
    ok = 1;
    for (int i = 0; i < 8; i++)
        if (!matches(&d, i, o0 + i * 48, mean, std, 0, 0, 0) &&
            !matches(&d, i, o0 + i * 48, mean, std, 0, 0, 1))
            ok = 0;
    CHECK(ok, "pad 0: identity or mirror");
    dataset_free(&d);
}

/* ---- the real data set, when present -------------------------------------- */

static void test_real(void)
{
    const char *env = getenv("MSCNN_TEST_CIFAR");
    const char *cands[3] = {env && *env ? env : NULL, "../shared/data/cifar-10-batches-bin",
                            "/work/shared/data/cifar-10-batches-bin"};
    const char *dir = NULL;
    for (int i = 0; i < 3 && !dir; i++)
        if (cands[i] && cifar10_present(cands[i]))
            dir = cands[i];
    if (!dir)
        return;
    dataset_t tr, te;
    err_t e;
    double t0 = now_seconds();
    int rc = cifar10_load(dir, &tr, &te, &e);
    CHECK(rc == 0, "load real CIFAR-10 from %s: %s", dir, e.msg);
    if (rc)
        return;
    printf("real CIFAR-10 from %s loaded in %.2f s\n", dir, now_seconds() - t0);
    CHECK(tr.n == 50000 && te.n == 10000, "real sizes %d %d", tr.n, te.n);
    int ct[10] = {0}, cr[10] = {0}, ok = 1;
    for (int i = 0; i < te.n; i++)
        ct[te.labels[i]]++;
    for (int i = 0; i < tr.n; i++)
        cr[tr.labels[i]]++;
    for (int k = 0; k < 10; k++)
        if (ct[k] != 1000 || cr[k] != 5000)
            ok = 0;
    CHECK(ok, "real: 1000 per class in test, 5000 in train");
    CHECK(!strcmp(tr.class_names[0], "airplane") && !strcmp(te.class_names[9], "truck"),
          "real class names");
    float m[3], s[3];
    dataset_channel_stats(&tr, m, s);
    CHECK(m[0] > 0.4f && m[0] < 0.6f && s[0] > 0.2f && s[0] < 0.3f, "real R stats %g %g", m[0], s[0]);
    dataset_free(&tr);
    dataset_free(&te);
}

/* run_data_load honours each field of its data_config_t. */
static void test_run_data(void)
{
    err_t e = {{0}};
    run_data_t d, d2;
    data_config_t c = {.dataset = "synth", .synth_train = 600, .synth_test = 100,
                       .val_fraction = 0.1, .val_light = 50, .split_seed = 1,
                       .judge_holdout = 0.2};
    CHECK(run_data_load(&c, &d, &e) == 0, "synth: %s", e.msg);
    CHECK(!strcmp(d.name, "synth") && d.val.n == 60 && d.judge.n == 108 && d.train.n == 432 &&
              d.test.n == 100,
          "synth splits: %s %d/%d/%d/%d", d.name, d.train.n, d.judge.n, d.val.n, d.test.n);
    CHECK(contains(d.description, "synth (the built-in generated set, not CIFAR-10): 432 train, "
                                  "108 judge, 60 validation, 100 test images"),
          "synth description: %s", d.description);
    c.split_seed = 2;
    CHECK(run_data_load(&c, &d2, &e) == 0, "synth, seed 2: %s", e.msg);
    CHECK(d2.val.n == 60 && memcmp(d.val.pixels, d2.val.pixels, (size_t)60 * PIX),
          "another split seed, other validation images");
    run_data_free(&d2);
    c.judge_holdout = 0.5;
    CHECK(run_data_load(&c, &d2, &e) == 0 && d2.judge.n == 270, "holdout 0.5: %d judge images",
          d2.judge.n);
    run_data_free(&d2);
    c.val_fraction = 0.2;
    CHECK(run_data_load(&c, &d2, &e) == 0 && d2.val.n == 120, "val_fraction 0.2: %d",
          d2.val.n);
    run_data_free(&d2);
    c.light_mode = 1;
    CHECK(run_data_load(&c, &d2, &e) == 0 && d2.val.n == 50 &&
              contains(d2.description, ", light mode:"),
          "light mode: %d validation images; %s", d2.val.n, d2.description);
    run_data_free(&d2);
    run_data_free(&d);

    data_config_t f = {.dataset = "folder", .split_seed = 1, .judge_holdout = 0.2};
    CHECK(run_data_load(&f, &d, &e) == -1 && contains(e.msg, "--dataset folder needs --data_dir"),
          "folder without a root: %s", e.msg);

    data_config_t k = {.dataset = "cifar10", .val_fraction = 0.1, .split_seed = 3,
                       .judge_holdout = 0.2};
    path_in(k.data_dir, sizeof k.data_dir, tmp, "full");
    CHECK(run_data_load(&k, &d, &e) == 0, "cifar10 from data_dir: %s", e.msg);
    CHECK(!strcmp(d.name, "cifar10") && contains(d.description, k.data_dir) &&
              d.train.n + d.judge.n + d.val.n == 100 && d.test.n == 30,
          "cifar10: %s %s", d.name, d.description);
    run_data_free(&d);
    k.val_fraction = 0.9; /* 90 validation, 5 judge: too few left for 10 classes */
    k.judge_holdout = 0.5;
    CHECK(run_data_load(&k, &d, &e) == -1 && contains(e.msg, "leave too few training images"),
          "splits too large: %s", e.msg);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/mscnn-test-data-XXXXXX");
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_read_file();
    test_load();
    test_run_data();
    test_locate();
    test_synth();
    test_take_subset();
    test_split();
    test_stats();
    test_batch();
    test_batch_aug();
    test_real();

    char full[512];
    path_in(full, sizeof full, tmp, "full");
    remove_tree(full);
    if (remove_tree(tmp))
        fprintf(stderr, "warning: could not remove %s\n", tmp);
    return check_done("test_data");
}

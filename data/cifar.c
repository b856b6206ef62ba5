/* cifar.c - the CIFAR-10 binary format: reading, validation, locating.
 *
 * A batch file is a sequence of 3073-byte records: one label byte (0..9)
 * then 3072 pixel bytes (R, G, B planes of 32 x 32, row-major). Each file is
 * read whole with one fread, checked, then split into pixels and labels and
 * appended to the dataset.
 */
#include "data/dataset.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CIFAR_C 3
#define CIFAR_H 32
#define CIFAR_W 32
#define CIFAR_PIX (CIFAR_C * CIFAR_H * CIFAR_W) /* 3072 */
#define CIFAR_REC (1 + CIFAR_PIX)               /* 3073 */
#define CIFAR_K 10

static const char *const default_names[CIFAR_K] = {
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
};

#define CIFAR_OFFICIAL_RECORDS 10000 /* per data_batch_N.bin and test_batch.bin */

static const char *const fetch_hint =
    "run data/fetch-cifar10.sh to download CIFAR-10, or pass --data_dir DIR "
    "naming the folder that holds the *.bin files";

int cifar10_read_file(const char *path, dataset_t *d, err_t *e)
{
    static const record_format_t fmt = {"CIFAR-10", CIFAR_REC, "label byte + 3072 pixels",
                                        "binary batch"};
    if (d->pixels && (d->c != CIFAR_C || d->h != CIFAR_H || d->w != CIFAR_W))
        return err_set(e, "cannot append CIFAR-10 file '%s' to a %dx%dx%d image set", path,
                       d->c, d->h, d->w);
    uint8_t *buf;
    long long nrec;
    if (dataset_read_records(path, &fmt, &buf, &nrec, e))
        return -1;
    if (nrec > (long long)(INT_MAX - d->n)) {
        free(buf);
        return err_set(e, "CIFAR-10 file '%s': too many records (%lld)", path, nrec);
    }
    for (long long r = 0; r < nrec; r++) {
        uint8_t lab = buf[r * CIFAR_REC];
        if (lab >= CIFAR_K) {
            free(buf);
            return err_set(e,
                           "CIFAR-10 file '%s': record %lld (counting from 0, byte offset "
                           "%lld) has label byte %u; labels must be 0..9",
                           path, r, r * CIFAR_REC, (unsigned)lab);
        }
    }

    if (!d->pixels) {
        d->c = CIFAR_C;
        d->h = CIFAR_H;
        d->w = CIFAR_W;
    }
    if (d->k < CIFAR_K)
        d->k = CIFAR_K;
    size_t n0 = (size_t)d->n, n1 = n0 + (size_t)nrec;
    d->pixels = xrealloc(d->pixels, n1 * CIFAR_PIX);
    d->labels = xrealloc(d->labels, n1);
    for (size_t r = 0; r < (size_t)nrec; r++) {
        d->labels[n0 + r] = buf[r * CIFAR_REC];
        memcpy(d->pixels + (n0 + r) * CIFAR_PIX, buf + r * CIFAR_REC + 1, CIFAR_PIX);
    }
    d->n = (int)n1;
    free(buf);
    return 0;
}

static int join_path(char *out, size_t outlen, const char *dir, const char *name)
{
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int cifar10_load(const char *dir, dataset_t *train, dataset_t *test, err_t *e)
{
    static const char *const files[6] = {
        "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
        "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin",
    };
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    char path[4096];
    struct stat st;
    for (int i = 0; i < 6; i++) {
        if (join_path(path, sizeof path, dir, files[i])) {
            err_set(e, "CIFAR-10 directory name too long: '%s'", dir);
            goto fail;
        }
        if (stat(path, &st) && errno == ENOENT) {
            err_set(e, "CIFAR-10 file '%s' not found (%s): %s", path, strerror(ENOENT),
                    fetch_hint);
            goto fail;
        }
        dataset_t *d = i < 5 ? train : test;
        int before = d->n;
        if (cifar10_read_file(path, d, e))
            goto fail;
        if (d->n - before != CIFAR_OFFICIAL_RECORDS) /* a different or damaged file: say so */
            fprintf(stderr, "mscnn: warning: CIFAR-10 file '%s' holds %d records; the "
                            "official batch files hold %d each\n",
                    path, d->n - before, CIFAR_OFFICIAL_RECORDS);
    }

    if (join_path(path, sizeof path, dir, "batches.meta.txt")) {
        err_set(e, "CIFAR-10 directory name too long: '%s'", dir);
        goto fail;
    }
    if (dataset_name_classes(path, CIFAR_K, "CIFAR-10 class names", default_names, train, test,
                             e))
        goto fail;
    return 0;

fail:
    dataset_free(train);
    dataset_free(test);
    return -1;
}

int cifar10_present(const char *dir)
{
    char path[4096];
    if (!dir || !*dir)
        return 0;
    if (join_path(path, sizeof path, dir, "test_batch.bin") || !dataset_is_file(path))
        return 0;
    if (join_path(path, sizeof path, dir, "data_batch_1.bin") || !dataset_is_file(path))
        return 0;
    return 1;
}

static int try_dir(const char *dir, int (*present)(const char *), char *out, size_t outlen)
{
    if (!present(dir))
        return 0;
    int n = snprintf(out, outlen, "%s", dir);
    return n >= 0 && (size_t)n < outlen;
}

int dataset_locate(const char *subdir, int (*present)(const char *), char *out, size_t outlen)
{
    char buf[4096];
    const char *env = getenv("MSCNN_DATA");
    if (env && *env && try_dir(env, present, out, outlen))
        return 1;
    int n = snprintf(buf, sizeof buf, "./data/%s", subdir);
    if (n >= 0 && (size_t)n < sizeof buf && try_dir(buf, present, out, outlen))
        return 1;
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    n = -1;
    if (xdg && *xdg)
        n = snprintf(buf, sizeof buf, "%s/mscnn/%s", xdg, subdir);
    else if (home && *home)
        n = snprintf(buf, sizeof buf, "%s/.cache/mscnn/%s", home, subdir);
    return n >= 0 && (size_t)n < sizeof buf && try_dir(buf, present, out, outlen);
}

int cifar10_locate(char *out, size_t outlen)
{
    return dataset_locate("cifar-10-batches-bin", cifar10_present, out, outlen);
}

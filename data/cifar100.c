/* cifar100.c - the CIFAR-100 binary format: reading, validation, locating.
 *
 * The official cifar-100-binary.tar.gz unpacks to cifar-100-binary/ holding
 * train.bin (50000 records), test.bin (10000 records), fine_label_names.txt
 * (100 names) and coarse_label_names.txt (20 names). A record is 3074 bytes:
 * the coarse label byte (0..19), the fine label byte (0..99), then 3072
 * pixel bytes (R, G, B planes of 32 x 32, row-major). Each file is read
 * whole with one fread; every record's two label bytes are checked whichever
 * labelling was asked for, then the records are split into pixels and the
 * chosen labels.
 */
#include "data/dataset.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define C100_C 3
#define C100_H 32
#define C100_W 32
#define C100_PIX (C100_C * C100_H * C100_W) /* 3072 */
#define C100_REC (2 + C100_PIX)             /* 3074 */
#define C100_FINE 100
#define C100_COARSE 20

/* The official names, in label order (as in fine_label_names.txt and
 * coarse_label_names.txt of cifar-100-binary.tar.gz). */
static const char *const fine_names[C100_FINE] = {
    "apple", "aquarium_fish", "baby", "bear", "beaver",
    "bed", "bee", "beetle", "bicycle", "bottle",
    "bowl", "boy", "bridge", "bus", "butterfly",
    "camel", "can", "castle", "caterpillar", "cattle",
    "chair", "chimpanzee", "clock", "cloud", "cockroach",
    "couch", "crab", "crocodile", "cup", "dinosaur",
    "dolphin", "elephant", "flatfish", "forest", "fox",
    "girl", "hamster", "house", "kangaroo", "keyboard",
    "lamp", "lawn_mower", "leopard", "lion", "lizard",
    "lobster", "man", "maple_tree", "motorcycle", "mountain",
    "mouse", "mushroom", "oak_tree", "orange", "orchid",
    "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum",
    "rabbit", "raccoon", "ray", "road", "rocket",
    "rose", "sea", "seal", "shark", "shrew",
    "skunk", "skyscraper", "snail", "snake", "spider",
    "squirrel", "streetcar", "sunflower", "sweet_pepper", "table",
    "tank", "telephone", "television", "tiger", "tractor",
    "train", "trout", "tulip", "turtle", "wardrobe",
    "whale", "willow_tree", "wolf", "woman", "worm",
};

static const char *const coarse_names[C100_COARSE] = {
    "aquatic_mammals", "fish", "flowers", "food_containers",
    "fruit_and_vegetables", "household_electrical_devices", "household_furniture",
    "insects", "large_carnivores", "large_man-made_outdoor_things",
    "large_natural_outdoor_scenes", "large_omnivores_and_herbivores",
    "medium_mammals", "non-insect_invertebrates", "people",
    "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2",
};

static const char *const fetch_hint =
    "run data/fetch-cifar100.sh to download CIFAR-100, or pass the folder "
    "(cifar-100-binary) that holds train.bin and test.bin";

/* Reads one CIFAR-100 file into d (zero-initialised): labels are the coarse
 * (coarse != 0) or fine bytes. Both label bytes of every record are
 * checked. */
static int read_file(const char *path, int coarse, dataset_t *d, err_t *e)
{
    static const record_format_t fmt = {
        "CIFAR-100", C100_REC, "coarse label byte + fine label byte + 3072 pixels",
        "binary file"};
    uint8_t *buf;
    long long nrec;
    if (dataset_read_records(path, &fmt, &buf, &nrec, e))
        return -1;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    long long official = !strcmp(base, "train.bin") ? 50000 : 10000; /* else test.bin */
    if (nrec != official) /* a different or damaged file: say so, go on */
        fprintf(stderr, "mscnn: warning: CIFAR-100 file '%s' holds %lld records; the official "
                        "%s holds %lld\n", path, nrec, base, official);
    if (nrec > (long long)INT_MAX) {
        free(buf);
        return err_set(e, "CIFAR-100 file '%s': too many records (%lld)", path, nrec);
    }
    for (long long r = 0; r < nrec; r++) {
        uint8_t cl = buf[r * C100_REC], fl = buf[r * C100_REC + 1];
        if (cl >= C100_COARSE) {
            free(buf);
            return err_set(e,
                           "CIFAR-100 file '%s': record %lld (counting from 0, byte offset "
                           "%lld) has coarse label byte %u; coarse labels must be 0..19",
                           path, r, r * C100_REC, (unsigned)cl);
        }
        if (fl >= C100_FINE) {
            free(buf);
            return err_set(e,
                           "CIFAR-100 file '%s': record %lld (counting from 0, byte offset "
                           "%lld) has fine label byte %u; fine labels must be 0..99",
                           path, r, r * C100_REC, (unsigned)fl);
        }
    }

    size_t n = (size_t)nrec;
    d->c = C100_C;
    d->h = C100_H;
    d->w = C100_W;
    d->n = (int)n;
    d->pixels = xmalloc(n * C100_PIX);
    d->labels = xmalloc(n);
    for (size_t r = 0; r < n; r++) {
        d->labels[r] = buf[r * C100_REC + (coarse ? 0 : 1)];
        memcpy(d->pixels + r * C100_PIX, buf + r * C100_REC + 2, C100_PIX);
    }
    free(buf);
    return 0;
}

static int join_path(char *out, size_t outlen, const char *dir, const char *name)
{
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int cifar100_load(const char *dir, int coarse, dataset_t *train, dataset_t *test, err_t *e)
{
    static const char *const files[2] = {"train.bin", "test.bin"};
    int k = coarse ? C100_COARSE : C100_FINE;
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    char path[4096];
    struct stat st;
    for (int i = 0; i < 2; i++) {
        if (join_path(path, sizeof path, dir, files[i])) {
            err_set(e, "CIFAR-100 directory name too long: '%s'", dir);
            goto fail;
        }
        if (stat(path, &st) && errno == ENOENT) {
            err_set(e, "CIFAR-100 file '%s' not found (%s): %s", path, strerror(ENOENT),
                    fetch_hint);
            goto fail;
        }
        if (read_file(path, coarse, i == 0 ? train : test, e))
            goto fail;
    }

    if (join_path(path, sizeof path, dir,
                  coarse ? "coarse_label_names.txt" : "fine_label_names.txt")) {
        err_set(e, "CIFAR-100 directory name too long: '%s'", dir);
        goto fail;
    }
    if (dataset_name_classes(path, k, "CIFAR-100 label names", coarse ? coarse_names : fine_names,
                             train, test, e))
        goto fail;
    return 0;

fail:
    dataset_free(train);
    dataset_free(test);
    return -1;
}

int cifar100_present(const char *dir)
{
    char path[4096];
    if (!dir || !*dir)
        return 0;
    if (join_path(path, sizeof path, dir, "train.bin") || !dataset_is_file(path))
        return 0;
    if (join_path(path, sizeof path, dir, "test.bin") || !dataset_is_file(path))
        return 0;
    return 1;
}

int cifar100_locate(char *out, size_t outlen)
{
    return dataset_locate("cifar-100-binary", cifar100_present, out, outlen);
}

/* dataset.h - image sets in memory, readers, splits and augmentation.
 *
 * Images are stored as uint8 (N, C, H, W) exactly as CIFAR's binary format
 * lays them out (C = 3 planes R, G, B of H x W = 32 x 32, row-major).
 * A dataset_t owns its pixels, labels and class names; free with
 * dataset_free(). All randomness comes from an rng_t the caller seeds.
 */
#ifndef MSCNN_DATASET_H
#define MSCNN_DATASET_H

#include <stdint.h>
#include "base/util.h"

#define DATASET_MAX_CLASSES 100

typedef struct {
    int n;                 /* number of images */
    int c, h, w;           /* 3, 32, 32 */
    int k;                 /* number of classes */
    uint8_t *pixels;       /* (n, c, h, w) */
    uint8_t *labels;       /* (n), each < k */
    char **class_names;    /* k strings, owned */
} dataset_t;

void dataset_free(dataset_t *d);
/* Deep copy of the images idx[0..m) of src into dst (class names copied). */
void dataset_take(const dataset_t *src, const int *idx, int m, dataset_t *dst);

/* A class names file (CIFAR's batches.meta.txt, fine_label_names.txt...):
 * exactly k non-empty names, one per line, surrounding blanks trimmed,
 * blank lines only at the end. Returns 0 with *names (k owned strings), 1
 * when the file does not exist, or -1 with e set; `what` names the file in
 * messages ("CIFAR-10 class names" gives "cannot open CIFAR-10 class names
 * file 'PATH': ..."). */
int dataset_read_names(const char *path, int k, const char *what, char ***names, err_t *e);
/* A copy of k names (owned strings in an owned array). */
char **dataset_copy_names(const char *const *names, int k);
/* train and test get k classes named by the names file at path
 * (dataset_read_names()), or by defaults when there is none. 0, or -1
 * with e set. */
int dataset_name_classes(const char *path, int k, const char *what,
                         const char *const *defaults, dataset_t *train, dataset_t *test,
                         err_t *e);
/* A category list of a flag ("ship,9": names or indices, comma-separated)
 * into chosen[0..k) (1 = listed); returns how many, or -1 with e "FLAG:
 * unknown category 'x'; valid categories (name or index): 0=airplane, ..."
 * for an empty entry, an unknown or repeated category or an empty list. */
int dataset_parse_classes(const char *flag, const char *spec, const char *const *names, int k,
                          int *chosen, err_t *e);
/* e: "FLAG: WHAT 'TOK'; valid categories (name or index): 0=..., ...". */
int dataset_classes_error(err_t *e, const char *flag, const char *what, const char *tok,
                          const char *const *names, int k);

/* 1 when path is a regular file (links followed). */
int dataset_is_file(const char *path);

/* What a file of fixed-size records holds, for dataset_read_records()'s
 * messages: "CIFAR-10", 3073, "label byte + 3072 pixels", "binary batch". */
typedef struct {
    const char *what;
    size_t bytes;
    const char *layout, *kind;
} record_format_t;
/* The whole of a file of fixed-size records: 0 with *buf (malloc'd, the
 * caller's) and *nrec, or -1 with e naming the file: not a regular file,
 * empty, not a whole number of records, or unreadable. */
int dataset_read_records(const char *path, const record_format_t *f, uint8_t **buf,
                         long long *nrec, err_t *e);

/* CIFAR-10 binary format: dir holds data_batch_1..5.bin and test_batch.bin
 * (3073-byte records: label byte then 3072 pixel bytes) and, optionally,
 * batches.meta.txt with the class names (default names otherwise).
 * Every file's size must be a whole number of records and every label < 10;
 * an error names the file (and the record for a bad label). */
int cifar10_load(const char *dir, dataset_t *train, dataset_t *test, err_t *e);
/* One batch file appended to d (d zero-initialised or from earlier calls). */
int cifar10_read_file(const char *path, dataset_t *d, err_t *e);
/* 1 if dir looks like it holds CIFAR-10 (test_batch.bin and data_batch_1.bin). */
int cifar10_present(const char *dir);

/* synth: a generated, deterministic, learnable 10-class set of 32x32 RGB
 * images (each class a distinct colour/shape pattern plus noise).
 * Class names "synth0".."synth9" are replaced by descriptive names. */
void synth_make(int ntrain, int ntest, uint64_t seed, dataset_t *train, dataset_t *test);

/* Light mode: the first n/k images of each class in file order (n must be a
 * multiple of k; fewer if a class has fewer). Deterministic. */
void dataset_balanced_subset(const dataset_t *src, int n, dataset_t *dst);

/* Stratified seeded split: nval images (spread over classes in proportion,
 * rounded so the total is exactly nval) go to val, the rest to train. */
void dataset_split_stratified(const dataset_t *src, int nval, uint64_t seed,
                              dataset_t *train, dataset_t *val);

/* Per-channel mean and standard deviation of the pixels scaled to [0, 1]. */
void dataset_channel_stats(const dataset_t *d, float mean[3], float std[3]);

/* Builds a float batch (b, c, h, w) for images idx[0..b) of d, normalised as
 * (x/255 - mean[c]) / std[c]. When rng is not NULL, applies the training
 * augmentation: random crop with `pad` pixels of zero padding (padding is
 * applied in normalised space, i.e. value 0 after normalisation) and a
 * horizontal flip with probability 1/2. labels_out (b) gets the labels. */
void dataset_make_batch(const dataset_t *d, const int *idx, int b,
                        const float mean[3], const float std[3],
                        int pad, rng_t *rng, float *out, int *labels_out);

typedef enum { FLIP_NONE, FLIP_RANDOM, FLIP_ALTERNATE } flip_mode_t;

/* The training augmentation: a random translation of up to pad pixels each
 * way (a crop of the padded image) and a horizontal flip. */
typedef struct {
    int pad;               /* >= 0; with reflect at most h - 1 and w - 1 */
    int reflect;           /* the padding mirrors the image at its edge
                              (PyTorch's "reflect"); else it holds zeros */
    flip_mode_t flip;
    int epoch;             /* FLIP_ALTERNATE: image j is flipped when
                              bit(flip_key, j) + epoch is odd (airbench) */
    uint64_t flip_key;
} augment_t;

/* dataset_make_batch with the augmentation aug (NULL: none; then rng may
 * be NULL). Per image the rng is drawn three times, as above, whatever
 * the flip mode. */
void dataset_make_batch_aug(const dataset_t *d, const int *idx, int b,
                            const float mean[3], const float std[3],
                            const augment_t *aug, rng_t *rng, float *out,
                            int *labels_out);
/* FLIP_ALTERNATE's fixed bit of image j (0 or 1). */
int augment_flip_bit(uint64_t flip_key, int j);

/* A test-time view of b normalised images (b, 3, 32, 32): out(y, x) =
 * in(y + dy, x' + dx) with x' = x, or 31 - x when flip; positions outside
 * mirror at the edge (reflect padding). */
void tta_view(const float *in, float *out, int b, int dx, int dy, int flip);

/* Finds CIFAR-10: the first of $MSCNN_DATA, ./data/cifar-10-batches-bin,
 * $XDG_CACHE_HOME/mscnn/cifar-10-batches-bin (or ~/.cache/...) that holds
 * it. Writes the directory into out and returns 1, or returns 0. */
int cifar10_locate(char *out, size_t outlen);
/* The search behind the *_locate functions: the first of $MSCNN_DATA,
 * ./data/SUBDIR and $XDG_CACHE_HOME/mscnn/SUBDIR (~/.cache/...) for which
 * present() holds. */
int dataset_locate(const char *subdir, int (*present)(const char *), char *out, size_t outlen);

/* ---- CIFAR-100 and PNG folder readers (data/cifar100.c, data/folder.c) ---- */

/* CIFAR-100 binary format: dir (cifar-100-binary/ of the official tarball)
 * holds train.bin and test.bin, 3074-byte records: coarse label byte (0..19),
 * fine label byte (0..99), 3072 pixel bytes. coarse != 0 selects the 20
 * coarse labels, else the 100 fine ones (k = 20 or 100). Class names come
 * from coarse_label_names.txt / fine_label_names.txt when present (exactly k
 * names, one per line), else the official names. Every file's size must be
 * a whole number of records and both label bytes of every record in range,
 * whichever labelling is asked for; an error names the file (and the record
 * for a bad label). */
int cifar100_load(const char *dir, int coarse, dataset_t *train, dataset_t *test, err_t *e);
/* 1 if dir looks like it holds CIFAR-100 (train.bin and test.bin). */
int cifar100_present(const char *dir);
/* Finds CIFAR-100: the first of $MSCNN_DATA, ./data/cifar-100-binary,
 * $XDG_CACHE_HOME/mscnn/cifar-100-binary (or ~/.cache/...) that holds it
 * (where data/fetch-cifar100.sh puts it). Writes the directory into out and
 * returns 1, or returns 0. */
int cifar100_locate(char *out, size_t outlen);

/* A folder tree of 32x32 PNG images: root/<class>/<image>.png. Classes are
 * the sub-directory names in strcmp order (label = index), images within a
 * class in strcmp order of their file names. Entries whose name starts with
 * '.' are ignored, as are plain files directly under root (README.txt...),
 * files in a class folder not ending in ".png" (any case) and folders
 * inside a class folder. Any PNG colour type
 * and bit depth is read as 8-bit RGB; an alpha channel is removed by
 * compositing onto black in sRGB values, round(v * alpha / 255) (so
 * transparent pixels are 0, opaque ones exact); 16-bit files without gamma
 * information are taken
 * as sRGB-encoded like 8-bit ones. Errors (each naming the file or folder):
 * an unreadable PNG or one that is not 32x32, a class folder without PNGs,
 * fewer than 2 or more than DATASET_MAX_CLASSES classes, a class name with a
 * comma or a control character.
 * Test split: when root holds the folders train/ and test/ (and no other
 * folder), each is a tree as above, and both must have the same class set;
 * a lone train/ or test/ holding folders is an error. Otherwise the whole
 * tree is the training set and floor(n/6) images, stratified by class and
 * chosen with `seed`, are held out as the test set by
 * dataset_split_stratified() (at least 6 images are needed); both parts
 * keep the class/file order. */
int folder_load(const char *root, uint64_t seed, dataset_t *train, dataset_t *test,
                err_t *e);
/* One 32x32 PNG read into dst (3 x 32 x 32 bytes, R, G, B planes) as
 * folder_load() reads them; -1 with e naming the file (and its size when
 * it is not 32x32). */
int folder_read_png(const char *path, uint8_t *dst, err_t *e);
/* ---- end of CIFAR-100 and PNG folder readers ---- */

#endif

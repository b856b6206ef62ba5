/* data_select.h - which data a run uses, and its splits.
 *
 * dataset = auto: CIFAR-10 from --data_dir if given (an error if it is not
 * there), else from the first place cifar10_locate() finds it, else the
 * built-in synth set, announced plainly. cifar100 and folder read
 * --data_dir (CIFAR-100 is also searched for). Light mode keeps 5 000
 * training and 1 000 test images (class-balanced).
 *
 * The training images are split three ways, stratified and seeded:
 *   val    10 % (500 in light mode): per-epoch validation, threshold tuning
 *   judge  judge_holdout of the rest: only the judges train on these, so
 *          Stage 1's errors there look like its errors on new images
 *   train  the rest: Stage 1 trains on these
 */
#ifndef MSCNN_DATA_SELECT_H
#define MSCNN_DATA_SELECT_H

#include <stdint.h>

#include "data/dataset.h"

/* What a run loads and how it splits it. */
typedef struct {
    char dataset[32];        /* "auto", "cifar10", "cifar100", "folder" or "synth" */
    char data_dir[1024];     /* "" = search (CIFAR-10, CIFAR-100); folder: its root */
    int cifar100_coarse;     /* CIFAR-100's 20 coarse labels, else the 100 fine ones */
    int light_mode;          /* 5 000 training and 1 000 test images */
    double val_fraction;     /* validation share of the training images ... */
    int val_light;           /* ... or this many in light mode */
    int synth_train, synth_test; /* sizes of the synth set */
    uint64_t folder_seed;    /* folder without train/ and test/: the test hold-out */
    uint64_t split_seed;     /* the validation and judge splits */
    double judge_holdout;    /* share of the rest only the judges see */
    char holdout_classes[1024]; /* --holdout_classes: "" = none */
    char ood_data[1024];     /* --ood_data: "" = none */
} data_config_t;

typedef struct {
    dataset_t train, judge, val, test;
    /* the unseen kinds: the test images of the held-out classes, then the
     * --ood_data images (labels 0, meaningless; class names those of the
     * run); has_unseen is 1 when either flag was given */
    dataset_t unseen;
    int has_unseen;
    int unseen_held;        /* the first unseen_held of unseen are held-out test images */
    char held_names[1024];  /* the held-out classes, comma-separated ("" = none) */
    char name[32];          /* "cifar10", "cifar100", "folder" or "synth" */
    char dir[1024];         /* the directory the images came from, absolute
                               where it resolves; "" for synth */
    char description[1400]; /* for the start banner and the report */
} run_data_t;

/* c->split_seed and c->judge_holdout: the run's own, or those recorded in
 * a loaded model so that its held-out images stay held out.
 * --holdout_classes applies after light mode: the held-out classes leave
 * every split (the rest renumbered 0..K'-1 in their order, the names
 * following) and their test images become the unseen kinds. Returns 0,
 * -1 (a runtime error) or -2 (a usage error: a bad --holdout_classes or
 * --ood_data), e saying what. */
int run_data_load(const data_config_t *c, run_data_t *d, err_t *e);

/* ---- the unseen kinds (data/openset.c) ---- */

/* held[c] = 1 for each category of spec (names or indices, comma-separated,
 * as --stage2_categories). -1 with e naming --holdout_classes and listing
 * the valid names for an unknown, empty or repeated entry, or a list that
 * leaves fewer than 2 categories. */
int holdout_parse(const char *spec, char *const *names, int k, int *held, err_t *e);
/* Removes the classes of spec from train and test (renumbering the rest),
 * and puts the test images of the removed ones into unseen (zeroed before;
 * labels 0, the kept names). desc gets the removed names. */
int holdout_apply(const char *spec, dataset_t *train, dataset_t *test, dataset_t *unseen,
                  char *desc, size_t desclen, err_t *e);
/* Appends the images of path to d (c, h, w already set to 3, 32, 32): a
 * CIFAR-10 format binary file (3073-byte records, labels ignored) or a
 * folder of 32x32 PNGs (sub-folders too). -1 with e naming the path and
 * what was expected: a missing path, a size that is not a whole number of
 * records, a folder without PNGs, a PNG that cannot be read or is not
 * 32x32. */
int ood_load(const char *path, dataset_t *d, err_t *e);
void run_data_free(run_data_t *d);

#endif

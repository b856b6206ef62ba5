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
} data_config_t;

typedef struct {
    dataset_t train, judge, val, test;
    char name[32];          /* "cifar10", "cifar100", "folder" or "synth" */
    char description[1400]; /* for the start banner and the report */
} run_data_t;

/* c->split_seed and c->judge_holdout: the run's own, or those recorded in
 * a loaded model so that its held-out images stay held out. */
int run_data_load(const data_config_t *c, run_data_t *d, err_t *e);
void run_data_free(run_data_t *d);

#endif

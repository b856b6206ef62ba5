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

#include "data/dataset.h"
#include "settings/options.h"

typedef struct {
    dataset_t train, judge, val, test;
    char name[32];          /* "cifar10", "cifar100", "folder" or "synth" */
    char description[1400]; /* for the start banner and the report */
} run_data_t;

/* split_seed and judge_holdout: the run's own, or those recorded in a
 * loaded model so that its held-out images stay held out. */
int run_data_load(const options_t *o, uint64_t split_seed, double judge_holdout,
                  run_data_t *d, err_t *e);
void run_data_free(run_data_t *d);

#endif

/* data_select.h - which data a run uses, and its splits.
 *
 * dataset = auto: CIFAR-10 from --data_dir if given (an error if it is not
 * there), else from the first place cifar10_locate() finds it, else the
 * built-in synth set, announced plainly. Light mode keeps 5 000 training and
 * 1 000 test images (class-balanced); the validation split is stratified
 * and seeded (10 %, or 500 in light mode). synth is always the same set.
 */
#ifndef MSCNN_DATA_SELECT_H
#define MSCNN_DATA_SELECT_H

#include "dataset.h"
#include "options.h"

typedef struct {
    dataset_t train, val, test;
    char name[32];          /* "cifar10" or "synth" */
    char description[1200]; /* for the start banner and the report */
} run_data_t;

/* split_seed chooses the validation images (the run's --seed, or the seed
 * recorded in a loaded model so that its validation split stays held out). */
int run_data_load(const options_t *o, uint64_t split_seed, run_data_t *d, err_t *e);
void run_data_free(run_data_t *d);

#endif

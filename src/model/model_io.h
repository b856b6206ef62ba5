/* model_io.h - the model directory (DESIGN.md section 5).
 *
 *   <dir>/model.safetensors  every parameter and buffer of the net
 *   <dir>/state.safetensors  optimizer velocity, epoch, step, RNG state
 *   <dir>/model.ini          architecture, classes, normalisation, progress
 *
 * model_save() writes everything into "<dir>.tmp-<pid>" and swaps it with
 * <dir> atomically (model_dir.h), so a crash, even kill -9, leaves the old
 * or the new complete model under <dir>, never none and never half of one.
 * It refuses to replace an existing directory that is not an mscnn model.
 * The loaders reject a truncated, corrupt or mismatched model, or one with
 * a non-finite weight or momentum, with a message naming the file and the
 * problem. Both first repair what a killed save of <dir> left behind
 * (model_dir_recover(): a model put back, stale temporary directories of
 * dead processes removed, each said on stderr); nothing else on disk
 * changes.
 */
#ifndef MSCNN_MODEL_IO_H
#define MSCNN_MODEL_IO_H

#include <stdint.h>

#include "data/dataset.h"
#include "model/model.h"
#include "model/model_dir.h" /* model_dir_recover() */
#include "base/util.h"

#define MODEL_FORMAT_VERSION 1
#define MODEL_NAME_LEN 64

/* Where a model's images came from ([data] in model.ini), so that a later
 * run without data options uses the same images and splits. */
typedef struct {
    int known;             /* recorded (models saved before it: 0) */
    char dir[1024];        /* absolute; "" for synth */
    int light_mode, cifar100_coarse;
    char holdout_classes[1024]; /* "" = none */
    int synth_train, synth_test; /* synth only */
    uint64_t folder_seed;  /* folder only: its test hold-out */
} model_data_t;

typedef struct {
    char arch[32];
    int k;
    char class_names[DATASET_MAX_CLASSES][MODEL_NAME_LEN];
    char dataset[32];      /* what it was trained on: cifar10, synth */
    model_data_t data;     /* and where from */
    float mean[3], std[3]; /* input normalisation */
    int epoch;             /* completed epochs */
    int run_start, run_epochs; /* the run (schedule) it is on: begun after epoch
                                  run_start, planned for run_epochs epochs */
    int stage1_frozen;     /* that run trains the judges only from here on */
    int partial_epoch;     /* saved partway through epoch epoch+1 (the workbench's
                              save): the weights are not those after `epoch` */
    int best_epoch;        /* the run's epoch of the best Stage 1 validation
                              accuracy, 0 = none yet */
    double best_val_acc;   /* that accuracy */
    int64_t step;          /* completed optimizer steps */
    uint64_t split_seed;   /* seed of the validation and judge splits */
    double judge_holdout;  /* fraction of training images held out for judges */
    rng_t rng;             /* trainer RNG after the last completed epoch */
    double tau[DATASET_MAX_CLASSES];   /* per-category thresholds */
    int trainable[DATASET_MAX_CLASSES]; /* judge trainable flags */
    double calib[DATASET_MAX_CLASSES][3]; /* judge c's a_c, b_c, w_c (train/stage2.h);
                                             0, 0, 0 (no baseline) in models saved
                                             before them; w_c 0 in those before w_c */
    char tuned_by[96];     /* how tau was chosen: "threshold", "accuracy", ... */
} model_meta_t;

/* Refuses (before writing anything) a model with a non-finite weight or
 * momentum, naming the tensor and the element. */
int model_save(const char *dir, const model_t *model, const model_meta_t *m, err_t *e);
/* 0 when every weight of Stage 1 and the judges is finite; else -1 with e
 * "tensor NAME has a non-finite value (NaN) at element N". */
int model_check_finite(const model_t *model, err_t *e);

/* Reads <dir>/model.ini only (to learn what net to build). */
int model_load_meta(const char *dir, model_meta_t *m, err_t *e);
/* Fills a model built from that meta with weights (and velocity, step,
 * epoch and RNG state into m). */
int model_load_weights(const char *dir, model_t *model, model_meta_t *m, err_t *e);

#endif

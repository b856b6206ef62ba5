/* report.h - what a run prints: progress on stderr, the report on stdout. */
#ifndef MSCNN_REPORT_H
#define MSCNN_REPORT_H

#include <stdio.h>

#include "train.h"

/* A step callback (train.h) drawing a Keras-style progress bar on stderr
 * while an epoch runs; does nothing when stderr is not a terminal. */
typedef struct {
    int enabled;
    int total_epochs;
    double last_draw;
} progress_t;

void progress_init(progress_t *p, int total_epochs);
void progress_step(void *user, const step_info_t *info);
void progress_clear(progress_t *p);

/* "Epoch 3/5: Loss ... - Accuracy ... - Val Loss ... - Val Accuracy ..." */
void print_epoch_line(FILE *fp, const epoch_stats_t *st, int total_epochs);

/* The final report: test loss, per-class accuracy, confusion matrix, and
 * last the line "Stage 1 test accuracy: NN.N%". */
void print_report(FILE *fp, const eval_t *test, char *const *class_names,
                  const char *data_description);

#endif

/* report.h - what a batch run prints: progress on stderr, the report on
 * stdout. */
#ifndef MSCNN_REPORT_H
#define MSCNN_REPORT_H

#include <stdio.h>

#include "report/progress.h"
#include "train/session.h"
#include "eval/threshold.h"

/* "Epoch 3/5: Loss ... - Accuracy ... - Val Loss ... - Val Accuracy ...
 *  - Judge Loss ... - Judge Accuracy ... - Val Judge Loss ... - ..." */
void print_epoch_line(FILE *fp, const epoch_stats_t *st);

/* The original project's "Training Status Summary": a check mark or a
 * cross per category, then the trainable categories by name. */
void print_training_status(FILE *fp, const session_t *s);
/* One line: the recipe and every training value it (with any overrides)
 * chose, and the test-time augmentation. */
void print_recipe(FILE *fp, const session_t *s);

/* How the thresholds of the report were chosen. */
typedef struct {
    int tuned;             /* 0: --threshold or the loaded model's */
    th_spec_t spec;
    th_choice_t overall;
    int unmet;             /* scopes where the rule could not be met */
} tune_info_t;

/* The final report over the test set (DESIGN.md section 3). Its last two
 * lines are "Final Accuracy: NN.N% (11-way; always-OTHER NN.N%, never-OTHER
 * NN.N%)" and "Stage 1 test accuracy: NN.N%". unseen: the scores of
 * s->data.unseen, which add the "Unseen kinds" section, or NULL. */
/* The per-category test figures a retrain of the judges is judged by:
 * the judge's AURC x1000 and the coverage at tau of the images Stage 1
 * assigned to each category; index k holds the pooled figures. */
typedef struct {
    int k;
    double aurc[DATASET_MAX_CLASSES + 1];
    double coverage[DATASET_MAX_CLASSES + 1];
} report_figures_t;

void report_figures(const session_t *s, const scored_t *t, report_figures_t *f);
/* "category  judge AURC x1000 before -> after  coverage before -> after"
 * per category and pooled. */
void print_before_after(FILE *fp, const session_t *s, const report_figures_t *before,
                        const report_figures_t *after);

void print_report(FILE *fp, const session_t *s, const scored_t *test, const scored_t *unseen,
                  const tune_info_t *tune);
/* The "Unseen kinds" section (report_unseen.c): the share of the unseen
 * images at OTHER at tau beside the test set's, and AUROC and FPR at 95 %
 * TPR of telling test images (positive) from unseen ones, judge score and
 * MSP side by side. */
void print_unseen(FILE *fp, const session_t *s, const scored_t *test, const scored_t *unseen);

/* The same in one line for the workbench log at the end of an epoch, the
 * known images being those of `what` ("validation"): the share at OTHER
 * of each and the AUROC of the judge score and of MSP. */
void print_unseen_line(FILE *fp, const session_t *s, const scored_t *known, const char *what,
                       const scored_t *unseen);

/* --predictions: one CSV row per test image, then (when unseen is not
 * NULL) one per unseen image, labelled "unseen". */
int write_predictions(const char *path, const session_t *s, const scored_t *test,
                      const scored_t *unseen, err_t *e);

#endif

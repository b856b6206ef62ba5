/* session.h - one training session of the two-stage model, as steps.
 *
 * A session owns the data, the model, the trainer and history.csv. It runs
 * epochs as a sequence of small steps (one mini-batch each) so that a
 * front end can act between any two steps: batch mode calls session_step()
 * in a loop; the workbench calls it from its training thread.
 *
 * An epoch: Stage 1 trains on its split (skipped when Stage 1 is frozen);
 * Stage 1, in inference mode and with the test-time views the evaluation
 * uses, labels the judge split (the "pool"; kept while Stage 1 stays
 * frozen); the judges' baseline and combiner are fitted to the pool, then
 * each trainable judge trains on judge_passes augmented views of the pool
 * images Stage 1 assigned to its category; both stages are scored on the
 * validation split, where a few pooled choices decide what the judges
 * keep (train/stage2.h), and those scores become
 * the cached ones threshold tuning uses; then history.csv gets a row and
 * the model is saved.
 */
#ifndef MSCNN_SESSION_H
#define MSCNN_SESSION_H

#include "data/data_select.h"
#include "train/history.h"
#include "engine/lookahead.h"
#include "model/model.h"
#include "model/model_io.h"
#include "train/stage2.h"
#include "train/train.h"

/* What a session needs: the data, the recipe, the device and where the
 * model comes from and goes. The front ends fill it from the settings. */
typedef struct {
    data_config_t data;      /* split_seed and judge_holdout: a loaded model's
                                own replace these */
    train_config_t train;
    char device[16];         /* --device: auto, cpu, ref, gpu or gpu:N */
    char precision[8];       /* --precision: auto (bf16 for the air recipe where it is
                                native), fp32 or bf16 */
    int threads;             /* 0 = all cores */
    char load_model[1024];   /* the model to start from, "" = none */
    char save_model[1024];   /* where the model is saved after each epoch */
    char output_dir[1024];   /* history.csv (and the report's files) */
    int score_only;          /* the session only scores (eval, predict, compare): no
                                history.csv is opened, nothing is written */
    int no_data;             /* with score_only and load_model: no data set is
                                loaded; the caller scores its own 3x32x32 images */
} session_config_t;

typedef enum { PHASE_STAGE1, PHASE_POOL, PHASE_JUDGES, PHASE_VAL, PHASE_IDLE } phase_t;

typedef struct {
    double s1_val_acc;          /* Stage 1 accuracy on validation images of class c */
    double judge_loss, judge_acc;         /* judge training, pool images predicted c */
    double val_judge_loss, val_judge_acc; /* validation images predicted c */
    int judge_n, val_n;
    double val_aurc, val_aurc_msp; /* raw AURC of the kept judge and of MSP on
                                      validation images predicted c */
    judge_keep_t kept;          /* what the judge kept at the epoch's end */
} cat_stats_t;

typedef struct {
    int epoch;                  /* global, 1-based */
    int last_epoch;             /* the epoch this run ends with */
    phase_t phase;
    int step, steps;            /* within the phase */
    int stage1_frozen;
    double s1_loss, s1_acc;     /* training, running means (NaN when frozen) */
    double s1_val_loss, s1_val_acc;
    double s1_val_acc_plain;    /* the same of the unaugmented images alone */
    int val_tta;                /* the TTA level of the epoch's pool and validation */
    double j_loss, j_acc, j_val_loss, j_val_acc;
    double lr, judge_lr;
    double seconds, img_s;      /* epoch time so far; training images per second */
    double phase_seconds[PHASE_IDLE]; /* time in each phase (the one in progress
                                         counts once it ends) */
    cat_stats_t cat[DATASET_MAX_CLASSES];
} epoch_stats_t;

/* Scores of one data set: what the report and threshold tuning need. */
typedef struct {
    int n, k;
    int *y, *p;                 /* (n) label, Stage 1 prediction */
    double *msp, *score;        /* (n) Stage 1 max softmax, judge score */
    double *margin;             /* (n) Stage 1's top-2 logit margin (stage2.h) */
    double s1_loss, j_loss;     /* means */
    int tta;                    /* the TTA level it was scored with */
    long plain_hits;            /* Stage 1's hits on the unaugmented images alone */
} scored_t;

void scored_free(scored_t *s);

typedef struct {
    session_config_t cfg;       /* as given; cfg.data holds the splits used */
    run_data_t data;
    backend_t *be;
    model_t *model;
    model_meta_t meta;
    trainer_t tr;
    history_t hist;
    int stage1_frozen;
    int run_epochs, start_epoch; /* this session trains epochs start_epoch+1 ..
                                    start_epoch+run_epochs */
    int stopped_early;          /* --patience ended the run */
    int sched_start, sched_epochs; /* the schedule they follow (warm-up, decay,
                                      lookahead): the run begun after epoch
                                      sched_start, planned for sched_epochs */
    int epoch_open;             /* an epoch is in progress */
    epoch_stats_t live;         /* the epoch in progress */
    epoch_stats_t last;         /* the last completed epoch */
    scored_t val;               /* validation scores of the last epoch */
    epoch_stats_t *history;     /* every epoch completed in this session */
    int nhistory;
    /* epoch state */
    int *order;                 /* shuffled indices of the split in use */
    double t0, phase_t0;        /* the epoch's and the phase's start */
    double judge_loss_sum[DATASET_MAX_CLASSES];
    long s1_seen, judge_correct[DATASET_MAX_CLASSES], judge_seen[DATASET_MAX_CLASSES];
    int s1_stale;               /* live.s1_loss/s1_acc lag the backend's sums */
    double val_s1_sum, val_j_sum;
    long val_j_correct;
    int just_finished;          /* the last step completed an epoch */
    err_t diverged;             /* "" or why training stopped: a non-finite loss or
                                   weight; nothing is saved after it */
    /* the judge pool: the judge split labelled by Stage 1 (image i of the
       pool is image i of data.judge) */
    int pool_n;
    int pool_fresh;             /* the pool is Stage 1's current answer ... */
    int pool_tta;               /* ... at this TTA level */
    float *pool_probs;          /* (pool_n, k) */
    double *pool_z;             /* (pool_n) logit of MSP */
    double *pool_margin;        /* (pool_n) top-2 logit margin (stage2.h) */
    int *pool_pred, *pool_right;
    int *plan;                  /* (nplan, 3): category, first index into plan_idx, count */
    int *plan_idx;              /* pool indices grouped by category, judge_passes times */
    int nplan;
    float *gather_x, *gather_probs; /* (max_batch, ...) host scratch */
    int *gather_right;
    double *gather_scores, *gather_offset;
    double calib_shared[2];     /* the shared baseline's a, b (train/stage2.h) */
    double calib_comb[3];       /* the combiner's w0, w1, w2 (train/stage2.h) */
    blend_t blend;              /* the last epoch's pooled choice (have_blend) */
    int have_blend;
    int judged[DATASET_MAX_CLASSES]; /* judge c was trainable when this epoch's
                                        judge phase began: the selection is its */
} session_t;

/* The model a session starts from: load_model, or with stage2_only or
 * resume the model at save_model; "" when it trains a fresh one. NULL with
 * e set when such a run has nothing to start from. (A front end reads that
 * model's architecture to choose the recipe before it fills the train
 * config.) */
const char *session_start_dir(const char *load_model, const char *save_model, int stage2_only,
                              int resume, err_t *e);

/* Returns 0, -1 for a runtime error (exit 1) or -2 for a usage error such
 * as an unknown category (exit 2); e says what. */
int session_open(session_t *s, const session_config_t *o, err_t *e);
void session_close(session_t *s);

/* Runs one step. Returns 1 while there is more to do, 0 when the run's
 * epochs are done, -1 on an error (e.g. the model could not be saved, or
 * training diverged: see session_diverged()). */
int session_step(session_t *s, err_t *e);
/* Brings live.s1_loss and live.s1_acc up to date: Stage 1's training
 * sums stay in backend memory between steps, and cross to the host only
 * when a front end reads live (call this first) or an epoch ends. A
 * non-finite sum marks the session diverged (the next step fails). */
void session_sync(session_t *s);
/* 1 once a loss or weight turned non-finite (NaN or Inf): training has
 * stopped, s->diverged.msg says where, and session_save() refuses; the
 * model saved before stays as it was. */
int session_diverged(const session_t *s);
/* 1 when the last step completed an epoch (s->last is new). */
int session_epoch_done(const session_t *s);
/* Epochs of the run after the last saved one. */
int session_epochs_left(const session_t *s);
/* "Resuming the run after epoch E of N (its own schedule)" or "Fine-tuning
 * from epoch E: N epochs on a fresh schedule" into buf; 0 (buf "") when the
 * session starts a fresh model. */
int session_start_line(const session_t *s, char *buf, size_t len); /* len 256 */

/* Scores every image of d with both stages (inference mode). */
void session_score(session_t *s, const dataset_t *d, scored_t *out);
/* The TTA level of the pool and validation of epoch (1-based, global):
 * --tta in the run's last epoch and under --patience (any epoch may be
 * the last), --epoch_tta (at most --tta) before, as the judges, the
 * threshold and the report read only the last epoch's. */
int session_epoch_tta(const session_t *s, int epoch);
/* s->val scored with --tta: scored now when no epoch scored it, or when
 * the last one did at --epoch_tta (a run stopped before its last epoch). */
void session_score_val(session_t *s);
/* A run stopped before its last epoch: s->val, scored at --epoch_tta,
 * rescored at --tta for the threshold and the report. Returns 1 when it
 * rescored, 0 when the last epoch's scores stand (or none exist). */
int session_rescore_val(session_t *s);

/* Judge flags: the given list ("ship,truck", "0,8", mixed), or all when
 * spec is empty. Returns 0 or -1 with e listing the valid names. */
int parse_categories(const char *spec, char class_names[][MODEL_NAME_LEN], int k,
                     int *trainable, err_t *e);

/* Saves to save_model; refuses after divergence (and model_save() refuses
 * non-finite weights). */
int session_save(session_t *s, err_t *e);

/* Commands a front end may give between steps. A judge whose flag is
 * cleared stops training at its next mini-batch. */
void session_set_trainable(session_t *s, int c, int on);
/* Ends the epochs planned so far after the current epoch; then `epochs`
 * more epochs train the judges only (Stage 1 frozen). */
void session_retrain_judges(session_t *s, int epochs);

/* Internal to the session files. */
/* Marks the session diverged: what (printf) says which value and where;
 * hint names the flag to lower. */
void session_set_diverged(session_t *s, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int session_history_row(session_t *s, err_t *e);
void scored_alloc(scored_t *sc, int n, int k, int tta);
/* Scores images start..start+b of d into sc at its TTA level, adding to
 * the loss sums and sc->plain_hits. */
void session_score_batch(session_t *s, const dataset_t *d, int start, int b, scored_t *sc,
                         double *s1_loss, double *j_loss, long *j_correct);
/* Stage 1's softmax (b, k) of the b images the last session_score_batch()
 * scored, row i for image start + i (valid until the next call). */
const float *session_batch_probs(const session_t *s);
/* Stage 2 (session_stage2.c, train/stage2.h): after the pool is labelled,
 * fits the shared baseline and the combiner to it and starts every
 * trainable judge from the combiner; after validation, makes the pooled
 * choice and applies it to the calibrations, the judge nets and s->val. */
void stage2_calibrate(session_t *s);
void stage2_select(session_t *s);

#endif

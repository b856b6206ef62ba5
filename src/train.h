/* train.h - Stage 1 training and evaluation over a dataset.
 *
 * The trainer owns its batch buffers; the net, backend, datasets and meta
 * are the caller's. All randomness (shuffling, augmentation, dropout) comes
 * from meta->rng, which is saved with the model, so a run is reproducible
 * bit for bit for the same seed, flags, machine and thread count.
 */
#ifndef MSCNN_TRAIN_H
#define MSCNN_TRAIN_H

#include <signal.h>
#include <stdint.h>

#include "backend.h"
#include "dataset.h"
#include "model_io.h"
#include "net.h"
#include "options.h"

typedef struct {
    int epoch;             /* 1-based, counting earlier runs */
    int step, steps;       /* within this epoch */
    double loss, acc;      /* running means over this epoch so far */
    double elapsed;        /* seconds since the epoch started */
    double img_s;
} step_info_t;

typedef void (*step_cb_t)(void *user, const step_info_t *info);

typedef struct {
    const options_t *opt;
    backend_t *be;
    net_t *net;
    model_meta_t *meta;    /* normalisation, epoch, step, rng */
    int run_epochs;        /* epochs in this run, for the LR schedule */
    int start_epoch;       /* meta->epoch when the run started */
    float *x;              /* (max_batch, 3, 32, 32) backend memory */
    float *xhost;          /* (max_batch, 3, 32, 32) */
    int32_t *labels;       /* (max_batch) */
    float *probs;          /* (max_batch, k) backend memory */
    float *probs_host;     /* (max_batch, k) */
    int *order;            /* (n train) shuffled indices */
    int order_cap;
    step_cb_t on_step;
    void *cb_user;
    volatile sig_atomic_t *stop; /* checked between steps; may be NULL */
} trainer_t;

typedef struct {
    int k, n;
    double loss, acc;
    int64_t *confusion;    /* (k, k): rows true class, columns prediction */
} eval_t;

typedef struct {
    int epoch;
    double loss, acc, val_loss, val_acc, lr, seconds, img_s;
} epoch_stats_t;

void trainer_init(trainer_t *t, const options_t *opt, backend_t *be, net_t *net,
                  model_meta_t *meta, int run_epochs);
void trainer_free(trainer_t *t);

/* The learning rate of optimizer step s (0-based within this run). */
double trainer_lr(const trainer_t *t, int64_t s, int64_t steps_per_epoch);

/* One epoch over train, then an evaluation on val; updates meta.
 * Returns 0, or -1 when *stop was set: the epoch is abandoned and meta
 * is left as it was after the last completed epoch except its rng. */
int trainer_epoch(trainer_t *t, const dataset_t *train, const dataset_t *val,
                   epoch_stats_t *st, eval_t *val_eval);

/* Loss (with the training label smoothing), accuracy and confusion matrix
 * of the net in inference mode. ev->confusion is allocated (k*k) on first
 * use; free with eval_free(). */
void evaluate(trainer_t *t, const dataset_t *d, eval_t *ev);
void eval_free(eval_t *ev);

#endif

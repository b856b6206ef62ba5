/* train.h - batch-level training and inference of the two-stage model.
 *
 * A trainer_t owns the buffers one mini-batch needs (sized for the nets'
 * max_batch); the model, backend and data are the caller's. Every function
 * here works on ONE batch, so the session (session.h) can interleave user
 * commands between steps. All randomness comes from the rng passed in.
 */
#ifndef MSCNN_TRAIN_H
#define MSCNN_TRAIN_H

#include <stdint.h>

#include "engine/backend.h"
#include "data/dataset.h"
#include "model/model.h"

/* The recipe of a run: every training value the session and the trainer
 * read. The front ends fill it from the settings (recipe applied). */
typedef struct {
    char arch[32];           /* Stage 1 of a fresh model: "basic", "air" */
    char recipe[8];          /* the recipe that chose these values ("keras", "air") */
    uint64_t seed;           /* a fresh model's weights, the run's random stream */
    int epochs;              /* epochs of this run, 0 = evaluate only */
    int resume;              /* continue the loaded model's run (its schedule, its
                                lookahead, its judge flags) to its planned end */
    int save_best;           /* the best epoch's model also in "<save_model>.best" */
    int patience;            /* stop after this many epochs without a better
                                Stage 1 validation accuracy; 0 = never */
    int batch_size;          /* Stage 1 */
    double lr;               /* Stage 1's peak learning rate */
    double momentum;
    int nesterov;
    double weight_decay;
    double label_smoothing;
    double warmup_epochs;    /* linear warm-up (fresh models only) ... */
    double warmup_from;      /* ... from this learning-rate factor */
    char lr_schedule[16];    /* then "constant", "linear" (to 0) or "cosine" */
    double bn_bias_lr_scale; /* learning-rate multiplier of batch-norm parameters */
    int lookahead;           /* airbench's lookahead average of Stage 1's weights */
    int tta;                 /* test-time augmentation: 0 none, 1 flip, 2 flip + shifts */
    int epoch_tta;           /* the level (at most tta) before a run's last epoch */
    /* augmentation of Stage 1's training images and of the judge pool */
    int augment;             /* 0: none */
    int crop_pad;            /* translation of up to this many pixels */
    char crop_fill[8];       /* "zero" or "reflect" */
    char flip[16];           /* "random", "alternate" or "none" */
    /* Stage 2 */
    int stage2_only;         /* Stage 1 frozen */
    char stage2_categories[1024]; /* the judges that train, "" = all */
    double threshold;        /* tau of a fresh model, and of a loaded one ... */
    int threshold_given;     /* ... when this is set */
    int judge_batch_size;
    int judge_passes;        /* augmented views of the judge split per epoch */
    double judge_lr;
    double judge_momentum;   /* Nesterov */
    double judge_weight_decay;
} train_config_t;

typedef struct {
    const train_config_t *cfg;
    backend_t *be;
    model_t *model;
    const float *mean, *std;  /* input normalisation (3 each) */
    int max_batch, k;
    size_t img_floats;     /* one input image: the nets' in_c x in_h x in_w */
    float *x;              /* (max_batch, image) backend memory */
    float *xhost;          /* (max_batch, image) */
    int32_t *labels;       /* (max_batch) backend memory */
    int32_t *labels_host;  /* (max_batch): the same */
    float *probs;          /* (max_batch, k) backend memory */
    float *probs_host;     /* (max_batch, k) */
    float *side;           /* (max_batch, JUDGE_SIDE(k)) backend memory */
    float *side_host;      /* (max_batch, JUDGE_SIDE(k)) */
    float *jprobs;         /* (max_batch, 2) backend memory: judge softmax */
    float *jlogits;        /* (max_batch, 2) backend memory: judge logits plus
                              the calibration offset (judge_step) */
    float *jlogits_host;   /* (max_batch, 2): the offsets on their way there */
    float *jprobs_host;    /* (max_batch, 2) */
    int32_t *jlabels;      /* (max_batch) backend memory: 1 when Stage 1 was right */
    int32_t *jlabels_host; /* (max_batch): the same */
    float *stats;          /* (TRAINER_STATS, 2) backend memory: loss sums and
                              hits accumulated by softmax_xent (see below) */
    float *view_host;      /* (max_batch, image): a test-time view of xhost */
    float *logits;         /* (max_batch, k) backend memory: test-time views'
                              mean logits */
    int plain_hits;        /* stage1_infer: the unaugmented view's hits alone */
} trainer_t;

void trainer_init(trainer_t *t, const train_config_t *cfg, model_t *model, const float *mean,
                  const float *std);
void trainer_free(trainer_t *t);

/* Images idx[0..b) of d into t->x (and t->xhost), labels into t->labels;
 * augmented as aug says (with rng) when aug is not NULL. */
void trainer_load(trainer_t *t, const dataset_t *d, const int *idx, int b,
                  const augment_t *aug, rng_t *rng);

/* Loss sums and hits stay in backend memory, in slots of t->stats, and
 * cross to the host only when a front end or an epoch line reads them:
 * STATS_STAGE1 accumulates Stage 1 training steps until reset;
 * STATS_BATCH is the scratch of one stage1_infer or judge_step call. */
enum { STATS_STAGE1, STATS_BATCH, TRAINER_STATS };
/* The slot's summed loss and hits (hits may be NULL). */
void trainer_stats(trainer_t *t, int slot, double *loss_sum, double *hits);
void trainer_stats_reset(trainer_t *t, int slot);

/* One Stage 1 SGD step on the loaded batch, the model's step-th: its
 * summed loss and hits are added to slot STATS_STAGE1. step keys the
 * dropout masks (net_forward). Nothing crosses to the host. */
void stage1_step(trainer_t *t, int b, float lr, uint64_t step);

/* Stage 1 in inference mode on the loaded batch: probabilities into
 * t->probs_host (b, k); returns the summed loss (training smoothing).
 * tta > 0 averages the logits of test-time views (airbench's levels):
 * 1: the image and its mirror; 2: that, averaged with the same of the
 * image shifted one pixel diagonally either way (reflect padding).
 * t->plain_hits counts the batch's hits of the unaugmented image alone,
 * the accuracy that compares epochs scored with different levels. */
double stage1_infer(trainer_t *t, int b, int tta);


/* The judge side input of b rows of Stage 1 probabilities (b, k) into
 * out (b, JUDGE_SIDE(k)). */
void judge_features(const float *probs, int b, int k, float *out);

/* The index of the largest of row[0..k-1], the first of ties. */
int argmax_row(const float *row, int k);

/* The logit of Stage 1's maximum softmax probability msp (clamped to
 * [1e-9, 1 - 1e-9]): the baseline a judge corrects. */
double msp_logit(double msp);

/* Judge c on rows of images (host, (b, image)) with Stage 1
 * probabilities probs (host, (b, k)) and right[i] = Stage 1 was right.
 * The judge's score is s = sigmoid(offset[i] + g(x)), g the judge net's
 * logit difference: offset is the calibrated baseline a_c z + b_c (see
 * stage2.h), NULL for none. Training: one SGD step on g; returns the
 * summed loss, adds hits to *correct (judge says right iff s >= 0.5).
 * scores (b) may be NULL. Inference (train 0) computes s on the host in
 * double from the net's logits, so a judge whose output layer is zero
 * scores exactly sigmoid(offset[i]). */
double judge_step(trainer_t *t, int c, const float *images, const float *probs,
                  const double *offset, const int *right, int b, float lr, int train,
                  double *scores, int *correct);

#endif

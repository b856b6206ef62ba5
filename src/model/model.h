/* model.h - the two-stage classifier: Stage 1 and K judges.
 *
 * Stage 1 is a K-way net. The K judges share one architecture, so they
 * share one net_t for activations and the parameter layout; each judge's
 * parameters and momentum live in its own slice of two (K, total) buffers
 * and model_use_judge() points the shared net at a slice. Judge c's tensors
 * are saved as "judge.<c>.<layer>.<what>".
 *
 * Ownership: model_new() returns a model owning both nets, the judge
 * buffers and the lookahead's slow copy; model_free().
 */
#ifndef MSCNN_MODEL_H
#define MSCNN_MODEL_H

#include "engine/backend.h"
#include "engine/lookahead.h"
#include "engine/net.h"
#include "base/util.h"

#define JUDGE_ARCH "judge"
/* A judge's side input: Stage 1's softmax sorted in descending order, then
 * the logarithms of those values scaled to [-1, 0] (see judge_features()),
 * 2K values. Sorted,
 * the vector says how confident and how torn Stage 1 is, whatever the
 * classes; the logarithms keep the small probabilities visible. */
#define JUDGE_SIDE(k) (2 * (k))
/* The name of that recipe, in model.safetensors' metadata, so a reader
 * elsewhere (python/mscnn_torch.py) refuses weights whose judges want
 * another: "sorted softmax p, then log(p + 1e-4) / 9.2103". */
#define JUDGE_FEATURES "sorted_softmax_log1e-4"

typedef struct {
    backend_t *be;
    int k;
    net_t *stage1;
    net_t *judge;            /* shared by all judges; see model_use_judge() */
    float *judge_data;       /* (k, judge->total) backend memory */
    float *judge_velocity;   /* (k, judge->total) backend memory */
    float *judge_own_data, *judge_own_velocity; /* the net's own, restored on free */
    int current;             /* judge the shared net points at */
    lookahead_t la;          /* Stage 1's lookahead while a run has it in
                                progress (la.slow set): saved with the model,
                                so a resumed run continues it */
} model_t;

/* Both nets take images of in_c planes of in_h x in_w (the data's). */
model_t *model_new(backend_t *be, const char *stage1_arch, int k, int in_c, int in_h, int in_w,
                   int max_batch, err_t *e);
void model_free(model_t *m);
/* Seeded initialisation of Stage 1 and every judge. */
void model_init(model_t *m, uint64_t seed);
/* Points the shared judge net at judge c's parameters and momentum. */
void model_use_judge(model_t *m, int c);
/* Zeroes judge c's output layer (weights, bias and their momentum): its
 * net then adds nothing to the calibrated baseline (train/stage2.h). */
void model_judge_zero_output(model_t *m, int c);
/* Multiplies judge c's output layer (weights, biases and their momentum)
 * by f: its logit difference g scales by f (train/stage2.h). */
void model_judge_scale_output(model_t *m, int c, float f);
/* Judge c's parameters / momentum (judge->total floats). */
float *model_judge_data(const model_t *m, int c);
float *model_judge_velocity(const model_t *m, int c);

#endif

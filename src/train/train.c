/* train.c - one mini-batch of Stage 1 or judge training and inference. */
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void trainer_init(trainer_t *t, const train_config_t *cfg, model_t *model, const float *mean,
                  const float *std)
{
    memset(t, 0, sizeof *t);
    t->cfg = cfg;
    t->be = model->be;
    t->model = model;
    t->mean = mean;
    t->std = std;
    t->max_batch = model->stage1->max_batch;
    t->k = model->k;
    const net_t *s1 = model->stage1;
    t->img_floats = (size_t)s1->in_c * s1->in_h * s1->in_w;
    backend_t *be = t->be;
    size_t b = (size_t)t->max_batch;
    t->x = be->alloc(be, b * t->img_floats);
    t->xhost = afloat(b * t->img_floats);
    t->labels = be->alloc_i32(be, b);
    t->labels_host = xcalloc(b, sizeof(int32_t));
    t->stats = be->alloc(be, TRAINER_STATS * 2);
    t->probs = be->alloc(be, b * t->k);
    t->probs_host = afloat(b * t->k);
    t->side = be->alloc(be, b * JUDGE_SIDE(t->k));
    t->side_host = afloat(b * JUDGE_SIDE(t->k));
    t->jprobs = be->alloc(be, b * 2);
    t->jprobs_host = afloat(b * 2);
    t->jlogits = be->alloc(be, b * 2);
    t->jlogits_host = afloat(b * 2);
    t->jlabels = be->alloc_i32(be, b);
    t->jlabels_host = xcalloc(b, sizeof(int32_t));
    t->view_host = afloat(b * t->img_floats);
    t->logits = be->alloc(be, b * t->k);
}

void trainer_free(trainer_t *t)
{
    backend_t *be = t->be;
    be->free(be, t->x);
    be->free(be, t->probs);
    be->free(be, t->side);
    be->free(be, t->jprobs);
    be->free(be, t->jlogits);
    be->free(be, t->logits);
    be->free(be, t->labels);
    be->free(be, t->jlabels);
    be->free(be, t->stats);
    afree(t->view_host);
    afree(t->xhost);
    afree(t->probs_host);
    afree(t->jprobs_host);
    afree(t->jlogits_host);
    afree(t->side_host);
    free(t->labels_host);
    free(t->jlabels_host);
}

void trainer_stats(trainer_t *t, int slot, double *loss_sum, double *hits)
{
    float v[2];
    t->be->download(t->be, v, t->stats + 2 * slot, 2);
    *loss_sum = v[0];
    if (hits)
        *hits = v[1];
}

void trainer_stats_reset(trainer_t *t, int slot)
{
    static const float zero[2] = {0.0f, 0.0f};
    t->be->upload(t->be, t->stats + 2 * slot, zero, 2);
}

void trainer_load(trainer_t *t, const dataset_t *d, const int *idx, int b,
                  const augment_t *aug, rng_t *rng)
{
    int lab[b];
    dataset_make_batch_aug(d, idx, b, t->mean, t->std, aug, rng, t->xhost, lab);
    for (int i = 0; i < b; i++)
        t->labels_host[i] = lab[i];
    t->be->upload(t->be, t->x, t->xhost, (size_t)b * t->img_floats);
    t->be->upload_i32(t->be, t->labels, t->labels_host, (size_t)b);
}

void stage1_step(trainer_t *t, int b, float lr, uint64_t step)
{
    const train_config_t *o = t->cfg;
    net_t *net = t->model->stage1;
    const float *logits = net_forward(net, t->x, b, 1, step);
    t->be->softmax_xent(t->be, b, t->k, logits, t->labels, (float)o->label_smoothing, t->probs,
                        net_dlogits(net), t->stats + 2 * STATS_STAGE1);
    net_backward(net, t->x, NULL, b);
    net_sgd_step(net, lr, (float)o->momentum, (float)o->weight_decay, o->nesterov);
}

/* t->logits = w x the logits of view (dx, dy, flip) of t->xhost, plus
 * t->logits unless first. */
static void add_view_logits(trainer_t *t, int b, int dx, int dy, int flip, float w, int first)
{
    backend_t *be = t->be;
    const float *src = t->xhost;
    if (dx || dy || flip) {
        tta_view(t->xhost, t->view_host, b, dx, dy, flip);
        src = t->view_host;
    }
    be->upload(be, t->x, src, (size_t)b * t->img_floats);
    const float *logits = net_forward(t->model->stage1, t->x, b, 0, 0);
    be->axpby(be, (size_t)b * t->k, w, logits, first ? 0.0f : 1.0f, t->logits);
}

/* Hits of the b rows of scores (host, b x k) against the loaded labels. */
static int count_hits(const trainer_t *t, const float *scores, int b)
{
    int hits = 0;
    for (int i = 0; i < b; i++)
        hits += argmax_row(scores + (size_t)i * t->k, t->k) == t->labels_host[i];
    return hits;
}

/* airbench's views and weights: level 1 the image and its mirror, 1/2
 * each; level 2 those at 1/4 and the mirrored pair of each 1-pixel shift
 * diagonally, either way, at 1/8. */
static const float *tta_logits(trainer_t *t, int b, int level)
{
    static const struct { int dx, dy, flip; float w1, w2; } views[] = {
        {0, 0, 0, 0.5f, 0.25f},    {0, 0, 1, 0.5f, 0.25f},
        {-1, -1, 0, 0, 0.125f},    {-1, -1, 1, 0, 0.125f},
        {1, 1, 0, 0, 0.125f},      {1, 1, 1, 0, 0.125f},
    };
    int first = 1;
    for (size_t v = 0; v < sizeof views / sizeof views[0]; v++) {
        float w = level == 1 ? views[v].w1 : views[v].w2;
        if (w > 0)
            add_view_logits(t, b, views[v].dx, views[v].dy, views[v].flip, w, first);
        if (v == 0) { /* the image as it is: w times its logits */
            t->be->download(t->be, t->probs_host, t->logits, (size_t)b * t->k);
            t->plain_hits = count_hits(t, t->probs_host, b);
        }
        first &= !(w > 0);
    }
    t->be->upload(t->be, t->x, t->xhost, (size_t)b * t->img_floats); /* the batch as loaded */
    return t->logits;
}

double stage1_infer(trainer_t *t, int b, int tta)
{
    const float *logits = tta > 0 ? tta_logits(t, b, tta)
                                  : net_forward(t->model->stage1, t->x, b, 0, 0);
    trainer_stats_reset(t, STATS_BATCH);
    t->be->softmax_xent(t->be, b, t->k, logits, t->labels, (float)t->cfg->label_smoothing,
                        t->probs, NULL, t->stats + 2 * STATS_BATCH);
    t->be->download(t->be, t->probs_host, t->probs, (size_t)b * t->k);
    if (tta <= 0)
        t->plain_hits = count_hits(t, t->probs_host, b);
    double loss;
    trainer_stats(t, STATS_BATCH, &loss, NULL);
    return loss;
}

static int descending(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

void judge_features(const float *probs, int b, int k, float *out)
{
    for (int i = 0; i < b; i++) {
        float *f = out + (size_t)i * JUDGE_SIDE(k);
        memcpy(f, probs + (size_t)i * k, sizeof(float) * k);
        qsort(f, k, sizeof(float), descending);
        for (int j = 0; j < k; j++)
            f[k + j] = logf(f[j] + 1e-4f) / 9.2103f; /* in [-1, 0] */
    }
}

int argmax_row(const float *row, int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (row[j] > row[best])
            best = j;
    return best;
}

double msp_logit(double msp)
{
    double p = msp < 1e-9 ? 1e-9 : msp > 1 - 1e-9 ? 1 - 1e-9 : msp;
    return log(p / (1 - p));
}

/* The judge's logits plus the offsets on the "right" column: the loss's
 * gradient with respect to these is the one with respect to the net's. */
static const float *offset_logits(trainer_t *t, const float *logits, const double *offset, int b)
{
    if (!offset)
        return logits;
    for (int i = 0; i < b; i++) {
        t->jlogits_host[2 * i] = 0.0f;
        t->jlogits_host[2 * i + 1] = (float)offset[i];
    }
    t->be->upload(t->be, t->jlogits, t->jlogits_host, (size_t)b * 2);
    t->be->axpby(t->be, (size_t)b * 2, 1.0f, logits, 1.0f, t->jlogits);
    return t->jlogits;
}

/* -log sigmoid(u), without overflow. */
static double log_loss(double u) { return log1p(exp(-fabs(u))) + (u < 0 ? -u : 0); }

/* Inference: the scores from the net's logits and the offsets, in double
 * on the host (so g = 0 gives exactly sigmoid(offset)); returns the
 * summed loss. */
static double judge_scores(trainer_t *t, const float *logits, const double *offset,
                           const int *right, int b, double *scores, int *correct)
{
    t->be->download(t->be, t->jlogits_host, logits, (size_t)b * 2);
    double loss = 0;
    for (int i = 0; i < b; i++) {
        double u = (double)t->jlogits_host[2 * i + 1] - t->jlogits_host[2 * i];
        u += offset ? offset[i] : 0.0;
        double s = 1 / (1 + exp(-u));
        if (scores)
            scores[i] = s;
        loss += log_loss(right[i] ? u : -u);
        *correct += (s >= 0.5) == (right[i] != 0);
    }
    return loss;
}

double judge_step(trainer_t *t, int c, const float *images, const float *probs,
                  const double *offset, const int *right, int b, float lr, int train,
                  double *scores, int *correct)
{
    const train_config_t *o = t->cfg;
    backend_t *be = t->be;
    model_use_judge(t->model, c);
    net_t *net = t->model->judge;
    be->upload(be, t->x, images, (size_t)b * t->img_floats);
    judge_features(probs, b, t->k, t->side_host);
    be->upload(be, t->side, t->side_host, (size_t)b * JUDGE_SIDE(t->k));
    net->side = t->side;
    const float *logits = net_forward(net, t->x, b, train, 0);
    if (!train)
        return judge_scores(t, logits, offset, right, b, scores, correct);
    for (int i = 0; i < b; i++)
        t->jlabels_host[i] = right[i] != 0;
    be->upload_i32(be, t->jlabels, t->jlabels_host, (size_t)b);
    trainer_stats_reset(t, STATS_BATCH);
    be->softmax_xent(be, b, 2, offset_logits(t, logits, offset, b), t->jlabels, 0.0f, t->jprobs,
                     net_dlogits(net), t->stats + 2 * STATS_BATCH);
    be->download(be, t->jprobs_host, t->jprobs, (size_t)b * 2);
    double loss;
    trainer_stats(t, STATS_BATCH, &loss, NULL);
    for (int i = 0; i < b; i++) {
        double s = t->jprobs_host[2 * i + 1];
        if (scores)
            scores[i] = s;
        *correct += (s >= 0.5) == (right[i] != 0);
    }
    net_backward(net, t->x, NULL, b);
    net_sgd_step(net, lr, (float)o->judge_momentum, (float)o->judge_weight_decay, 1);
    return loss;
}

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
    t->labels = xcalloc(b, sizeof(int32_t));
    t->probs = be->alloc(be, b * t->k);
    t->probs_host = afloat(b * t->k);
    t->side = be->alloc(be, b * JUDGE_SIDE(t->k));
    t->side_host = afloat(b * JUDGE_SIDE(t->k));
    t->jprobs = be->alloc(be, b * 2);
    t->jprobs_host = afloat(b * 2);
    t->jlabels = xcalloc(b, sizeof(int32_t));
    t->view_host = afloat(b * t->img_floats);
    t->logits_host = afloat(b * t->k);
    t->logits = be->alloc(be, b * t->k);
}

void trainer_free(trainer_t *t)
{
    backend_t *be = t->be;
    be->free(be, t->x);
    be->free(be, t->probs);
    be->free(be, t->side);
    be->free(be, t->jprobs);
    be->free(be, t->logits);
    afree(t->view_host);
    afree(t->logits_host);
    afree(t->xhost);
    afree(t->probs_host);
    afree(t->jprobs_host);
    afree(t->side_host);
    free(t->labels);
    free(t->jlabels);
}

void trainer_load(trainer_t *t, const dataset_t *d, const int *idx, int b,
                  const augment_t *aug, rng_t *rng)
{
    int lab[b];
    dataset_make_batch_aug(d, idx, b, t->mean, t->std, aug, rng, t->xhost, lab);
    for (int i = 0; i < b; i++)
        t->labels[i] = lab[i];
    t->be->upload(t->be, t->x, t->xhost, (size_t)b * t->img_floats);
}

static int argmax_row(const float *p, int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (p[j] > p[best])
            best = j;
    return best;
}

void stage1_step(trainer_t *t, int b, float lr, rng_t *rng, double *loss, int *correct)
{
    const train_config_t *o = t->cfg;
    net_t *net = t->model->stage1;
    const float *logits = net_forward(net, t->x, b, 1, rng);
    *loss = t->be->softmax_xent(t->be, b, t->k, logits, t->labels, (float)o->label_smoothing,
                                t->probs, net_dlogits(net));
    t->be->download(t->be, t->probs_host, t->probs, (size_t)b * t->k);
    *correct = 0;
    for (int i = 0; i < b; i++)
        *correct += argmax_row(t->probs_host + (size_t)i * t->k, t->k) == t->labels[i];
    net_backward(net, t->x, NULL, b);
    net_sgd_step(net, lr, (float)o->momentum, (float)o->weight_decay, o->nesterov);
}

/* Adds w x the logits of view (dx, dy, flip) of t->xhost to t->logits_host. */
static void add_view_logits(trainer_t *t, int b, int dx, int dy, int flip, float w)
{
    backend_t *be = t->be;
    const float *src = t->xhost;
    if (dx || dy || flip) {
        tta_view(t->xhost, t->view_host, b, dx, dy, flip);
        src = t->view_host;
    }
    be->upload(be, t->x, src, (size_t)b * t->img_floats);
    const float *logits = net_forward(t->model->stage1, t->x, b, 0, NULL);
    float *acc = t->logits_host, *tmp = t->probs_host; /* probs_host is free until the end */
    be->download(be, tmp, logits, (size_t)b * t->k);
    for (size_t i = 0; i < (size_t)b * t->k; i++)
        acc[i] += w * tmp[i];
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
    memset(t->logits_host, 0, sizeof(float) * (size_t)b * t->k);
    for (size_t v = 0; v < sizeof views / sizeof views[0]; v++) {
        float w = level == 1 ? views[v].w1 : views[v].w2;
        if (w > 0)
            add_view_logits(t, b, views[v].dx, views[v].dy, views[v].flip, w);
    }
    t->be->upload(t->be, t->x, t->xhost, (size_t)b * t->img_floats); /* the batch as loaded */
    t->be->upload(t->be, t->logits, t->logits_host, (size_t)b * t->k);
    return t->logits;
}

double stage1_infer(trainer_t *t, int b, int tta)
{
    const float *logits = tta > 0 ? tta_logits(t, b, tta)
                                  : net_forward(t->model->stage1, t->x, b, 0, NULL);
    double loss = t->be->softmax_xent(t->be, b, t->k, logits, t->labels,
                                      (float)t->cfg->label_smoothing, t->probs, NULL);
    t->be->download(t->be, t->probs_host, t->probs, (size_t)b * t->k);
    return loss * b;
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

double judge_step(trainer_t *t, int c, const float *images, const float *probs,
                  const int *right, int b, float lr, int train, float *scores,
                  int *correct)
{
    const train_config_t *o = t->cfg;
    backend_t *be = t->be;
    model_use_judge(t->model, c);
    net_t *net = t->model->judge;
    be->upload(be, t->x, images, (size_t)b * t->img_floats);
    judge_features(probs, b, t->k, t->side_host);
    be->upload(be, t->side, t->side_host, (size_t)b * JUDGE_SIDE(t->k));
    for (int i = 0; i < b; i++)
        t->jlabels[i] = right[i] != 0;
    net->side = t->side;
    const float *logits = net_forward(net, t->x, b, train, NULL);
    double loss = be->softmax_xent(be, b, 2, logits, t->jlabels, 0.0f, t->jprobs,
                                   train ? net_dlogits(net) : NULL);
    be->download(be, t->jprobs_host, t->jprobs, (size_t)b * 2);
    for (int i = 0; i < b; i++) {
        float s = t->jprobs_host[2 * i + 1];
        if (scores)
            scores[i] = s;
        *correct += (s >= 0.5f) == (right[i] != 0);
    }
    if (train) {
        net_backward(net, t->x, NULL, b);
        net_sgd_step(net, lr, (float)o->judge_momentum, (float)o->judge_weight_decay, 1);
    }
    return loss * b;
}

/* train.c - the Stage 1 training loop and evaluation. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IMG_FLOATS (3 * 32 * 32)

void trainer_init(trainer_t *t, const options_t *opt, backend_t *be, net_t *net,
                  model_meta_t *meta, int run_epochs)
{
    memset(t, 0, sizeof *t);
    t->opt = opt;
    t->be = be;
    t->net = net;
    t->meta = meta;
    t->run_epochs = run_epochs;
    t->start_epoch = meta->epoch;
    size_t b = (size_t)net->max_batch;
    t->x = be->alloc(be, b * IMG_FLOATS);
    t->xhost = afloat(b * IMG_FLOATS);
    t->labels = xcalloc(b, sizeof(int32_t));
    t->probs = be->alloc(be, b * net->k);
    t->probs_host = afloat(b * net->k);
}

void trainer_free(trainer_t *t)
{
    t->be->free(t->be, t->x);
    t->be->free(t->be, t->probs);
    afree(t->xhost);
    afree(t->probs_host);
    free(t->labels);
    free(t->order);
}

double trainer_lr(const trainer_t *t, int64_t s, int64_t steps_per_epoch)
{
    const options_t *o = t->opt;
    int64_t total = (int64_t)t->run_epochs * steps_per_epoch;
    int64_t warm = t->start_epoch == 0 ? (int64_t)(o->warmup_epochs * steps_per_epoch) : 0;
    if (warm > total)
        warm = total;
    if (s < warm)
        return o->lr * (double)(s + 1) / (double)warm;
    double frac = total > warm ? (double)(s - warm) / (double)(total - warm) : 0.0;
    if (!strcmp(o->lr_schedule, "linear"))
        return o->lr * (1.0 - frac);
    if (!strcmp(o->lr_schedule, "cosine"))
        return o->lr * 0.5 * (1.0 + cos(M_PI * frac));
    return o->lr;
}

static int argmax_row(const float *p, int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (p[j] > p[best])
            best = j;
    return best;
}

/* Loads images idx[0..b) into t->x (normalised, augmented when rng). */
static void load_batch(trainer_t *t, const dataset_t *d, const int *idx, int b, rng_t *rng)
{
    int lab[b];
    dataset_make_batch(d, idx, b, t->meta->mean, t->meta->std, t->opt->crop_pad, rng,
                       t->xhost, lab);
    for (int i = 0; i < b; i++)
        t->labels[i] = lab[i];
    t->be->upload(t->be, t->x, t->xhost, (size_t)b * IMG_FLOATS);
}

/* Returns the number of correct predictions in the batch. */
static int count_correct(trainer_t *t, int b)
{
    int k = t->net->k, correct = 0;
    t->be->download(t->be, t->probs_host, t->probs, (size_t)b * k);
    for (int i = 0; i < b; i++)
        correct += argmax_row(t->probs_host + (size_t)i * k, k) == t->labels[i];
    return correct;
}

static void train_step(trainer_t *t, int b, float lr, double *loss, int *correct)
{
    const options_t *o = t->opt;
    net_t *net = t->net;
    const float *logits = net_forward(net, t->x, b, 1, &t->meta->rng);
    *loss = t->be->softmax_xent(t->be, b, net->k, logits, t->labels,
                                (float)o->label_smoothing, t->probs, net_dlogits(net));
    *correct = count_correct(t, b);
    net_backward(net, t->x, NULL, b);
    net_sgd_step(net, lr, (float)o->momentum, (float)o->weight_decay, o->nesterov);
}

int trainer_epoch(trainer_t *t, const dataset_t *train, const dataset_t *val,
                   epoch_stats_t *st, eval_t *val_eval)
{
    int n = train->n, bs = t->opt->batch_size;
    int steps = (n + bs - 1) / bs;
    if (t->order_cap < n) {
        t->order = xrealloc(t->order, sizeof(int) * n);
        t->order_cap = n;
    }
    for (int i = 0; i < n; i++)
        t->order[i] = i;
    rng_t *rng = &t->meta->rng;
    rng_shuffle(rng, t->order, n);
    int64_t run_step = (int64_t)(t->meta->epoch - t->start_epoch) * steps;
    double t0 = now_seconds(), loss_sum = 0, lr = 0;
    long correct_sum = 0, seen = 0;
    for (int s = 0; s < steps; s++) {
        if (t->stop && *t->stop)
            return -1;
        int b = s == steps - 1 ? n - s * bs : bs;
        load_batch(t, train, t->order + (size_t)s * bs, b, t->opt->augment ? rng : NULL);
        lr = trainer_lr(t, run_step + s, steps);
        double loss;
        int correct;
        train_step(t, b, (float)lr, &loss, &correct);
        loss_sum += loss * b;
        correct_sum += correct;
        seen += b;
        t->meta->step++;
        if (t->on_step) {
            double el = now_seconds() - t0;
            step_info_t info = {t->meta->epoch + 1, s + 1, steps, loss_sum / seen,
                                (double)correct_sum / seen, el, el > 0 ? seen / el : 0};
            t->on_step(t->cb_user, &info);
        }
    }
    double secs = now_seconds() - t0;
    t->meta->epoch++;
    evaluate(t, val, val_eval);
    *st = (epoch_stats_t){t->meta->epoch, loss_sum / n, (double)correct_sum / n,
                          val_eval->loss, val_eval->acc, lr, secs, n / secs};
    return 0;
}

void evaluate(trainer_t *t, const dataset_t *d, eval_t *ev)
{
    net_t *net = t->net;
    int k = net->k, bs = net->max_batch;
    if (!ev->confusion || ev->k != k) {
        free(ev->confusion);
        ev->confusion = xcalloc((size_t)k * k, sizeof(int64_t));
    }
    memset(ev->confusion, 0, sizeof(int64_t) * k * k);
    ev->k = k;
    ev->n = d->n;
    double loss_sum = 0;
    long correct = 0;
    int idx[bs];
    for (int start = 0; start < d->n; start += bs) {
        int b = d->n - start < bs ? d->n - start : bs;
        for (int i = 0; i < b; i++)
            idx[i] = start + i;
        load_batch(t, d, idx, b, NULL);
        const float *logits = net_forward(net, t->x, b, 0, NULL);
        loss_sum += b * t->be->softmax_xent(t->be, b, k, logits, t->labels,
                                            (float)t->opt->label_smoothing, t->probs, NULL);
        t->be->download(t->be, t->probs_host, t->probs, (size_t)b * k);
        for (int i = 0; i < b; i++) {
            int p = argmax_row(t->probs_host + (size_t)i * k, k);
            ev->confusion[(size_t)t->labels[i] * k + p]++;
            correct += p == t->labels[i];
        }
    }
    ev->loss = d->n ? loss_sum / d->n : 0;
    ev->acc = d->n ? (double)correct / d->n : 0;
}

void eval_free(eval_t *ev)
{
    free(ev->confusion);
    ev->confusion = NULL;
}

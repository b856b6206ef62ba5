/* net_pass.c - forward, backward and SGD update of a net_t. */
#include <string.h>

#include "engine/net.h"

static float *P(net_t *net, int idx) { return idx < 0 ? NULL : net->data + net->params[idx].offset; }

static int trainable(const net_t *net, int idx) { return idx >= 0 && net->params[idx].trainable; }

/* the gradient buffer of a trainable parameter; NULL (not needed) for a
 * missing or frozen one */
static float *G(net_t *net, int idx)
{
    return trainable(net, idx) ? net->grad + net->params[idx].offset : NULL;
}

static int layer_trainable(const net_t *net, const layer_t *l)
{
    return trainable(net, l->wp) || trainable(net, l->bp);
}

static size_t out_count(const layer_t *l, int b) { return (size_t)b * l->oc * l->oh * l->ow; }

static void layer_forward(net_t *net, layer_t *l, const float *x, int b, int train,
                          uint64_t stream)
{
    backend_t *be = net->be;
    conv_desc_t d;
    switch (l->kind) {
    case LAYER_CONV:
        conv_desc_init(&d, b, l->c, l->h, l->w, l->oc, l->k, l->pad, l->stride);
        be->conv2d_forward(be, &d, x, P(net, l->wp), P(net, l->bp), l->y);
        break;
    case LAYER_CONV_POOL:
        conv_desc_init(&d, b, l->c, l->h, l->w, l->oc, l->k, l->pad, l->stride);
        be->conv2d_maxpool_forward(be, &d, l->pool, l->pool, x, P(net, l->wp), P(net, l->bp),
                                   l->y, l->argmax);
        break;
    case LAYER_LINEAR:
        be->linear_forward(be, b, l->c, l->oc, x, P(net, l->wp), P(net, l->bp), l->y);
        break;
    case LAYER_BN:
        if (train)
            be->bn_forward_train(be, b, l->c, l->h * l->w, x, P(net, l->wp), P(net, l->bp),
                                 l->bn_eps, l->bn_momentum, P(net, l->rmp), P(net, l->rvp),
                                 l->mean, l->invstd, l->y);
        else
            be->bn_forward_infer(be, b, l->c, l->h * l->w, x, P(net, l->wp), P(net, l->bp),
                                 l->bn_eps, P(net, l->rmp), P(net, l->rvp), l->y);
        break;
    case LAYER_BN_GELU:
        if (train)
            be->bn_gelu_forward_train(be, b, l->c, l->h * l->w, x, P(net, l->wp),
                                      P(net, l->bp), l->bn_eps, l->bn_momentum,
                                      P(net, l->rmp), P(net, l->rvp), l->mean, l->invstd,
                                      l->y);
        else
            be->bn_gelu_forward_infer(be, b, l->c, l->h * l->w, x, P(net, l->wp),
                                      P(net, l->bp), l->bn_eps, P(net, l->rmp),
                                      P(net, l->rvp), l->y);
        break;
    case LAYER_SCALE:
        be->scale(be, out_count(l, b), l->scale, x, l->y);
        break;
    case LAYER_RELU:
        be->relu_forward(be, out_count(l, b), x, l->y);
        break;
    case LAYER_GELU:
        be->gelu_forward(be, out_count(l, b), x, l->y);
        break;
    case LAYER_MAXPOOL:
        be->maxpool_forward(be, b, l->c, l->h, l->w, l->k, l->stride, x, l->y, l->argmax);
        break;
    case LAYER_CONCAT:
        be->copy_rows(be, b, l->c * l->h * l->w, x, l->c * l->h * l->w, l->y, l->oc);
        be->copy_rows(be, b, net->side_width, net->side, net->side_width,
                      l->y + (l->oc - net->side_width), l->oc);
        break;
    case LAYER_DROPOUT:
        if (train && l->drop > 0.0f) {
            be->dropout_mask(be, out_count(l, b), l->drop, net->dropout_seed, stream, l->mask);
            be->mul(be, out_count(l, b), x, l->mask, l->y);
        } else {
            be->copy(be, l->y, x, out_count(l, b));
        }
        break;
    }
}

const float *net_forward(net_t *net, const float *x, int b, int train, uint64_t step)
{
    const float *in = x;
    for (int i = 0; i < net->nlayers; i++) {
        double t0 = net->profile ? now_seconds() : 0.0;
        layer_forward(net, &net->layers[i], in, b, train, step * NET_MAX_LAYERS + (uint64_t)i);
        if (net->profile)
            net->profile->fwd[i] += now_seconds() - t0;
        in = net->layers[i].y;
    }
    if (net->profile)
        net->profile->fwd_calls++;
    return in;
}

/* dx NULL: no gradient wrt this layer's input is needed (first layer, or
 * nothing trainable before it); parameter gradients of frozen parameters
 * are NULL too (see G). */
static void layer_backward(net_t *net, layer_t *l, const float *x, float *dx, int b)
{
    backend_t *be = net->be;
    conv_desc_t d;
    switch (l->kind) {
    case LAYER_CONV:
        conv_desc_init(&d, b, l->c, l->h, l->w, l->oc, l->k, l->pad, l->stride);
        be->conv2d_backward(be, &d, x, P(net, l->wp), l->dy, dx, G(net, l->wp), G(net, l->bp));
        break;
    case LAYER_CONV_POOL:
        conv_desc_init(&d, b, l->c, l->h, l->w, l->oc, l->k, l->pad, l->stride);
        be->conv2d_maxpool_backward(be, &d, l->pool, l->pool, x, P(net, l->wp), l->argmax,
                                    l->dy, dx, G(net, l->wp), G(net, l->bp));
        break;
    case LAYER_LINEAR:
        be->linear_backward(be, b, l->c, l->oc, x, P(net, l->wp), l->dy, dx,
                            G(net, l->wp), G(net, l->bp));
        break;
    case LAYER_BN:
        be->bn_backward(be, b, l->c, l->h * l->w, x, P(net, l->wp), l->mean, l->invstd,
                        l->dy, dx, G(net, l->wp), G(net, l->bp));
        break;
    case LAYER_BN_GELU:
        be->bn_gelu_backward(be, b, l->c, l->h * l->w, x, P(net, l->wp), P(net, l->bp),
                             l->mean, l->invstd, l->dy, dx, G(net, l->wp), G(net, l->bp));
        break;
    case LAYER_SCALE:
        if (dx)
            be->scale(be, out_count(l, b), l->scale, l->dy, dx);
        break;
    case LAYER_RELU:
        if (dx)
            be->relu_backward(be, out_count(l, b), x, l->dy, dx);
        break;
    case LAYER_GELU:
        if (dx)
            be->gelu_backward(be, out_count(l, b), x, l->dy, dx);
        break;
    case LAYER_MAXPOOL:
        if (dx)
            be->maxpool_backward(be, b, l->c, l->h, l->w, l->k, l->stride, l->argmax, l->dy, dx);
        break;
    case LAYER_CONCAT:
        if (dx)
            be->copy_rows(be, b, l->c * l->h * l->w, l->dy, l->oc, dx, l->c * l->h * l->w);
        break;
    case LAYER_DROPOUT:
        if (dx && l->drop > 0.0f)
            be->mul(be, out_count(l, b), l->dy, l->mask, dx);
        else if (dx)
            be->copy(be, dx, l->dy, out_count(l, b));
        break;
    }
}

float *net_dlogits(net_t *net) { return net->layers[net->nlayers - 1].dy; }

void net_backward(net_t *net, const float *x, float *dx, int b)
{
    int first = 0; /* the first layer with a trainable parameter */
    while (first < net->nlayers && !layer_trainable(net, &net->layers[first]))
        first++;
    for (int i = net->nlayers - 1; i >= 0; i--) {
        layer_t *l = &net->layers[i];
        const float *in = i ? net->layers[i - 1].y : x;
        float *din = !i ? dx : (dx || i > first) ? net->layers[i - 1].dy : NULL;
        if (!din && !layer_trainable(net, l))
            continue;
        double t0 = net->profile ? now_seconds() : 0.0;
        layer_backward(net, l, in, din, b);
        if (net->profile)
            net->profile->bwd[i] += now_seconds() - t0;
    }
    if (net->profile)
        net->profile->bwd_calls++;
}

void net_sgd_step(net_t *net, float lr, float momentum, float weight_decay, int nesterov)
{
    backend_t *be = net->be;
    for (int i = 0; i < net->nparams; i++) {
        const param_t *p = &net->params[i];
        if (!p->trainable)
            continue;
        /* batch-norm parameters decay at the weights' effective rate
         * (lr x decay) whatever their learning-rate multiplier, as airbench */
        float decay = p->decay ? weight_decay : p->norm ? weight_decay / p->lr_scale : 0.0f;
        be->sgd_step(be, p->count, net->data + p->offset, net->grad + p->offset,
                     net->velocity + p->offset, lr * p->lr_scale, momentum, decay, nesterov);
    }
}

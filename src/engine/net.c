/* net.c - building, running and updating a feed-forward CNN. */
#include "engine/net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const net_arch_names[] = {"air", "basic", "judge", NULL};
const char *const net_stage1_arch_names[] = {"basic", "air", NULL};

typedef struct {
    net_t *net;
    const char *prefix;
    int c, h, w;   /* current shape */
} builder_t;

static int add_param(builder_t *bd, const char *layer, const char *what, int ndim,
                     const int *shape, int trainable, int decay)
{
    net_t *net = bd->net;
    net->params = xrealloc(net->params, sizeof(param_t) * (net->nparams + 1));
    param_t *p = &net->params[net->nparams];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s%s.%s", bd->prefix, layer, what);
    p->ndim = ndim;
    p->count = 1;
    for (int i = 0; i < ndim; i++) {
        p->shape[i] = shape[i];
        p->count *= (size_t)shape[i];
    }
    p->offset = net->total;
    p->trainable = trainable;
    p->decay = decay;
    p->lr_scale = 1.0f;
    net->total += (p->count + 15) & ~(size_t)15; /* keep views 64-byte aligned */
    return net->nparams++;
}

static layer_t *add_layer(builder_t *bd, layer_kind_t kind, const char *name)
{
    net_t *net = bd->net;
    if (net->nlayers == NET_MAX_LAYERS) {
        fprintf(stderr, "mscnn: internal error: more than %d layers\n", NET_MAX_LAYERS);
        abort();
    }
    layer_t *l = &net->layers[net->nlayers++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    snprintf(l->name, sizeof l->name, "%s", name ? name : "");
    l->c = l->oc = bd->c;
    l->h = l->oh = bd->h;
    l->w = l->ow = bd->w;
    l->wp = l->bp = l->rmp = l->rvp = -1;
    l->bn_eps = 1e-5f, l->bn_momentum = 0.1f; /* PyTorch's defaults */
    return l;
}

static void conv(builder_t *bd, const char *name, int oc, int k, int pad, int bias)
{
    layer_t *l = add_layer(bd, LAYER_CONV, name);
    l->k = k, l->pad = pad, l->stride = 1;
    l->oc = oc;
    l->oh = bd->h + 2 * pad - k + 1;
    l->ow = bd->w + 2 * pad - k + 1;
    int ws[4] = {oc, bd->c, k, k};
    l->wp = add_param(bd, name, "weight", 4, ws, 1, 1);
    if (bias)
        l->bp = add_param(bd, name, "bias", 1, &oc, 1, 0);
    bd->c = oc, bd->h = l->oh, bd->w = l->ow;
}

/* conv (stride 1) then a max pool of window and stride pool, as one layer */
static void conv_pool(builder_t *bd, const char *name, int oc, int k, int pad, int bias,
                      int pool)
{
    conv(bd, name, oc, k, pad, bias);
    layer_t *l = &bd->net->layers[bd->net->nlayers - 1];
    l->kind = LAYER_CONV_POOL;
    l->pool = pool;
    l->oh = (l->oh - pool) / pool + 1;
    l->ow = (l->ow - pool) / pool + 1;
    bd->h = l->oh, bd->w = l->ow;
}

static void linear(builder_t *bd, const char *name, int out, int bias)
{
    layer_t *l = add_layer(bd, LAYER_LINEAR, name);
    int in = bd->c * bd->h * bd->w;
    l->c = in, l->h = l->w = 1;  /* a linear layer sees the input flattened */
    l->oc = out, l->oh = l->ow = 1;
    int ws[2] = {out, in};
    l->wp = add_param(bd, name, "weight", 2, ws, 1, 1);
    if (bias)
        l->bp = add_param(bd, name, "bias", 1, &out, 1, 0);
    bd->c = out, bd->h = bd->w = 1;
}

static void simple(builder_t *bd, layer_kind_t kind) { add_layer(bd, kind, NULL); }

static void maxpool(builder_t *bd, int k)
{
    layer_t *l = add_layer(bd, LAYER_MAXPOOL, NULL);
    l->k = l->stride = k;
    l->oh = (bd->h - k) / k + 1;
    l->ow = (bd->w - k) / k + 1;
    bd->h = l->oh, bd->w = l->ow;
}

static void dropout(builder_t *bd, float p) { add_layer(bd, LAYER_DROPOUT, NULL)->drop = p; }

static void scale(builder_t *bd, float factor) { add_layer(bd, LAYER_SCALE, NULL)->scale = factor; }

/* Batch norm with the scale frozen at 1 (no gamma) and a trained bias,
 * fused with the GELU after it. */
static void bn_gelu(builder_t *bd, const char *name, float eps, float momentum)
{
    layer_t *l = add_layer(bd, LAYER_BN_GELU, name);
    l->bn_eps = eps, l->bn_momentum = momentum;
    int c = bd->c;
    l->bp = add_param(bd, name, "bias", 1, &c, 1, 0);
    bd->net->params[l->bp].norm = 1;
    l->rmp = add_param(bd, name, "running_mean", 1, &c, 0, 0);
    l->rvp = add_param(bd, name, "running_var", 1, &c, 0, 0);
}

static void concat_side(builder_t *bd)
{
    layer_t *l = add_layer(bd, LAYER_CONCAT, NULL);
    l->oc = bd->c * bd->h * bd->w + bd->net->side_width;
    l->oh = l->ow = 1;
    bd->c = l->oc, bd->h = bd->w = 1;
}

/* The classic Keras CIFAR-10 example network (DESIGN.md section 1). */
static void build_basic(builder_t *bd, int k)
{
    conv(bd, "conv1", 32, 3, 1, 1);
    simple(bd, LAYER_RELU);
    /* conv -> ReLU -> maxpool2 computed as conv+maxpool2 -> ReLU: ReLU is
     * monotonic, so the outputs are the same numbers and so are the
     * gradients (zero wherever a window's max is <= 0), with the ReLU on a
     * quarter of the values and the pool fused into the conv */
    conv_pool(bd, "conv2", 32, 3, 0, 1, 2);
    simple(bd, LAYER_RELU);
    dropout(bd, 0.25f);
    conv(bd, "conv3", 64, 3, 1, 1);
    simple(bd, LAYER_RELU);
    conv_pool(bd, "conv4", 64, 3, 0, 1, 2);
    simple(bd, LAYER_RELU);
    dropout(bd, 0.25f);
    linear(bd, "fc1", 512, 1);
    simple(bd, LAYER_RELU);
    dropout(bd, 0.5f);
    linear(bd, "fc2", k, 1);
}

/* airbench94 (Keller Jordan): a frozen 2x2 whitening conv (set by
 * net_init_whitening) and a GELU, three groups of conv3x3 -> maxpool2 ->
 * BN -> GELU -> conv3x3 -> BN -> GELU, a global max pool and a linear layer
 * scaled by 1/9. Convs have no bias. BN as airbench: eps 1e-12, and its
 * "momentum 0.6" is PyTorch's momentum=1-0.6: running = 0.6 running + 0.4
 * batch (our bn_momentum is PyTorch's: the weight of the batch). */
static void air_group(builder_t *bd, const char *group, int width)
{
    char name[4][NET_NAME_LEN / 4];
    const char *what[4] = {"conv1", "bn1", "conv2", "bn2"};
    for (int i = 0; i < 4; i++)
        snprintf(name[i], sizeof name[i], "%s.%s", group, what[i]);
    conv_pool(bd, name[0], width, 3, 1, 0, 2);
    bn_gelu(bd, name[1], 1e-12f, 0.4f);
    conv(bd, name[2], width, 3, 1, 0);
    bn_gelu(bd, name[3], 1e-12f, 0.4f);
}

static void build_air(builder_t *bd, int k)
{
    conv(bd, "whiten", 24, 2, 0, 0);
    bd->net->params[bd->net->layers[0].wp].trainable = 0; /* frozen, but saved */
    simple(bd, LAYER_GELU); /* makes the whitening's +/- pairs two features */
    air_group(bd, "g1", 64);
    air_group(bd, "g2", 256);
    air_group(bd, "g3", 256);
    maxpool(bd, bd->h); /* global: the input is square, so h == w here */
    linear(bd, "fc", k, 0);
    scale(bd, 1.0f / 9.0f);
}

/* A Stage 2 judge: a small CNN over the image (about 4.5 MFLOP), whose
 * head also sees the side input (features of Stage 1's softmax), both
 * through the hidden layer and directly. */
static void build_judge(builder_t *bd, int k)
{
    conv(bd, "conv1", 16, 3, 1, 1);
    simple(bd, LAYER_RELU);
    maxpool(bd, 2);
    conv(bd, "conv2", 32, 3, 1, 1);
    simple(bd, LAYER_RELU);
    maxpool(bd, 2);
    conv(bd, "conv3", 32, 3, 1, 1);
    simple(bd, LAYER_RELU);
    maxpool(bd, 2);
    concat_side(bd);
    linear(bd, "fc1", 64, 1);
    simple(bd, LAYER_RELU);
    concat_side(bd); /* a direct path from Stage 1's softmax to the output */
    linear(bd, "fc2", k, 1);
}

static void alloc_activations(net_t *net)
{
    backend_t *be = net->be;
    size_t out_max = 0;
    for (int i = 0; i < net->nlayers; i++) {
        layer_t *l = &net->layers[i];
        size_t out = (size_t)net->max_batch * l->oc * l->oh * l->ow;
        out_max = out > out_max ? out : out_max;
        l->y = be->alloc(be, out);
        if (l->kind == LAYER_MAXPOOL || l->kind == LAYER_CONV_POOL)
            l->argmax = be->alloc_i32(be, out);
        if (l->kind == LAYER_DROPOUT)
            l->mask = be->alloc(be, out);
        if (l->kind == LAYER_BN || l->kind == LAYER_BN_GELU) {
            l->mean = be->alloc(be, l->oc);
            l->invstd = be->alloc(be, l->oc);
        }
    }
    /* backward needs only the gradient of one layer's output and of its
     * input at a time, so alternate layers share two buffers */
    for (int j = 0; j < 2; j++)
        net->grad_buf[j] = be->alloc(be, out_max);
    for (int i = 0; i < net->nlayers; i++)
        net->layers[i].dy = net->grad_buf[i % 2];
}

net_t *net_new(backend_t *be, const net_spec_t *s, err_t *e)
{
    if (s->k < 2 || s->max_batch < 1 || s->in_c < 1 || s->in_h < 8 || s->in_w < 8) {
        err_set(e, "bad network size: %d outputs, batch %d, input %dx%dx%d", s->k,
                s->max_batch, s->in_c, s->in_h, s->in_w);
        return NULL;
    }
    net_t *net = xcalloc(1, sizeof *net);
    net->be = be;
    net->k = s->k;
    net->max_batch = s->max_batch;
    net->in_c = s->in_c, net->in_h = s->in_h, net->in_w = s->in_w;
    net->side_width = s->side_width;
    snprintf(net->arch, sizeof net->arch, "%s", s->arch);
    builder_t bd = {net, s->prefix, net->in_c, net->in_h, net->in_w};
    if (!strcmp(s->arch, "air") && s->in_h != s->in_w) {
        err_set(e, "the air network needs square images (got %dx%d)", s->in_h, s->in_w);
        free(net);
        return NULL;
    }
    if (!strcmp(s->arch, "air")) {
        build_air(&bd, s->k);
    } else if (!strcmp(s->arch, "basic")) {
        build_basic(&bd, s->k);
    } else if (!strcmp(s->arch, "judge")) {
        build_judge(&bd, s->k);
    } else {
        err_set(e, "unknown architecture '%s' (known: air, basic, judge)", s->arch);
        free(net);
        return NULL;
    }
    net->data = be->alloc(be, net->total);
    net->grad = be->alloc(be, net->total);
    net->velocity = be->alloc(be, net->total);
    alloc_activations(net);
    return net;
}

void net_free(net_t *net)
{
    if (!net)
        return;
    backend_t *be = net->be;
    for (int i = 0; i < net->nlayers; i++) {
        layer_t *l = &net->layers[i];
        be->free(be, l->y);
        be->free(be, l->mask);
        be->free(be, l->mean);
        be->free(be, l->invstd);
        be->free(be, l->argmax);
    }
    be->free(be, net->grad_buf[0]);
    be->free(be, net->grad_buf[1]);
    be->free(be, net->data);
    be->free(be, net->grad);
    be->free(be, net->velocity);
    free(net->params);
    free(net);
}

static int fan_in(const param_t *p)
{
    int f = 1;
    for (int i = 1; i < p->ndim; i++)
        f *= p->shape[i];
    return f;
}

/* A weight of fan-in f, uniform in +-bound: He-uniform, sqrt(6 / f), or
 * for air PyTorch's default, 1 / sqrt(f), which airbench's learning rate
 * and weight decay were tuned with. air's convs then start as a partial
 * identity, as airbench's: output channel o < in_c is the Dirac delta of
 * input channel o (nn.init.dirac_). */
static void init_weight(const param_t *p, float *v, rng_t *rng, int airbench)
{
    float f = (float)fan_in(p);
    float bound = airbench ? 1.0f / sqrtf(f) : sqrtf(6.0f / f);
    for (size_t j = 0; j < p->count; j++)
        v[j] = bound * (2.0f * rng_uniform(rng) - 1.0f);
    if (!airbench || p->ndim != 4)
        return;
    int oc = p->shape[0], ic = p->shape[1], kh = p->shape[2], kw = p->shape[3];
    size_t per_out = (size_t)ic * kh * kw;
    for (int o = 0; o < oc && o < ic; o++) {
        float *w = v + (size_t)o * per_out;
        memset(w, 0, sizeof(float) * per_out);
        w[((size_t)o * kh + kh / 2) * kw + kw / 2] = 1.0f;
    }
}

void net_init(net_t *net, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed);
    int airbench = !strcmp(net->arch, "air");
    int output = -1; /* the last weight: the output layer's */
    for (int i = 0; i < net->nparams; i++)
        if (net->params[i].decay)
            output = i;
    float *host = afloat(net->total);
    for (int i = 0; i < net->nparams; i++) {
        const param_t *p = &net->params[i];
        float *v = host + p->offset;
        if (strstr(p->name, "running_var")) {
            for (size_t j = 0; j < p->count; j++)
                v[j] = 1.0f;
        } else if (p->decay) { /* a weight */
            init_weight(p, v, &rng, airbench);
            if (i == output && !airbench) /* drawn, then zeroed: the others draw as before */
                memset(v, 0, p->count * sizeof(float));
        }
    }
    net->be->upload(net->be, net->data, host, net->total);
    afree(host);
    float *zero = afloat(net->total);
    net->be->upload(net->be, net->velocity, zero, net->total);
    afree(zero);
}

const param_t *net_find_param(const net_t *net, const char *name)
{
    for (int i = 0; i < net->nparams; i++)
        if (!strcmp(net->params[i].name, name))
            return &net->params[i];
    return NULL;
}

size_t net_trainable_count(const net_t *net)
{
    size_t n = 0;
    for (int i = 0; i < net->nparams; i++)
        if (net->params[i].trainable)
            n += net->params[i].count;
    return n;
}

double net_forward_flops(const net_t *net)
{
    double f = 0;
    for (int i = 0; i < net->nlayers; i++) {
        const layer_t *l = &net->layers[i];
        if (l->kind == LAYER_CONV)
            f += 2.0 * l->oc * l->oh * l->ow * l->c * l->k * l->k;
        else if (l->kind == LAYER_CONV_POOL) /* the conv's output, before the pool */
            f += 2.0 * l->oc * (l->h + 2 * l->pad - l->k + 1) * (l->w + 2 * l->pad - l->k + 1) *
                 l->c * l->k * l->k;
        else if (l->kind == LAYER_LINEAR)
            f += 2.0 * l->oc * l->c;
    }
    return f;
}

int net_set_norm_lr_scale(net_t *net, float scale)
{
    int n = 0;
    for (int i = 0; i < net->nparams; i++)
        if (net->params[i].norm && net->params[i].trainable) {
            net->params[i].lr_scale = scale;
            n++;
        }
    return n;
}

const char *net_layer_kind(const layer_t *l)
{
    static const char *const kinds[] = {
        [LAYER_CONV] = "conv", [LAYER_LINEAR] = "linear", [LAYER_BN] = "bn",
        [LAYER_RELU] = "relu", [LAYER_GELU] = "gelu", [LAYER_MAXPOOL] = "maxpool",
        [LAYER_DROPOUT] = "dropout", [LAYER_CONCAT] = "concat", [LAYER_BN_GELU] = "bn+gelu",
        [LAYER_SCALE] = "scale", [LAYER_CONV_POOL] = "conv+pool"};
    return kinds[l->kind];
}

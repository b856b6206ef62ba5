/* net.h - a feed-forward CNN built from a named architecture.
 *
 * Parameters, gradients and momentum are each ONE backend allocation with a
 * table of named views into it (llm.c style), so saving, loading and device
 * copies are one call each. Tensor names are "<prefix><layer>.<what>", e.g.
 * "stage1.conv1.weight", "stage1.fc2.bias".
 *
 * Ownership: net_new() returns a net that owns every buffer; net_free().
 */
#ifndef MSCNN_NET_H
#define MSCNN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "engine/backend.h"
#include "base/util.h"

#define NET_MAX_LAYERS 64
#define NET_NAME_LEN 64

typedef struct {
    char name[NET_NAME_LEN];
    int ndim;
    int shape[4];
    size_t offset, count;  /* in floats, into the flat buffers */
    int trainable;         /* 0: a buffer (BN running statistics) or frozen */
    int decay;             /* weight decay applies (weights, not biases; batch-norm
                              parameters: see net_sgd_step) */
    int norm;              /* a batch-norm parameter (scale or bias) */
    float lr_scale;        /* learning-rate multiplier in net_sgd_step, 1 by default */
} param_t;

typedef enum {
    LAYER_CONV, LAYER_LINEAR, LAYER_BN, LAYER_RELU, LAYER_GELU,
    LAYER_MAXPOOL, LAYER_DROPOUT,
    LAYER_CONCAT,          /* flattens x and appends net->side (b, side_width) */
    LAYER_BN_GELU,         /* batch norm and GELU fused (bn(x) is not stored) */
    LAYER_SCALE,           /* y = scale * x */
    LAYER_CONV_POOL        /* conv then max pool (window and stride pool), fused */
} layer_kind_t;

typedef struct {
    layer_kind_t kind;
    char name[16];
    int c, h, w;           /* input, per image */
    int oc, oh, ow;        /* output, per image */
    int k, pad, stride;    /* conv and pool */
    int pool;              /* LAYER_CONV_POOL: the pool's window and stride */
    float drop;            /* dropout probability */
    float bn_eps, bn_momentum; /* BN: variance epsilon, running-stat momentum */
    float scale;           /* LAYER_SCALE factor */
    int wp, bp;            /* param indices of weight and bias, -1 if none */
    int rmp, rvp;          /* BN running mean / var param indices */
    float *y;              /* (B, oc, oh, ow) output */
    float *dy;             /* (B, oc, oh, ow) its gradient, valid during backward
                              (two buffers shared by alternate layers) */
    int32_t *argmax;       /* maxpool, conv+pool: (B, oc, oh, ow) */
    float *mask;           /* dropout: (B, oc, oh, ow) */
    float *mean, *invstd;  /* BN: (oc) batch statistics */
} layer_t;

/* Optional per-layer timing: when net->profile is set, net_forward and
 * net_backward add each layer's wall time, in seconds, to it. */
typedef struct {
    double fwd[NET_MAX_LAYERS], bwd[NET_MAX_LAYERS];
    long fwd_calls, bwd_calls;
} net_profile_t;

typedef struct {
    backend_t *be;
    char arch[32];
    int k;                 /* classes */
    int max_batch;
    int in_c, in_h, in_w;
    layer_t layers[NET_MAX_LAYERS];
    int nlayers;
    param_t *params;
    int nparams;
    size_t total;          /* floats in each flat buffer */
    float *data, *grad, *velocity; /* (total) each, backend memory */
    uint64_t dropout_seed; /* key of the dropout masks (net_forward) */
    float *grad_buf[2];    /* the layers' dy: layer i uses grad_buf[i % 2] */
    net_profile_t *profile; /* NULL, or where to add layer times (not owned) */
    int side_width;        /* width of the side input of a CONCAT layer, 0 if none */
    const float *side;     /* (b, side_width) backend memory, set before forward;
                              gets no gradient (it is detached) */
} net_t;

/* Architectures known by name; NULL-terminated list for messages.
 *   air    airbench94 (DESIGN.md section 1): frozen 2x2 whitening conv,
 *          three conv/pool/BN/GELU groups of widths 64, 256, 256, global
 *          max pool, linear k with a 1/9 scale; square input
 *   basic  the Keras CIFAR-10 example CNN, image -> k logits
 *   judge  a small CNN whose head also takes a side input of side_width
 *          values (Stage 1's softmax vector), image -> k logits
 */
extern const char *const net_arch_names[];

/* The architectures a Stage 1 can be (not judge), NULL-terminated, in the
 * order --help and the settings' messages list them: basic, air. */
extern const char *const net_stage1_arch_names[];

typedef struct {
    const char *arch;
    const char *prefix;    /* tensor name prefix, e.g. "stage1." */
    int k;                 /* outputs */
    int in_c, in_h, in_w;  /* input image */
    int side_width;        /* judge: width of the side input */
    int max_batch;
} net_spec_t;

net_t *net_new(backend_t *be, const net_spec_t *spec, err_t *e);
void net_free(net_t *net);

/* Seeded initialisation: He-uniform weights and zero biases, the output
 * layer's weights zero (a fresh K-way net's first loss is ln K, not the
 * 6 to 8 that He-scaled logits through dropout give); air as airbench
 * (PyTorch-default bounds, convs starting as partial identities, its own
 * scaled head). */
void net_init(net_t *net, uint64_t seed);

/* air: sets the frozen whitening conv from images (n, in_c, in_h, in_w),
 * host memory, already normalised: the eigenvectors of the (uncentred)
 * covariance of all 2x2 patches, each scaled by 1/sqrt(eigenvalue + 5e-4),
 * eigenvalues ascending, then their negations. -1 with e set if the net
 * has no whitening layer or n < 1. */
int net_init_whitening(net_t *net, const float *images, int n, err_t *e);

/* Learning-rate multiplier for every trainable batch-norm parameter
 * (airbench's bias_scaler: 64); returns how many tensors it set. */
int net_set_norm_lr_scale(net_t *net, float scale);

/* x (b, in_c, in_h, in_w) -> logits (b, k), owned by the net. In training
 * mode BN uses batch statistics and dropout layer i draws its mask from
 * the backend's counter-based generator keyed by net->dropout_seed, stream
 * step * NET_MAX_LAYERS + i: a mask is a function of (seed, step, layer),
 * so every backend, and a resumed run, draws the same masks. step is the
 * optimizer step (ignored in inference). */
const float *net_forward(net_t *net, const float *x, int b, int train, uint64_t step);
/* Where the loss writes dloss/dlogits (b, k) before net_backward(). */
float *net_dlogits(net_t *net);
/* After a training forward of the same x: fills net->grad of the
 * trainable parameters from the gradient in net_dlogits(), and dx
 * (b, in_c, in_h, in_w) when not NULL. Work that feeds neither (the
 * gradient of frozen layers, and through the layers before the first
 * trainable one) is skipped; the grad of frozen parameters is left as is. */
void net_backward(net_t *net, const float *x, float *dx, int b);
/* One SGD step over every trainable parameter; parameter p moves with
 * learning rate lr * p->lr_scale. Weights decay by weight_decay, batch-norm
 * parameters by weight_decay / p->lr_scale (so lr x decay is the same for
 * both, as airbench's BN biases), other biases not at all. */
void net_sgd_step(net_t *net, float lr, float momentum, float weight_decay,
                  int nesterov);

const param_t *net_find_param(const net_t *net, const char *name);
size_t net_trainable_count(const net_t *net);
/* Multiply-adds x 2 of one image's forward pass. */
double net_forward_flops(const net_t *net);
/* What a layer is, for profiles: "conv", "conv+pool", "bn+gelu", ... */
const char *net_layer_kind(const layer_t *l);

#endif

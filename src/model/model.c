/* model.c - Stage 1 plus K judges sharing one judge net. */
#include "model/model.h"

#include <stdlib.h>

model_t *model_new(backend_t *be, const char *stage1_arch, int k, int in_c, int in_h, int in_w,
                   int max_batch, err_t *e)
{
    model_t *m = xcalloc(1, sizeof *m);
    m->be = be;
    m->k = k;
    net_spec_t s1 = {.arch = stage1_arch, .prefix = "stage1.", .k = k, .in_c = in_c,
                     .in_h = in_h, .in_w = in_w, .max_batch = max_batch};
    net_spec_t j = {.arch = JUDGE_ARCH, .prefix = "judge.", .k = 2, .in_c = in_c, .in_h = in_h,
                    .in_w = in_w, .side_width = JUDGE_SIDE(k), .max_batch = max_batch};
    m->stage1 = net_new(be, &s1, e);
    m->judge = m->stage1 ? net_new(be, &j, e) : NULL;
    if (!m->judge) {
        net_free(m->stage1);
        free(m);
        return NULL;
    }
    size_t total = m->judge->total * (size_t)k;
    m->judge_data = be->alloc(be, total);
    m->judge_velocity = be->alloc(be, total);
    m->judge_own_data = m->judge->data;
    m->judge_own_velocity = m->judge->velocity;
    model_use_judge(m, 0);
    return m;
}

void model_free(model_t *m)
{
    if (!m)
        return;
    m->judge->data = m->judge_own_data;
    m->judge->velocity = m->judge_own_velocity;
    m->be->free(m->be, m->judge_data);
    m->be->free(m->be, m->judge_velocity);
    lookahead_free(&m->la);
    net_free(m->judge);
    net_free(m->stage1);
    free(m);
}

float *model_judge_data(const model_t *m, int c)
{
    return m->judge_data + (size_t)c * m->judge->total;
}

float *model_judge_velocity(const model_t *m, int c)
{
    return m->judge_velocity + (size_t)c * m->judge->total;
}

void model_use_judge(model_t *m, int c)
{
    m->judge->data = model_judge_data(m, c);
    m->judge->velocity = model_judge_velocity(m, c);
    m->current = c;
}

static void zero_param(model_t *m, float *base, const char *name)
{
    const param_t *p = net_find_param(m->judge, name);
    float *zero = afloat(p->count);
    m->be->upload(m->be, base + p->offset, zero, p->count);
    afree(zero);
}

static void scale_param(model_t *m, float *base, const char *name, float f)
{
    const param_t *p = net_find_param(m->judge, name);
    float *v = afloat(p->count);
    m->be->download(m->be, v, base + p->offset, p->count);
    for (size_t i = 0; i < p->count; i++)
        v[i] *= f;
    m->be->upload(m->be, base + p->offset, v, p->count);
    afree(v);
}

void model_judge_scale_output(model_t *m, int c, float f)
{
    static const char *const names[] = {"judge.fc2.weight", "judge.fc2.bias"};
    for (int j = 0; j < 2; j++) {
        scale_param(m, model_judge_data(m, c), names[j], f);
        scale_param(m, model_judge_velocity(m, c), names[j], f);
    }
}

/* A judge starts out as its calibrated baseline: its output layer is
 * zero, so it adds nothing to sigmoid(a z + b) whatever the image, and
 * early training does not push random features around. */
void model_judge_zero_output(model_t *m, int c)
{
    zero_param(m, model_judge_data(m, c), "judge.fc2.weight");
    zero_param(m, model_judge_data(m, c), "judge.fc2.bias");
    zero_param(m, model_judge_velocity(m, c), "judge.fc2.weight");
    zero_param(m, model_judge_velocity(m, c), "judge.fc2.bias");
}

void model_init(model_t *m, uint64_t seed)
{
    net_init(m->stage1, seed);
    for (int c = 0; c < m->k; c++) {
        model_use_judge(m, c);
        net_init(m->judge, seed + 1000003ULL * (uint64_t)(c + 1));
        model_judge_zero_output(m, c);
    }
    model_use_judge(m, 0);
}

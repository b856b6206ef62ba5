/* session_stage2.c - the judges' baseline, combiner and pooled choice
 * within a session's epoch (train/stage2.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/session.h"

void stage2_calibrate(session_t *s)
{
    int n = s->pool_n, k = s->meta.k;
    s->pool_margin = xrealloc(s->pool_margin, sizeof(double) * (n ? n : 1));
    for (int i = 0; i < n; i++)
        s->pool_margin[i] = top2_margin(s->pool_probs + (size_t)i * k, k);
    judge_calibrate(s->pool_z, s->pool_right, n, s->calib_shared);
    judge_fit_combiner(s->pool_z, s->pool_margin, s->pool_right, n, s->calib_comb);
    const double *w = s->calib_comb;
    for (int c = 0; c < k; c++) /* the judge nets train on top of the combiner */
        if (s->meta.trainable[c]) {
            s->meta.calib[c][0] = w[1];
            s->meta.calib[c][1] = w[0];
            s->meta.calib[c][2] = w[2];
        }
}

/* g_c(x) of each validation image from its score and the offset it was
 * scored with: logit(score) - offset. */
static void judge_additions(const session_t *s, const double *score, const double *z,
                            double *g)
{
    const scored_t *v = &s->val;
    for (int i = 0; i < v->n; i++) {
        double q = score[i] < 1e-300 ? 1e-300 : score[i] > 1 - 1e-16 ? 1 - 1e-16 : score[i];
        g[i] = log(q) - log1p(-q) - judge_offset(s->meta.calib[v->p[i]], z[i], v->margin[i]);
    }
}

/* Judge c's net as the choice says: its trained weights scaled by mu, or
 * zero (g = 0). */
static void apply_judge_net(session_t *s, int c, const blend_t *b)
{
    if (!b->use[c] || b->mu == 0) {
        model_judge_zero_output(s->model, c);
        return;
    }
    if (b->mu != 1)
        model_judge_scale_output(s->model, c, b->mu);
}

void stage2_select(session_t *s)
{
    scored_t *v = &s->val;
    int k = s->meta.k, n = v->n ? v->n : 1, fixed[DATASET_MAX_CLASSES];
    double *z = xmalloc(sizeof(double) * n), *g = xmalloc(sizeof(double) * n);
    double *out = xmalloc(sizeof(double) * n);
    for (int i = 0; i < v->n; i++)
        z[i] = msp_logit(v->msp[i]);
    judge_additions(s, v->score, z, g);
    for (int c = 0; c < k; c++)
        fixed[c] = !s->judged[c];
    blend_input_t in = {.n = v->n, .k = k, .y = v->y, .p = v->p, .z = z, .m = v->margin,
                        .g = g, .fixed_score = v->score, .fixed = fixed,
                        .base = {s->calib_shared[0], s->calib_shared[1]},
                        .comb = {s->calib_comb[0], s->calib_comb[1], s->calib_comb[2]}};
    blend_t *b = &s->blend;
    judge_blend_select(&in, b, out);
    for (int c = 0; c < k; c++) {
        cat_stats_t *cs = &s->live.cat[c];
        cs->val_aurc_msp = b->aurc_msp[c];
        cs->kept = b->keep[c];
        cs->val_aurc = b->aurc[c];
        if (fixed[c]) /* reported, never changed */
            continue;
        memcpy(s->meta.calib[c], b->cal[c], sizeof b->cal[c]);
        apply_judge_net(s, c, b);
    }
    memcpy(v->score, out, sizeof(double) * v->n);
    s->have_blend = 1;
    free(z);
    free(g);
    free(out);
}

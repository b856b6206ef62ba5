/* session_score.c - scoring images with both stages (inference mode). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/session.h"

void scored_alloc(scored_t *sc, int n, int k, int tta)
{
    scored_free(sc);
    sc->n = n;
    sc->k = k;
    sc->tta = tta;
    sc->y = xcalloc(n ? n : 1, sizeof(int));
    sc->p = xcalloc(n ? n : 1, sizeof(int));
    sc->msp = xcalloc(n ? n : 1, sizeof(double));
    sc->score = xcalloc(n ? n : 1, sizeof(double));
    sc->margin = xcalloc(n ? n : 1, sizeof(double));
}

/* Runs judge c on the rows of the loaded batch that Stage 1 assigned to c
 * (scores into sc->score); returns the summed judge loss and adds to
 * *correct. */
static double judge_rows(session_t *s, int c, int b, scored_t *sc, int start, int *correct)
{
    int k = s->meta.k, m = 0, rows[b];
    for (int i = 0; i < b; i++)
        if (sc->p[start + i] == c)
            rows[m++] = i;
    if (!m)
        return 0;
    const double *ab = s->meta.calib[c];
    for (int j = 0; j < m; j++) {
        int i = rows[j];
        size_t img = s->tr.img_floats;
        memcpy(s->gather_x + (size_t)j * img, s->tr.xhost + (size_t)i * img, sizeof(float) * img);
        memcpy(s->gather_probs + (size_t)j * k, s->tr.probs_host + (size_t)i * k,
               sizeof(float) * k);
        s->gather_right[j] = sc->p[start + i] == sc->y[start + i];
        s->gather_offset[j] = judge_offset(ab, msp_logit(sc->msp[start + i]), sc->margin[start + i]);
    }
    double loss = judge_step(&s->tr, c, s->gather_x, s->gather_probs, s->gather_offset,
                             s->gather_right, m, 0.0f, 0, s->gather_scores, correct);
    for (int j = 0; j < m; j++)
        sc->score[start + rows[j]] = s->gather_scores[j];
    return loss;
}

void session_score_batch(session_t *s, const dataset_t *d, int start, int b, scored_t *sc,
                         double *s1_loss, double *j_loss, long *j_correct)
{
    int k = s->meta.k, *idx = xmalloc(sizeof(int) * b);
    for (int i = 0; i < b; i++)
        idx[i] = start + i;
    trainer_load(&s->tr, d, idx, b, NULL, NULL);
    free(idx);
    *s1_loss += stage1_infer(&s->tr, b, sc->tta);
    sc->plain_hits += s->tr.plain_hits;
    for (int i = 0; i < b; i++) {
        const float *pr = s->tr.probs_host + (size_t)i * k;
        int p = argmax_row(pr, k);
        sc->y[start + i] = s->tr.labels_host[i];
        sc->p[start + i] = p;
        sc->msp[start + i] = pr[p];
        sc->margin[start + i] = top2_margin(pr, k);
    }
    for (int c = 0; c < k; c++) {
        int correct = 0;
        *j_loss += judge_rows(s, c, b, sc, start, &correct);
        *j_correct += correct;
    }
}

void session_score_val(session_t *s)
{
    const scored_t *v = &s->val;
    if (v->n != s->data.val.n || !v->y || v->tta != s->cfg.train.tta)
        session_score(s, &s->data.val, &s->val);
}

int session_rescore_val(session_t *s)
{
    if (!s->val.y || s->val.tta == s->cfg.train.tta)
        return 0;
    session_score(s, &s->data.val, &s->val);
    return 1;
}

const float *session_batch_probs(const session_t *s) { return s->tr.probs_host; }

void session_score(session_t *s, const dataset_t *d, scored_t *out)
{
    scored_alloc(out, d->n, s->meta.k, s->cfg.train.tta);
    double s1 = 0, jl = 0;
    long jc = 0;
    int mb = s->tr.max_batch;
    for (int start = 0; start < d->n; start += mb) {
        int b = d->n - start < mb ? d->n - start : mb;
        session_score_batch(s, d, start, b, out, &s1, &jl, &jc);
    }
    out->s1_loss = d->n ? s1 / d->n : NAN;
    out->j_loss = d->n ? jl / d->n : NAN;
}

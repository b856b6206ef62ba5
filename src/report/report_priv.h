/* report_priv.h - figures the printed report and its JSON (report_json.c)
 * both compute, inside src/report/ only. */
#ifndef MSCNN_REPORT_PRIV_H
#define MSCNN_REPORT_PRIV_H

#include "train/session.h"

/* Test images of class c that Stage 1 classed right; *n: images of c. */
long report_class_hits(const scored_t *sc, int c, long *n);
/* AURC x1000 of kappa over the images of sc Stage 1 assigned to c (NaN
 * when there are none). */
double report_category_aurc(const scored_t *sc, int c, const double *kappa);
/* 1 when some judge has a calibrated baseline (train/stage2.h); then
 * cal[i] (n entries, caller-owned) is that baseline's score of image i. */
int report_calibrated_scores(const session_t *s, const scored_t *t, double *cal);
/* Share of sc's images whose final output is OTHER at the model's tau. */
double report_share_other(const session_t *s, const scored_t *sc);
/* The MSP threshold (*thr) that accepts as many test images as the judges
 * do at tau, and the share of unseen images it sends to OTHER; NaN when
 * the judges accept no test image. */
double report_msp_other_at_coverage(const session_t *s, const scored_t *t, const scored_t *u,
                                    double *thr);

#endif

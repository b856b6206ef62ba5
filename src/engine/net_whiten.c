/* net_whiten.c - the air network's frozen whitening conv, from patch PCA.
 *
 * As airbench94: take every 2x2 patch (stride 1) of the given images, form
 * the uncentred covariance C of the patch vectors (c * 2 * 2 values, in
 * the conv weight's (c, ky, kx) order), and set filter i to eigenvector i
 * of C divided by sqrt(eigenvalue i + 5e-4), eigenvalues ascending, and
 * filter d + i to its negation. The conv's output then has (almost)
 * identity covariance in its first d channels. The eigenvectors come from
 * a cyclic Jacobi solver: d is 12 for RGB, so no LAPACK is needed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net.h"

#define WHITEN_EPS 5e-4
#define JACOBI_SWEEPS 64

/* Eigen-decomposition of the symmetric a (d, d), destroyed: val (d)
 * ascending, vec (d, d) with eigenvector i in row i, each signed so that
 * its largest component is positive. */
static void jacobi_eigen(int d, double *a, double *val, double *vec)
{
    double *v = xcalloc((size_t)d * d, sizeof(double)); /* columns: eigenvectors */
    for (int i = 0; i < d; i++)
        v[i * d + i] = 1.0;
    for (int sweep = 0; sweep < JACOBI_SWEEPS; sweep++) {
        double off = 0.0, diag = 0.0;
        for (int p = 0; p < d; p++)
            for (int q = 0; q < d; q++)
                *(p == q ? &diag : &off) += a[p * d + q] * a[p * d + q];
        if (off <= 1e-30 * diag)
            break;
        for (int p = 0; p < d - 1; p++)
            for (int q = p + 1; q < d; q++) {
                double apq = a[p * d + q];
                if (fabs(apq) < 1e-300)
                    continue;
                double theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < d; k++) { /* a = a J (columns p, q) */
                    double akp = a[k * d + p], akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for (int k = 0; k < d; k++) { /* a = J^T a (rows p, q) */
                    double apk = a[p * d + k], aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < d; k++) { /* v = v J */
                    double vkp = v[k * d + p], vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
    }
    int *order = xmalloc(sizeof(int) * d);
    for (int i = 0; i < d; i++)
        order[i] = i;
    for (int i = 1; i < d; i++) /* insertion sort by eigenvalue, ascending */
        for (int j = i; j > 0 && a[order[j] * d + order[j]] < a[order[j - 1] * d + order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < d; i++) {
        int col = order[i], big = 0;
        val[i] = a[col * d + col];
        for (int k = 1; k < d; k++)
            if (fabs(v[k * d + col]) > fabs(v[big * d + col]))
                big = k;
        double sign = v[big * d + col] < 0 ? -1.0 : 1.0;
        for (int k = 0; k < d; k++)
            vec[i * d + k] = sign * v[k * d + col];
    }
    free(order);
    free(v);
}

/* cov (d, d) += sum over the 2x2 patches of one image (c, h, w) of p p^T */
static void add_patches(const float *img, int c, int h, int w, double *cov)
{
    const int d = c * 4;
    double p[d];
    for (int y = 0; y + 1 < h; y++)
        for (int x = 0; x + 1 < w; x++) {
            for (int ci = 0; ci < c; ci++)
                for (int ky = 0; ky < 2; ky++)
                    for (int kx = 0; kx < 2; kx++)
                        p[ci * 4 + ky * 2 + kx] = img[((size_t)ci * h + y + ky) * w + x + kx];
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++)
                    cov[i * d + j] += p[i] * p[j];
        }
}

int net_init_whitening(net_t *net, const float *images, int n, err_t *e)
{
    const layer_t *l = &net->layers[0];
    if (net->nlayers < 1 || l->kind != LAYER_CONV || strcmp(l->name, "whiten") || l->k != 2)
        return err_set(e, "network '%s' has no whitening layer", net->arch);
    const int c = net->in_c, d = c * 4;
    if (l->oc != 2 * d)
        return err_set(e, "whitening layer has %d filters, expected %d", l->oc, 2 * d);
    if (n < 1)
        return err_set(e, "whitening needs at least one image");
    double *cov = xcalloc((size_t)d * d, sizeof(double));
    size_t img = (size_t)c * net->in_h * net->in_w;
    for (int i = 0; i < n; i++)
        add_patches(images + i * img, c, net->in_h, net->in_w, cov);
    double patches = (double)n * (net->in_h - 1) * (net->in_w - 1);
    for (int i = 0; i < d; i++)
        for (int j = i; j < d; j++)
            cov[j * d + i] = cov[i * d + j] = cov[i * d + j] / patches;
    double *val = xmalloc(sizeof(double) * d), *vec = xmalloc(sizeof(double) * d * d);
    jacobi_eigen(d, cov, val, vec);
    float *w = afloat((size_t)2 * d * d); /* (2d, c, 2, 2) */
    for (int i = 0; i < d; i++) {
        double s = 1.0 / sqrt(fmax(val[i], 0.0) + WHITEN_EPS);
        for (int k = 0; k < d; k++) {
            w[i * d + k] = (float)(vec[i * d + k] * s);
            w[(d + i) * d + k] = -w[i * d + k];
        }
    }
    const param_t *p = &net->params[l->wp];
    net->be->upload(net->be, net->data + p->offset, w, p->count);
    afree(w);
    free(val);
    free(vec);
    free(cov);
    return 0;
}

/* compare.c - `mscnn compare -m A -m B`: two models on the same test images.
 *
 * Each model is opened as a scoring session (its settings as in a run:
 * --data_dir, --dataset, --tta, --device...) and scores the test split
 * through session_score(); the test labels must agree image by image. Per
 * category (of the true label) and overall, side by side: Stage 1 accuracy,
 * 11-way accuracy, coverage and selective accuracy at each model's tau,
 * and the judge AURC; B - A; and the exact McNemar test of paired Stage 1
 * correctness. A PNG of the per-category deltas goes to --output_dir.
 */
#include "cli/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/subcmd.h"
#include "eval/metrics.h"
#include "model/model_io.h"
#include "report/plot.h"
#include "train/session.h"

#define ALPHA 0.05
#define PLOT_NAME "compare_deltas.png"

typedef struct {
    char dir[1024];
    model_meta_t meta;
    scored_t sc;
    int *o;                 /* (n) final outputs, 0..K */
} side_t;

/* One row: a category or all; [0] model A, [1] model B. */
typedef struct {
    long n;
    double s1[2], acc11[2], cov[2], sel[2], aurc[2];
    long only_a, only_b;    /* Stage 1 right in A only, in B only */
    double p;
} row_t;

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: mscnn compare -m A -m B [options]\n"
            "Scores the trained models in the directories A and B on the same test images\n"
            "(the test split of the data: --data_dir, --dataset) and prints, per category\n"
            "and overall, side by side: Stage 1 accuracy, 11-way accuracy, coverage and\n"
            "selective accuracy at each model's tau and the judge AURC (x1000), the\n"
            "difference B - A, and the exact McNemar test (two-sided p) on paired Stage 1\n"
            "correctness. Writes " PLOT_NAME " (the per-category differences, p < %g\n"
            "marked) into --output_dir.\n\n"
            "  -m, --model DIR         a model directory; give it twice (A, then B)\n"
            "  -h, --help              this help\n"
            "The settings of mscnn --help apply to both models (--data_dir, --tta,\n"
            "--threshold, --device, --output_dir...). Models with different class lists\n"
            "are refused.\n",
            ALPHA);
}

static int same_classes(const side_t *a, const side_t *b, err_t *e)
{
    int same = a->meta.k == b->meta.k;
    for (int c = 0; same && c < a->meta.k; c++)
        same = !strcmp(a->meta.class_names[c], b->meta.class_names[c]);
    if (same)
        return 0;
    char la[1024] = "", lb[1024] = "";
    for (int c = 0; c < a->meta.k; c++)
        snprintf(la + strlen(la), sizeof la - strlen(la), "%s%s", c ? "," : "",
                 a->meta.class_names[c]);
    for (int c = 0; c < b->meta.k; c++)
        snprintf(lb + strlen(lb), sizeof lb - strlen(lb), "%s%s", c ? "," : "",
                 b->meta.class_names[c]);
    return err_set(e, "the models have different class lists: '%s' has %d (%s) and '%s' has "
                      "%d (%s)", a->dir, a->meta.k, la, b->dir, b->meta.k, lb);
}

/* Opens the model of o, scores its test split into side; 0, 1 or 2. */
static int score_side(const options_t *o, side_t *side, char *data_desc, size_t len)
{
    session_t s;
    err_t e = {{0}};
    int rc = subcmd_open(&s, o, 0, &e);
    if (rc) {
        fprintf(stderr, "mscnn compare: %s\n", e.msg);
        session_close(&s);
        return rc == -2 ? 2 : 1;
    }
    snprintf(side->dir, sizeof side->dir, "%s", o->load_model);
    side->meta = s.meta;
    session_score(&s, &s.data.test, &side->sc);
    side->o = xcalloc((size_t)(side->sc.n ? side->sc.n : 1), sizeof(int));
    metrics_outputs(side->sc.n, s.meta.k, side->sc.p, side->sc.score, s.meta.tau, side->o);
    snprintf(data_desc, len, "%s", s.data.description);
    session_close(&s);
    return 0;
}

/* The metrics of one model over the m test images idx[]. */
static void side_metrics(const side_t *sd, const int *idx, int m, row_t *r, int j)
{
    int k = sd->meta.k, *y = xcalloc(m ? m : 1, sizeof(int)), *p = xcalloc(m ? m : 1, sizeof(int));
    double *score = xcalloc(m ? m : 1, sizeof(double));
    long hit = 0, ok11 = 0, acc = 0, acc_hit = 0;
    for (int i = 0; i < m; i++) {
        int t = idx[i], o = sd->o[t];
        y[i] = sd->sc.y[t];
        p[i] = sd->sc.p[t];
        score[i] = sd->sc.score[t];
        hit += p[i] == y[i];
        ok11 += o == (p[i] == y[i] ? y[i] : k);
        acc += o != k;
        acc_hit += o != k && p[i] == y[i];
    }
    r->s1[j] = m ? (double)hit / m : NAN;
    r->acc11[j] = m ? (double)ok11 / m : NAN;
    r->cov[j] = m ? (double)acc / m : NAN;
    r->sel[j] = acc ? (double)acc_hit / acc : NAN;
    r->aurc[j] = m ? metrics_aurc(m, y, p, score).aurc : NAN;
    free(y);
    free(p);
    free(score);
}

/* category c, or all images when c < 0 */
static void fill_row(const side_t *a, const side_t *b, int c, row_t *r)
{
    int n = a->sc.n, m = 0, *idx = xcalloc(n ? n : 1, sizeof(int));
    memset(r, 0, sizeof *r);
    for (int i = 0; i < n; i++)
        if (c < 0 || a->sc.y[i] == c)
            idx[m++] = i;
    for (int i = 0; i < m; i++) {
        int t = idx[i], ra = a->sc.p[t] == a->sc.y[t], rb = b->sc.p[t] == b->sc.y[t];
        r->only_a += ra && !rb;
        r->only_b += rb && !ra;
    }
    r->n = m;
    r->p = metrics_mcnemar_exact(r->only_a, r->only_b);
    side_metrics(a, idx, m, r, 0);
    side_metrics(b, idx, m, r, 1);
    free(idx);
}

/* "-" for a rate without images (selective accuracy when none is accepted) */
static void num(const char *fmt, double v)
{
    if (isfinite(v))
        printf(fmt, v);
    else
        printf(" %6s", "-");
}

static void pct3(double a, double b)
{
    printf(" ");
    num(" %6.2f", 100 * a);
    num(" %6.2f", 100 * b);
    num(" %+6.2f", 100 * (b - a));
}

static void print_row(const char *name, int name_w, const row_t *r)
{
    printf("%-*s %6ld", name_w, name, r->n);
    pct3(r->s1[0], r->s1[1]);
    printf(" %6ld %6ld %9.4g%s", r->only_a, r->only_b, r->p, r->p < ALPHA ? "*" : " ");
    pct3(r->acc11[0], r->acc11[1]);
    pct3(r->cov[0], r->cov[1]);
    pct3(r->sel[0], r->sel[1]);
    printf(" ");
    num(" %6.1f", 1000 * r->aurc[0]);
    num(" %6.1f", 1000 * r->aurc[1]);
    num(" %+6.1f", 1000 * (r->aurc[1] - r->aurc[0]));
    putchar('\n');
}

static void print_report(const side_t *a, const side_t *b, const row_t *rows, const char *data)
{
    int k = a->meta.k, w = 8;
    for (int c = 0; c < k; c++)
        w = (int)strlen(a->meta.class_names[c]) > w ? (int)strlen(a->meta.class_names[c]) : w;
    printf("Comparing A = %s and B = %s on %d test images (%s)\n", a->dir, b->dir, a->sc.n,
           data);
    printf("%% of the category's images; B-A the difference; AURC x1000 (lower is better)\n\n");
    printf("%-*s %6s  %-20s%25s  %-20s  %-20s  %-20s  %s\n", w, "", "", "Stage 1 accuracy",
           "", "11-way accuracy", "coverage at tau", "selective accuracy", "judge AURC");
    printf("%-*s %6s  %6s %6s %6s %6s %6s %9s ", w, "category", "n", "A", "B", "B-A",
           "A only", "B only", "McNemar p");
    for (int j = 0; j < 4; j++)
        printf("  %6s %6s %6s", "A", "B", "B-A");
    putchar('\n');
    for (int c = 0; c < k; c++)
        print_row(a->meta.class_names[c], w, &rows[c]);
    print_row("overall", w, &rows[k]);
    printf("\nMcNemar p: exact two-sided binomial test on the images exactly one model's "
           "Stage 1 gets right\n(* p < %g). The %d per-category p-values are %d separate "
           "tests: about %.1f of them fall\nbelow %g by chance alone; Bonferroni asks p < "
           "%.4g for any one category.\n",
           ALPHA, k, k, k * ALPHA, ALPHA, ALPHA / k);
}

/* PLOT_NAME in out_dir; 0, or 1 with the error printed. */
static int write_plot(const side_t *a, const side_t *b, const row_t *rows, const char *out_dir)
{
    int k = a->meta.k;
    const char **names = xcalloc((size_t)k, sizeof *names);
    double *s1 = xcalloc((size_t)k, sizeof(double)), *acc11 = xcalloc((size_t)k, sizeof(double));
    double *p = xcalloc((size_t)k, sizeof(double));
    for (int c = 0; c < k; c++) {
        names[c] = a->meta.class_names[c];
        s1[c] = rows[c].s1[1] - rows[c].s1[0];
        acc11[c] = rows[c].acc11[1] - rows[c].acc11[0];
        p[c] = rows[c].p;
    }
    char title[600];
    snprintf(title, sizeof title, "A = %.250s, B = %.250s", a->dir, b->dir);
    plot_deltas_t d = {k, names, s1, acc11, p, ALPHA, title};
    char path[1200];
    err_t e = {{0}};
    snprintf(path, sizeof path, "%s/" PLOT_NAME, out_dir);
    int rc = mkdir_p(out_dir, &e) || plot_deltas(path, &d, &e);
    if (rc)
        fprintf(stderr, "mscnn compare: %s\n", e.msg);
    else
        printf("\nWrote %s\n", path);
    free(names);
    free(s1);
    free(acc11);
    free(p);
    return rc ? 1 : 0;
}

static int compare(const options_t *oa, const options_t *ob, const char *out_dir)
{
    side_t a = {0}, b = {0};
    char data_a[1400], data_b[1400];
    err_t e = {{0}};
    int rc = 0;
    snprintf(a.dir, sizeof a.dir, "%s", oa->load_model);
    snprintf(b.dir, sizeof b.dir, "%s", ob->load_model);
    if (model_load_meta(a.dir, &a.meta, &e) || model_load_meta(b.dir, &b.meta, &e)) {
        fprintf(stderr, "mscnn compare: %s\n", e.msg);
        rc = 1;
    } else if (same_classes(&a, &b, &e)) {
        fprintf(stderr, "mscnn compare: %s\n", e.msg);
        rc = 2;
    }
    if (!rc)
        rc = score_side(oa, &a, data_a, sizeof data_a);
    if (!rc)
        rc = score_side(ob, &b, data_b, sizeof data_b);
    if (!rc && (a.sc.n != b.sc.n || memcmp(a.sc.y, b.sc.y, sizeof(int) * (size_t)a.sc.n))) {
        fprintf(stderr, "mscnn compare: the test images differ between '%s' (%d images: %s) "
                        "and '%s' (%d: %s)\n", a.dir, a.sc.n, data_a, b.dir, b.sc.n, data_b);
        rc = 1;
    }
    if (!rc) {
        int k = a.meta.k;
        row_t *rows = xcalloc((size_t)k + 1, sizeof *rows);
        for (int c = 0; c <= k; c++)
            fill_row(&a, &b, c < k ? c : -1, &rows[c]);
        print_report(&a, &b, rows, data_a);
        rc = write_plot(&a, &b, rows, out_dir);
        free(rows);
    }
    scored_free(&a.sc);
    scored_free(&b.sc);
    free(a.o);
    free(b.o);
    return rc;
}

int compare_main(int argc, char **argv)
{
    const char *models[2];
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest, help, rc = 2;
    int n = subcmd_models("compare", argc, argv, models, 2, rest, &nrest, &help);
    if (help) {
        usage(stdout);
        rc = 0;
    } else if (n >= 0 && n != 2) {
        fprintf(stderr, "mscnn compare: give two model directories, -m A -m B (see mscnn "
                        "compare --help)\n");
    } else if (n == 2) {
        options_t oa, ob;
        rc = subcmd_settings("compare", models[0], nrest, rest, NULL, &oa);
        if (!rc)
            rc = subcmd_settings("compare", models[1], nrest, rest, NULL, &ob);
        if (!rc)
            rc = compare(&oa, &ob, oa.output_dir);
    }
    free(rest);
    return rc;
}

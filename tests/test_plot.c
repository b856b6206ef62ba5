/* test_plot.c - the three PNG figures: written atomically, readable by
 * libpng, of the documented size, not blank, with the series colours in the
 * right places; the confusion heatmap dark where the big count is; titles,
 * axis labels, class labels, counts, notes and legends drawn where they
 * belong (dark text pixels, the legend's grey border around a sample of
 * each series colour); errors name the file and the problem. With
 * MSCNN_PLOT_DIR set, sample figures are also left in that directory for a
 * human to look at. */
#include <dirent.h>
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "report/plot.h"
#include "base/util.h"

#define MUTED 0x8a8a8au /* plot_priv.h's COL_MUTED: marks and muted text */

typedef struct {
    int w, h;
    unsigned char *px; /* RGB, w * h * 3 */
} image_t;

static int read_png(const char *path, image_t *im)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    im->px = NULL;
    if (!png_image_begin_read_from_file(&pi, path)) {
        fprintf(stderr, "%s: %s\n", path, pi.message);
        return -1;
    }
    pi.format = PNG_FORMAT_RGB;
    im->w = (int)pi.width;
    im->h = (int)pi.height;
    im->px = xmalloc(PNG_IMAGE_SIZE(pi));
    if (!png_image_finish_read(&pi, NULL, im->px, 0, NULL)) {
        fprintf(stderr, "%s: %s\n", path, pi.message);
        free(im->px);
        im->px = NULL;
        return -1;
    }
    return 0;
}

static uint32_t pixel(const image_t *im, int x, int y)
{
    const unsigned char *p = im->px + 3 * ((size_t)y * im->w + x);
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static double lum(uint32_t c)
{
    return 0.299 * (c >> 16 & 255) + 0.587 * (c >> 8 & 255) + 0.114 * (c & 255);
}

static int distinct_colours(const image_t *im)
{
    unsigned char *seen = xcalloc(1u << 21, 1); /* 2^24 bits */
    int n = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            uint32_t c = pixel(im, x, y);
            if (!(seen[c >> 3] & (1u << (c & 7)))) {
                seen[c >> 3] |= (unsigned char)(1u << (c & 7));
                n++;
            }
        }
    free(seen);
    return n;
}

/* Pixels within tol (per channel) of colour c in the rectangle. */
static int count_colour(const image_t *im, uint32_t c, int tol, int x0, int y0, int x1, int y1)
{
    int n = 0;
    for (int y = y0; y < y1 && y < im->h; y++)
        for (int x = x0; x < x1 && x < im->w; x++) {
            uint32_t p = pixel(im, x, y);
            if (abs((int)(p >> 16 & 255) - (int)(c >> 16 & 255)) <= tol &&
                abs((int)(p >> 8 & 255) - (int)(c >> 8 & 255)) <= tol &&
                abs((int)(p & 255) - (int)(c & 255)) <= tol)
                n++;
        }
    return n;
}

/* Pixels darker than luminance lmax (text, ticks) in the rectangle. */
static int count_dark(const image_t *im, double lmax, int x0, int y0, int x1, int y1)
{
    int n = 0;
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < im->h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < im->w; x++)
            n += lum(pixel(im, x, y)) < lmax;
    return n;
}

#define LEGEND_BORDER 0xccccccu /* the legend box's 1 px border */

/* The bounding box (x0, y0, x1, y1, exclusive) of the pixels of exactly
 * colour c in the rectangle; returns their number. */
static int find_box(const image_t *im, uint32_t c, int x0, int y0, int x1, int y1, int box[4])
{
    int n = 0;
    box[0] = x1, box[1] = y1, box[2] = x0, box[3] = y0;
    for (int y = y0; y < y1 && y < im->h; y++)
        for (int x = x0; x < x1 && x < im->w; x++)
            if (pixel(im, x, y) == c) {
                n++;
                box[0] = x < box[0] ? x : box[0];
                box[1] = y < box[1] ? y : box[1];
                box[2] = x + 1 > box[2] ? x + 1 : box[2];
                box[3] = y + 1 > box[3] ? y + 1 : box[3];
            }
    return n;
}

/* A legend in the rectangle: a grey-bordered box holding a line sample of
 * each of the ncol colours and their labels (dark text). */
static void check_legend(const image_t *im, int x0, int y0, int x1, int y1, const uint32_t *col,
                         int ncol, const char *what)
{
    int b[4];
    int nb = find_box(im, LEGEND_BORDER, x0, y0, x1, y1, b);
    CHECK(nb > 150 && b[2] - b[0] > 60 && b[3] - b[1] > 10 * ncol,
          "%s: no legend box (%d border pixels, %dx%d)", what, nb, b[2] - b[0], b[3] - b[1]);
    if (nb <= 150)
        return;
    for (int k = 0; k < ncol; k++) {
        int c = count_colour(im, col[k], 12, b[0] + 2, b[1] + 2, b[2] - 2, b[3] - 2);
        CHECK(c > 20, "%s: legend sample %d (%06x): %d pixels", what, k, col[k], c);
    }
    int d = count_dark(im, 100, b[0] + 2, b[1] + 2, b[2] - 2, b[3] - 2);
    CHECK(d > 60 * ncol, "%s: legend labels: %d dark pixels", what, d);
}

/* Reads path and checks size and that it is not blank. */
static int load_checked(const char *path, int w, int h, image_t *im)
{
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 1000,
          "%s: missing or tiny", path);
    if (read_png(path, im)) {
        CHECK(0, "%s: libpng cannot read it", path);
        return -1;
    }
    CHECK(im->w == w && im->h == h, "%s: %dx%d, expected %dx%d", path, im->w, im->h, w, h);
    int nc = distinct_colours(im);
    CHECK(nc >= 64, "%s: only %d distinct colours (blank?)", path, nc);
    return 0;
}

static int no_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int ok = 1;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 4 && !strcmp(de->d_name + l - 4, ".tmp"))
            ok = 0;
    }
    closedir(d);
    return ok;
}

static const char *keep_dir; /* MSCNN_PLOT_DIR */

static void keep_copy(const char *path, const char *name)
{
    if (!keep_dir)
        return;
    char dst[4096];
    snprintf(dst, sizeof dst, "%s/%s", keep_dir, name);
    FILE *in = fopen(path, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    char buf[65536];
    size_t n;
    while (out && (n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    if (out)
        fclose(out);
    if (in)
        fclose(in);
}

/* ---- history -------------------------------------------------------------- */

#define NE 30

static void make_history(double *ep, double *tl, double *vl, double *ta, double *va, int n,
                         int first, double scale, unsigned seed)
{
    rng_t r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        double t = (double)i / (n > 1 ? n - 1 : 1);
        ep[i] = first + i;
        tl[i] = scale * (0.35 + 1.9 * exp(-4.0 * t)) + 0.015 * rng_normal(&r);
        vl[i] = scale * (0.55 + 1.6 * exp(-3.2 * t) + 0.25 * t * t) + 0.03 * rng_normal(&r);
        ta[i] = 0.93 - 0.6 * exp(-4.0 * t) + 0.004 * rng_normal(&r);
        va[i] = 0.86 - 0.55 * exp(-3.5 * t) - 0.04 * t * t + 0.01 * rng_normal(&r);
    }
}

/* The figure title, and in each panel (quadrant) its title, the y axis
 * label, the tick labels and "Epoch"; a legend with train and val in the
 * upper (with_data) or all panels. */
static void check_history_text(const image_t *im, int with_data)
{
    int W = im->w, H = im->h, top = 48, ph = (H - top) / 2, pw = W / 2;
    CHECK(count_dark(im, 100, W / 2 - 150, 0, W / 2 + 150, top - 8) > 300,
          "history: no figure title");
    for (int q = 0; q < 4; q++) {
        int x0 = (q % 2) * pw, y0 = top + (q / 2) * ph, data = with_data || q < 2;
        char what[32];
        snprintf(what, sizeof what, "history panel %d", q);
        int t = count_dark(im, data ? 100 : 180, x0 + 100, y0, x0 + pw - 40, y0 + 36);
        CHECK(t > 200, "%s: title %d dark pixels", what, t);
        if (!data) {
            int m = count_dark(im, 200, x0 + 150, y0 + 120, x0 + pw - 100, y0 + 230);
            CHECK(m > 150, "%s: 'no data' message: %d pixels", what, m);
            continue;
        }
        int yl = count_dark(im, 100, x0, y0 + 80, x0 + 44, y0 + ph - 80);
        int yt = count_dark(im, 100, x0 + 45, y0 + 40, x0 + 80, y0 + ph - 60);
        int xt = count_dark(im, 100, x0 + 84, y0 + ph - 55, x0 + pw - 24, y0 + ph - 40);
        int xl = count_dark(im, 100, x0 + pw / 2 - 60, y0 + ph - 36, x0 + pw / 2 + 60, y0 + ph);
        CHECK(yl > 30 && yt > 40 && xt > 60 && xl > 40,
              "%s: y label %d, y ticks %d, x ticks %d, 'Epoch' %d dark pixels", what, yl, yt,
              xt, xl);
        uint32_t cols[2] = {PLOT_COLOR_TRAIN, PLOT_COLOR_VAL};
        check_legend(im, x0 + 84, y0 + 40, x0 + pw - 24, y0 + ph - 60, cols, 2, what);
    }
}

static void test_history(const char *dir)
{
    char path[4096];
    err_t e = {{0}};
    image_t im;
    double ep[NE], tl[NE], vl[NE], ta[NE], va[NE];
    double jtl[NE], jvl[NE], jta[NE], jva[NE], jep[NE];
    make_history(ep, tl, vl, ta, va, NE, 1, 1.0, 1);
    make_history(jep, jtl, jvl, jta, jva, NE, 1, 0.4, 2);
    for (int i = 0; i < NE; i++) { /* judges at more than chance, rising slower */
        jta[i] = 0.6 + 0.35 * jta[i];
        jva[i] = 0.6 + 0.33 * jva[i];
    }

    /* full: both stages */
    plot_history_t h = {NE, ep, tl, vl, ta, va, jtl, jvl, jta, jva};
    snprintf(path, sizeof path, "%s/training_history.png", dir);
    CHECK(plot_history(path, &h, &e) == 0, "plot_history: %s", e.msg);
    if (load_checked(path, PLOT_HISTORY_W, PLOT_HISTORY_H, &im) == 0) {
        int W = im.w, H = im.h;
        int t1 = count_colour(&im, PLOT_COLOR_TRAIN, 12, 0, 0, W, H / 2);
        int v1 = count_colour(&im, PLOT_COLOR_VAL, 12, 0, 0, W, H / 2);
        int t2 = count_colour(&im, PLOT_COLOR_TRAIN, 12, 0, H / 2, W, H);
        int v2 = count_colour(&im, PLOT_COLOR_VAL, 12, 0, H / 2, W, H);
        CHECK(t1 > 300 && v1 > 300, "stage 1 series pixels: train %d, val %d", t1, v1);
        CHECK(t2 > 300 && v2 > 300, "stage 2 series pixels: train %d, val %d", t2, v2);
        /* each panel has both series */
        for (int q = 0; q < 4; q++) {
            int x0 = (q % 2) * W / 2, y0 = (q / 2) * H / 2;
            int tq = count_colour(&im, PLOT_COLOR_TRAIN, 12, x0, y0, x0 + W / 2, y0 + H / 2);
            int vq = count_colour(&im, PLOT_COLOR_VAL, 12, x0, y0, x0 + W / 2, y0 + H / 2);
            CHECK(tq > 100 && vq > 100, "panel %d: train %d, val %d pixels", q, tq, vq);
        }
        check_history_text(&im, 1);
        free(im.px);
    }
    keep_copy(path, "history_full.png");

    /* a retrain of the judges from epoch 21 (Stage 1's training loss ends):
     * a dashed, labelled mark in the judges' panels, none in Stage 1's */
    int muted_full[2] = {0, 0};
    if (load_checked(path, PLOT_HISTORY_W, PLOT_HISTORY_H, &im) == 0) {
        muted_full[0] = count_colour(&im, MUTED, 0, 0, 0, im.w, im.h / 2);
        muted_full[1] = count_colour(&im, MUTED, 0, 0, im.h / 2, im.w, im.h);
        free(im.px);
    }
    double rtl[NE], rta[NE];
    for (int i = 0; i < NE; i++) {
        rtl[i] = i < 20 ? tl[i] : NAN;
        rta[i] = i < 20 ? ta[i] : NAN;
    }
    plot_history_t hre = {NE, ep, rtl, vl, rta, va, jtl, jvl, jta, jva};
    snprintf(path, sizeof path, "%s/history_retrain.png", dir);
    CHECK(plot_history(path, &hre, &e) == 0, "plot_history retrain: %s", e.msg);
    if (load_checked(path, PLOT_HISTORY_W, PLOT_HISTORY_H, &im) == 0) {
        int top = count_colour(&im, MUTED, 0, 0, 0, im.w, im.h / 2);
        int bottom = count_colour(&im, MUTED, 0, 0, im.h / 2, im.w, im.h);
        CHECK(bottom > muted_full[1] + 200, "retrain mark: %d muted pixels in the judges' "
                                             "panels, %d without a retrain", bottom,
              muted_full[1]);
        CHECK(top <= muted_full[0] + 20, "no retrain mark in Stage 1's panels (%d vs %d)", top,
              muted_full[0]);
        free(im.px);
    }
    keep_copy(path, "history_retrain.png");

    /* before Stage 2: bottom row has no series, says so */
    plot_history_t h1 = {NE, ep, tl, vl, ta, va, NULL, NULL, NULL, NULL};
    snprintf(path, sizeof path, "%s/history_stage1.png", dir);
    CHECK(plot_history(path, &h1, &e) == 0, "plot_history stage 1 only: %s", e.msg);
    if (load_checked(path, PLOT_HISTORY_W, PLOT_HISTORY_H, &im) == 0) {
        int W = im.w, H = im.h;
        int t1 = count_colour(&im, PLOT_COLOR_TRAIN, 12, 0, 0, W, H / 2);
        int t2 = count_colour(&im, PLOT_COLOR_TRAIN, 40, 0, H / 2 + 20, W, H);
        int v2 = count_colour(&im, PLOT_COLOR_VAL, 40, 0, H / 2 + 20, W, H);
        int grey = count_colour(&im, 0xf6f6f6, 0, 0, H / 2 + 20, W, H);
        CHECK(t1 > 300, "stage 1 train pixels %d", t1);
        CHECK(t2 == 0 && v2 == 0, "bottom row should be empty: train %d, val %d", t2, v2);
        CHECK(grey > 50000, "bottom row 'no data' panels: %d grey pixels", grey);
        check_history_text(&im, 0);
        free(im.px);
    }
    keep_copy(path, "history_stage1_only.png");

    /* resumed at epoch 41, judges only for the last 8 epochs (NaN before),
     * a constant val loss and NaN holes */
    double rep[NE], rjtl[NE], rjvl[NE], rjta[NE], rjva[NE], cst[NE];
    make_history(rep, tl, vl, ta, va, 20, 41, 1.0, 3);
    make_history(rep, rjtl, rjvl, rjta, rjva, 20, 41, 0.5, 4);
    for (int i = 0; i < 20; i++) {
        cst[i] = 0.75;
        if (i < 12)
            rjtl[i] = rjvl[i] = rjta[i] = rjva[i] = NAN;
    }
    va[5] = va[6] = NAN;
    tl[9] = INFINITY;
    plot_history_t hr = {20, rep, tl, cst, ta, va, rjtl, rjvl, rjta, rjva};
    snprintf(path, sizeof path, "%s/history_resumed.png", dir);
    CHECK(plot_history(path, &hr, &e) == 0, "plot_history resumed: %s", e.msg);
    if (load_checked(path, PLOT_HISTORY_W, PLOT_HISTORY_H, &im) == 0) {
        int v2 = count_colour(&im, PLOT_COLOR_VAL, 12, 0, im.h / 2, im.w, im.h);
        CHECK(v2 > 100, "resumed judges val pixels %d", v2);
        free(im.px);
    }
    keep_copy(path, "history_resumed.png");

    /* one epoch only, epochs implied (NULL -> 1..n) */
    double one_tl = 2.1, one_vl = 1.9, one_ta = 0.28, one_va = 0.31;
    plot_history_t ho = {1, NULL, &one_tl, &one_vl, &one_ta, &one_va, NULL, NULL, NULL, NULL};
    snprintf(path, sizeof path, "%s/history_one.png", dir);
    CHECK(plot_history(path, &ho, &e) == 0, "plot_history one epoch: %s", e.msg);
    if (load_checked(path, PLOT_HISTORY_W, PLOT_HISTORY_H, &im) == 0) {
        int t1 = count_colour(&im, PLOT_COLOR_TRAIN, 12, 0, 0, im.w, im.h / 2);
        CHECK(t1 > 40, "one-epoch train marker pixels %d", t1);
        free(im.px);
    }
    keep_copy(path, "history_one_epoch.png");

    /* nothing at all */
    plot_history_t h0 = {0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    snprintf(path, sizeof path, "%s/history_empty.png", dir);
    CHECK(plot_history(path, &h0, &e) == 0, "plot_history empty: %s", e.msg);
    if (read_png(path, &im) == 0) {
        CHECK(im.w == PLOT_HISTORY_W && im.h == PLOT_HISTORY_H, "empty history size");
        free(im.px);
    }
}

/* ---- confusion ------------------------------------------------------------ */

static char *cifar_names[] = {"airplane", "automobile", "bird", "cat", "deer", "dog",
                              "frog", "horse", "ship", "truck", "OTHER"};

/* Checks cell (i, j) is dark (dark != 0) or light. */
static void check_cell(const image_t *im, const plot_grid_t *g, int i, int j, int dark,
                       const char *what)
{
    /* a point near the cell's top-left corner, away from the printed count */
    int x = (int)(g->x + (j + 0.2) * g->cell), y = (int)(g->y + (i + 0.2) * g->cell);
    if (x < 0 || y < 0 || x >= im->w || y >= im->h) {
        CHECK(0, "%s: cell (%d,%d) outside the image", what, i, j);
        return;
    }
    double L = lum(pixel(im, x, y));
    if (dark)
        CHECK(L < 90, "%s: cell (%d,%d) at (%d,%d) should be dark, luminance %.0f", what, i, j,
              x, y, L);
    else
        CHECK(L > 225, "%s: cell (%d,%d) at (%d,%d) should be light, luminance %.0f", what, i,
              j, x, y, L);
}

/* Pixels of luminance in [lo, hi) in the middle of cell (i, j), where its
 * count is printed. */
static int cell_text(const image_t *im, const plot_grid_t *g, int i, int j, double lo,
                     double hi)
{
    int x0 = (int)(g->x + (j + 0.2) * g->cell), x1 = (int)(g->x + (j + 0.8) * g->cell);
    int y0 = (int)(g->y + (i + 0.3) * g->cell), y1 = (int)(g->y + (i + 0.7) * g->cell);
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            double L = lum(pixel(im, x, y));
            n += L >= lo && L < hi;
        }
    return n;
}

/* The title above the matrix, a label beside every row and under every
 * column, and the colourbar (dark at the top, light at the bottom, with
 * tick labels) right of it. */
static void check_confusion_text(const image_t *im, const plot_grid_t *g, int n,
                                 const char *what)
{
    int mx = (int)g->x, my = (int)g->y, side = (int)(n * g->cell), cell = (int)g->cell;
    CHECK(count_dark(im, 100, mx, my - 50, mx + side, my - 8) > 300, "%s: no title", what);
    for (int i = 0; i < n; i++) {
        int rl = count_dark(im, 100, 0, my + i * cell + 1, mx - 8, my + (i + 1) * cell - 1);
        int cl = count_dark(im, 100, mx + i * cell + 1, my + side + 8, mx + (i + 1) * cell - 1,
                            my + side + 24);
        CHECK(rl > 15 && cl > 5, "%s: class %d labels: row %d, column %d dark pixels", what, i,
              rl, cl);
    }
    int top = count_dark(im, 90, mx + side + 5, my + 2, im->w, my + 6);
    int bottom = count_colour(im, 0xf7fbff, 2, mx + side + 5, my + side - 6, im->w,
                              my + side - 2);
    int ticks = count_dark(im, 100, mx + side + 50, my - 8, im->w, my + side + 8);
    CHECK(top > 20 && bottom > 20 && ticks > 100,
          "%s: colourbar: %d dark top, %d light bottom, %d tick label pixels", what, top,
          bottom, ticks);
}

static void test_confusion(const char *dir)
{
    char path[4096];
    err_t e = {{0}};
    image_t im;
    plot_grid_t g;
    rng_t r;
    rng_seed(&r, 7);

    /* CIFAR-10 + OTHER; horse (7) is mostly predicted as bird (2) */
    int n = 11;
    int64_t m[11 * 11];
    for (int i = 0; i < n; i++) {
        int total = i == 10 ? 500 : 1000, left = total;
        for (int j = 0; j < n; j++) {
            int64_t v = j == i ? 0 : (int64_t)rng_below(&r, 12);
            if (j == 10 && i != 10)
                v = 5 + rng_below(&r, 30);
            m[i * n + j] = v;
            left -= (int)v;
        }
        m[i * n + i] = left;
    }
    m[3 * n + 5] += 130; /* cat -> dog */
    m[3 * n + 3] -= 130;
    int64_t moved = m[7 * n + 7] - 40;
    m[7 * n + 2] += moved;
    m[7 * n + 7] = 40;
    snprintf(path, sizeof path, "%s/confusion_matrix.png", dir);
    CHECK(plot_confusion(path, n, m, cifar_names, "Stage 1 confusion (test, 10,500 images)",
                         &e) == 0,
          "plot_confusion: %s", e.msg);
    CHECK(plot_confusion_layout(n, cifar_names, NULL, &g, &e) == 0, "layout: %s", e.msg);
    CHECK(g.cell >= 40, "n = 11 cells should be large, got %.1f px", g.cell);
    CHECK(g.x >= 0 && g.y >= 0 && g.x + n * g.cell <= PLOT_CONFUSION_W &&
              g.y + n * g.cell <= PLOT_CONFUSION_H,
          "matrix inside the image");
    if (load_checked(path, PLOT_CONFUSION_W, PLOT_CONFUSION_H, &im) == 0) {
        check_cell(&im, &g, 7, 2, 1, "n=11 big off-diagonal count");
        check_cell(&im, &g, 0, 0, 1, "n=11 diagonal");
        check_cell(&im, &g, 7, 7, 0, "n=11 small diagonal");
        check_cell(&im, &g, 0, 9, 0, "n=11 small count");
        check_confusion_text(&im, &g, n, "n=11");
        /* counts: dark on light cells, white on dark ones, grey for 0 */
        CHECK(cell_text(&im, &g, 0, 9, 0, 100) > 10, "n=11: no count in cell (0,9)");
        CHECK(cell_text(&im, &g, 7, 2, 230, 256) > 10, "n=11: no white count in cell (7,2)");
        int zi = -1;
        for (int k = 0; k < n * n && zi < 0; k++)
            if (m[k] == 0)
                zi = k;
        CHECK(zi >= 0 && cell_text(&im, &g, zi / n, zi % n, 0, 200) > 10,
              "n=11: no grey 0 in cell %d", zi);
        free(im.px);
    }
    keep_copy(path, "confusion_11.png");

    /* all zero: renders, every cell light */
    int64_t z[11 * 11] = {0};
    snprintf(path, sizeof path, "%s/confusion_zero.png", dir);
    CHECK(plot_confusion(path, n, z, cifar_names, NULL, &e) == 0, "zero matrix: %s", e.msg);
    if (load_checked(path, PLOT_CONFUSION_W, PLOT_CONFUSION_H, &im) == 0) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                check_cell(&im, &g, i, j, 0, "zero matrix");
                CHECK(cell_text(&im, &g, i, j, 0, 200) > 10, "zero matrix: no 0 in (%d,%d)",
                      i, j);
            }
        free(im.px);
    }
    keep_copy(path, "confusion_zero.png");

    /* 21 classes (CIFAR-100 superclasses + OTHER), no names given */
    int n2 = 21;
    int64_t *m2 = xcalloc((size_t)n2 * n2, sizeof *m2);
    char *names2[21] = {"aquatic mammals", "fish", "flowers", "food containers",
                        "fruit and vegetables", "household electrical devices",
                        "household furniture", "insects", "large carnivores",
                        "large man-made outdoor things", "large natural outdoor scenes",
                        "large omnivores and herbivores", "medium-sized mammals",
                        "non-insect invertebrates", "people", "reptiles", "small mammals",
                        "trees", "vehicles 1", "vehicles 2", "OTHER"};
    for (int i = 0; i < n2; i++)
        for (int j = 0; j < n2; j++)
            m2[i * n2 + j] = i == j ? 300 + rng_below(&r, 200) : rng_below(&r, 40);
    m2[4 * n2 + 17] = 2000;
    snprintf(path, sizeof path, "%s/confusion_21.png", dir);
    CHECK(plot_confusion(path, n2, m2, names2, "CIFAR-100 superclasses", &e) == 0,
          "n = 21: %s", e.msg);
    CHECK(plot_confusion_layout(n2, names2, NULL, &g, &e) == 0, "layout 21: %s", e.msg);
    if (load_checked(path, PLOT_CONFUSION_W, PLOT_CONFUSION_H, &im) == 0) {
        check_cell(&im, &g, 4, 17, 1, "n=21 big count");
        check_cell(&im, &g, 17, 4, 0, "n=21 small count");
        check_confusion_text(&im, &g, n2, "n=21");
        free(im.px);
    }
    keep_copy(path, "confusion_21.png");
    snprintf(path, sizeof path, "%s/confusion_21_numbered.png", dir);
    CHECK(plot_confusion(path, n2, m2, NULL, NULL, &e) == 0, "n = 21 unnamed: %s", e.msg);
    free(m2);

    /* 101 classes: colours only */
    int n3 = 101;
    int64_t *m3 = xcalloc((size_t)n3 * n3, sizeof *m3);
    char *names3[101];
    char namebuf[101][24];
    for (int i = 0; i < n3; i++) {
        snprintf(namebuf[i], sizeof namebuf[i], i == 100 ? "OTHER" : "class_%02d", i);
        names3[i] = namebuf[i];
        for (int j = 0; j < n3; j++)
            m3[i * n3 + j] = i == j ? 60 + rng_below(&r, 30) : rng_below(&r, 3);
    }
    m3[50 * n3 + 3] = 900;
    snprintf(path, sizeof path, "%s/confusion_101.png", dir);
    CHECK(plot_confusion(path, n3, m3, names3, "CIFAR-100 + OTHER", &e) == 0, "n = 101: %s",
          e.msg);
    CHECK(plot_confusion_layout(n3, names3, NULL, &g, &e) == 0, "layout 101: %s", e.msg);
    CHECK(g.cell >= 4, "n = 101 cells %.1f px", g.cell);
    if (load_checked(path, PLOT_CONFUSION_W, PLOT_CONFUSION_H, &im) == 0) {
        int x = (int)(g.x + 3.5 * g.cell), y = (int)(g.y + 50.5 * g.cell);
        CHECK(lum(pixel(&im, x, y)) < 90, "n=101 big count cell (50,3) dark: %.0f",
              lum(pixel(&im, x, y)));
        /* colours only: the dark cell holds no printed count */
        int x0 = (int)ceil(g.x + 3 * g.cell) + 1, y0 = (int)ceil(g.y + 50 * g.cell) + 1;
        int x1 = (int)floor(g.x + 4 * g.cell) - 1, y1 = (int)floor(g.y + 51 * g.cell) - 1;
        uint32_t c0 = pixel(&im, x0, y0);
        CHECK(count_colour(&im, c0, 2, x0, y0, x1, y1) == (x1 - x0) * (y1 - y0),
              "n=101: cell (50,3) should be one flat colour (no count printed)");
        x = (int)(g.x + 50.5 * g.cell);
        CHECK(lum(pixel(&im, x, y)) > 200, "n=101 diagonal (50,50) now light: %.0f",
              lum(pixel(&im, x, y)));
        free(im.px);
    }
    keep_copy(path, "confusion_101.png");
    free(m3);

    /* invalid input */
    int64_t neg[4] = {1, -1, 0, 2};
    snprintf(path, sizeof path, "%s/bad.png", dir);
    CHECK(plot_confusion(path, 2, neg, NULL, NULL, &e) == -1 && strstr(e.msg, path),
          "negative count: %s", e.msg);
    CHECK(plot_confusion(path, 0, neg, NULL, NULL, &e) == -1, "n = 0 accepted");
    CHECK(access(path, F_OK) != 0, "bad.png written anyway");
}

/* ---- risk-coverage -------------------------------------------------------- */

/* Rows of the rectangle that hold a dark pixel. */
static int dark_rows(const image_t *im, int x0, int y0, int x1, int y1)
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        n += count_dark(im, 100, x0, y, x1, y + 1) > 0;
    return n;
}

/* The title, tick labels on both axes and both axis labels (the y label
 * is the one text left of the plot area spanning many rows). */
static void check_risk_text(const image_t *im, const char *what)
{
    int W = im->w, H = im->h;
    int title = count_dark(im, 100, W / 2 - 150, 0, W / 2 + 150, 56);
    int xt = count_dark(im, 100, 96, H - 74, W - 36, H - 54);
    int xl = count_dark(im, 100, W / 2 - 200, H - 50, W / 2 + 200, H);
    int yt = count_dark(im, 100, 60, 64, 92, H - 78);
    int yl = dark_rows(im, 0, 100, 92, H - 100);
    CHECK(title > 300 && xt > 200 && xl > 200 && yt > 100 && yl > 150,
          "%s: title %d, x ticks %d, x label %d, y ticks %d, y label %d dark pixels", what,
          title, xt, xl, yt, yl);
}

/* Dark pixels inside the plot area (curves are coloured, not dark: this
 * counts the notes and legend text). */
static int risk_area_dark(const image_t *im)
{
    return count_dark(im, 100, 100, 68, im->w - 40, im->h - 82);
}

static void test_risk(const char *dir)
{
    char path[4096];
    err_t e = {{0}};
    image_t im;
    int dark_marked = 0;
    enum { NP = 201 };
    static double cov[NP], rj[NP], rs[NP], ro[NP];
    for (int i = 0; i < NP; i++) {
        double c = i / (double)(NP - 1);
        cov[i] = c;
        rj[i] = 0.02 + 0.11 * pow(c, 2.2) + 0.004 * sin(40 * c);
        rs[i] = 0.04 + 0.10 * pow(c, 1.6) + 0.005 * sin(31 * c);
        ro[i] = c < 0.87 ? 0 : 0.13 * (c - 0.87) / c;
    }
    rj[0] = NAN;
    plot_curve_t cv[3] = {
        {"judge (AURC 41.2)", NP, cov, rj, 1, 0.80, 0.02 + 0.11 * pow(0.8, 2.2), "tau = 0.62"},
        {"max softmax (AURC 74.9)", NP, cov, rs, 1, 0.80, 0.04 + 0.10 * pow(0.8, 1.6),
         "tau = 0.71"},
        {"oracle (AURC 8.6)", NP, cov, ro, 0, 0, 0, NULL},
    };
    snprintf(path, sizeof path, "%s/risk_coverage.png", dir);
    CHECK(plot_risk_coverage(path, cv, 3, "Risk-coverage (test set)", &e) == 0,
          "plot_risk_coverage: %s", e.msg);
    if (load_checked(path, PLOT_RISK_W, PLOT_RISK_H, &im) == 0) {
        uint32_t pal[PLOT_PALETTE_N] = PLOT_PALETTE;
        for (int k = 0; k < 3; k++) {
            int c = count_colour(&im, pal[k], 12, 90, 60, im.w, im.h - 70);
            CHECK(c > 300, "curve %d colour %06x: %d pixels", k, pal[k], c);
        }
        check_risk_text(&im, "risk");
        check_legend(&im, 96, 64, im.w - 36, im.h - 78, pal, 3, "risk");
        dark_marked = risk_area_dark(&im);
        free(im.px);
    }
    keep_copy(path, "risk_coverage.png");

    /* the same without the marked points: their notes go */
    cv[0].has_marker = cv[1].has_marker = 0;
    snprintf(path, sizeof path, "%s/risk_unmarked.png", dir);
    CHECK(plot_risk_coverage(path, cv, 3, "Risk-coverage (test set)", &e) == 0,
          "unmarked: %s", e.msg);
    if (load_checked(path, PLOT_RISK_W, PLOT_RISK_H, &im) == 0) {
        int d = risk_area_dark(&im);
        CHECK(dark_marked - d > 400, "notes of the marked points: %d dark pixels with, %d without",
              dark_marked, d);
        free(im.px);
    }

    /* a single curve of a few points, no label, marker without label */
    double c4[4] = {1.0, 0.25, 0.5, 0.75}, r4[4] = {0.2, 0.05, 0.08, 0.12};
    plot_curve_t one = {NULL, 4, c4, r4, 1, 0.5, 0.08, NULL};
    snprintf(path, sizeof path, "%s/risk_one.png", dir);
    CHECK(plot_risk_coverage(path, &one, 1, NULL, &e) == 0, "one curve: %s", e.msg);
    if (load_checked(path, PLOT_RISK_W, PLOT_RISK_H, &im) == 0)
        free(im.px);
    keep_copy(path, "risk_one_curve.png");

    /* no curves: empty axes */
    snprintf(path, sizeof path, "%s/risk_none.png", dir);
    CHECK(plot_risk_coverage(path, NULL, 0, NULL, &e) == 0, "no curves: %s", e.msg);
    if (read_png(path, &im) == 0) {
        CHECK(im.w == PLOT_RISK_W && im.h == PLOT_RISK_H, "empty risk size");
        int W = im.w, H = im.h, b[4];
        check_risk_text(&im, "risk, no curves");
        CHECK(count_dark(&im, 200, W / 2 - 100, H / 2 - 40, W / 2 + 100, H / 2 + 30) > 100,
              "no curves: no 'no data' message");
        int nb = find_box(&im, LEGEND_BORDER, 96, 64, W - 36, H - 78, b);
        CHECK(nb < 60, "no curves: a legend was drawn (%d border pixels)", nb);
        free(im.px);
    }
}

/* ---- errors ---------------------------------------------------------------- */

/* Figure k (0 history, 1 confusion, 2 risk-coverage) of a small valid input
 * into path. */
static int plot_any(int k, const char *path, err_t *e)
{
    static double v[2] = {1, 0.5}, c[2] = {0.5, 1}, rr[2] = {0.1, 0.2};
    static int64_t m[4] = {3, 1, 0, 4};
    plot_history_t h = {2, NULL, v, v, v, v, NULL, NULL, NULL, NULL};
    plot_curve_t cv = {"x", 2, c, rr, 0, 0, 0, NULL};
    e->msg[0] = 0;
    if (k == 0)
        return plot_history(path, &h, e);
    if (k == 1)
        return plot_confusion(path, 2, m, NULL, NULL, e);
    return plot_risk_coverage(path, &cv, 1, NULL, e);
}

static void test_errors(const char *dir)
{
    static const char *const fig[3] = {"plot_history", "plot_confusion", "plot_risk_coverage"};
    char path[4096], tmp[4200];
    err_t e = {{0}};

    /* a directory that does not exist: the message names the file and why */
    snprintf(path, sizeof path, "%s/no/such/dir/plot.png", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    for (int k = 0; k < 3; k++) {
        CHECK(plot_any(k, path, &e) == -1, "%s into a missing directory", fig[k]);
        CHECK(strstr(e.msg, path) && strstr(e.msg, "cannot create") &&
                  strstr(e.msg, "No such file or directory"),
              "%s: error should name the file and the problem: '%s'", fig[k], e.msg);
        CHECK(access(tmp, F_OK) != 0, "stray %s", tmp);
    }
    printf("  expected error: %s\n", e.msg);

    /* the target is a directory: the rename fails, the .tmp must go */
    snprintf(path, sizeof path, "%s/adir", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(mkdir(path, 0777) == 0, "mkdir %s", path);
    for (int k = 0; k < 3; k++) {
        CHECK(plot_any(k, path, &e) == -1 && strstr(e.msg, path) &&
                  strstr(e.msg, "cannot rename"),
              "%s onto a directory: '%s'", fig[k], e.msg);
        CHECK(access(tmp, F_OK) != 0, "%s: stray %s after a failed rename", fig[k], tmp);
    }
    printf("  expected error: %s\n", e.msg);
    rmdir(path);

    /* no file name: the message names the function */
    for (int k = 0; k < 3; k++) {
        CHECK(plot_any(k, NULL, &e) == -1 && strstr(e.msg, fig[k]) &&
                  strstr(e.msg, "no output file name"),
              "%s: NULL path: '%s'", fig[k], e.msg);
        CHECK(plot_any(k, "", &e) == -1 && strstr(e.msg, fig[k]), "%s: empty path: '%s'",
              fig[k], e.msg);
    }

    /* invalid input: the message names the file, nothing is written */
    snprintf(path, sizeof path, "%s/x.png", dir);
    CHECK(plot_history(path, NULL, &e) == -1 && strstr(e.msg, path), "NULL history: %s", e.msg);
    plot_curve_t bad = {"bad", 3, NULL, NULL, 0, 0, 0, NULL};
    CHECK(plot_risk_coverage(path, &bad, 1, NULL, &e) == -1 && strstr(e.msg, path),
          "curve without arrays: %s", e.msg);
    CHECK(plot_risk_coverage(path, NULL, 2, NULL, &e) == -1 && strstr(e.msg, path),
          "curves NULL: %s", e.msg);
    CHECK(access(path, F_OK) != 0, "x.png written anyway");
}

int main(void)
{
    char dir[] = "/tmp/mscnn_test_plot_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    keep_dir = getenv("MSCNN_PLOT_DIR");
    if (keep_dir && !*keep_dir)
        keep_dir = NULL;
    if (keep_dir) {
        err_t e;
        if (mkdir_p(keep_dir, &e)) {
            fprintf(stderr, "%s\n", e.msg);
            keep_dir = NULL;
        }
    }
    test_history(dir);
    test_confusion(dir);
    test_risk(dir);
    test_errors(dir);
    CHECK(no_tmp_files(dir), "a .tmp file was left in %s", dir);
    remove_tree(dir);
    return check_done("test_plot");
}

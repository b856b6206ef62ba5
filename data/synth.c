/* synth.c - a generated, deterministic, learnable 10-class image set.
 *
 * Each class is a shape pattern (stripes in three orientations, disc, ring,
 * cross, checkerboard, gradient, square, dots) drawn in a foreground colour
 * over a random background colour. The foreground colour is a class base
 * colour plus a large random per-image shift, the background is random, the
 * pattern has random position / phase / size, and every pixel gets noise:
 * the shape is what identifies the class, the mean colour only weakly.
 *
 * Train and test come from two independent rng streams derived from the
 * seed, so the test set does not depend on ntrain (and vice versa). Labels
 * are balanced (image i of the unshuffled set has label i % 10) and then
 * put in a seeded random order.
 */
#include "data/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_K 10
#define S_H 32
#define S_W 32
#define S_PLANE (S_H * S_W)
#define S_IMG (3 * S_PLANE)

static const char *const synth_names[S_K] = {
    "stripes_h", "stripes_v", "stripes_diag", "disc", "ring",
    "cross", "checker", "gradient", "square", "dots",
};

/* class base colours (R, G, B): distinct hues, moderate saturation */
static const float base_rgb[S_K][3] = {
    {200, 80, 80},  {80, 200, 80},  {80, 80, 200},  {200, 200, 80}, {200, 80, 200},
    {80, 200, 200}, {220, 150, 70}, {150, 70, 220}, {70, 220, 150}, {160, 160, 160},
};

#define COLOUR_SHIFT 45.0f /* per-image, per-channel std of the colour shift */
#define NOISE_STD 14.0f    /* pixel noise std */
#define TWO_PI 6.28318530717958647692f

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* soft edge: 1 inside (d < 0), 0 outside, linear over one pixel */
static float edge(float d) { return clampf(0.5f - d, 0.0f, 1.0f); }

/* stripes: a sine thresholded softly (sharp but anti-aliased) */
static float stripe(float t) { return clampf(0.5f + 2.0f * t, 0.0f, 1.0f); }

/* The placement every mask draws first, in this order: centre (cx, cy),
 * phase and a size parameter u in [0, 1). A mask that needs more draws
 * takes them from the rng after these. */
typedef struct {
    float cx, cy, phase, u;
} place_t;

/* classes 0, 1, 2: horizontal, vertical or diagonal stripes */
static void mask_stripes(int cls, const place_t *p, float *m)
{
    float period = 6.0f + 3.0f * p->u;
    float f = TWO_PI / period;
    for (int y = 0; y < S_H; y++)
        for (int x = 0; x < S_W; x++) {
            float t = cls == 0 ? (float)y : cls == 1 ? (float)x : (x + y) * 0.70710678f;
            m[y * S_W + x] = stripe(sinf(f * t + p->phase));
        }
}

/* class 3: filled disc */
static void mask_disc(const place_t *p, float *m)
{
    float rad = 6.0f + 4.0f * p->u;
    for (int y = 0; y < S_H; y++)
        for (int x = 0; x < S_W; x++) {
            float d = hypotf(x - p->cx, y - p->cy);
            m[y * S_W + x] = edge(d - rad);
        }
}

/* class 4: ring */
static void mask_ring(const place_t *p, rng_t *r, float *m)
{
    float rad = 7.0f + 4.0f * p->u;
    float half = 1.3f + 0.8f * rng_uniform(r);
    for (int y = 0; y < S_H; y++)
        for (int x = 0; x < S_W; x++) {
            float d = hypotf(x - p->cx, y - p->cy);
            m[y * S_W + x] = edge(fabsf(d - rad) - half);
        }
}

/* class 5: plus-shaped cross */
static void mask_cross(const place_t *p, rng_t *r, float *m)
{
    float half = 1.5f + 1.5f * p->u;
    float arm = 9.0f + 4.0f * rng_uniform(r);
    for (int y = 0; y < S_H; y++)
        for (int x = 0; x < S_W; x++) {
            float ax = fabsf(x - p->cx), ay = fabsf(y - p->cy);
            float h = fmaxf(ay - half, ax - arm); /* horizontal bar */
            float v = fmaxf(ax - half, ay - arm); /* vertical bar */
            m[y * S_W + x] = edge(fminf(h, v));
        }
}

/* class 6: checkerboard */
static void mask_checker(const place_t *p, rng_t *r, float *m)
{
    int cell = 4 + (int)(p->u * 3.0f); /* 4..6 */
    int px = (int)rng_below(r, (uint32_t)cell), py = (int)rng_below(r, (uint32_t)cell);
    for (int y = 0; y < S_H; y++)
        for (int x = 0; x < S_W; x++)
            m[y * S_W + x] = (float)((((x + px) / cell) + ((y + py) / cell)) & 1);
}

/* class 7: linear gradient in a random direction */
static void mask_gradient(const place_t *p, float *m)
{
    float c = cosf(p->phase), s = sinf(p->phase);
    float len = 12.0f + 8.0f * p->u;
    for (int y = 0; y < S_H; y++)
        for (int x = 0; x < S_W; x++) {
            float t = ((x - 15.5f) * c + (y - 15.5f) * s) / len;
            m[y * S_W + x] = clampf(0.5f + 0.5f * t, 0.0f, 1.0f);
        }
}

/* class 8: filled axis-aligned square */
static void mask_square(const place_t *p, float *m)
{
    float half = 5.0f + 4.0f * p->u;
    for (int y = 0; y < S_H; y++)
        for (int x = 0; x < S_W; x++) {
            float d = fmaxf(fabsf(x - p->cx), fabsf(y - p->cy));
            m[y * S_W + x] = edge(d - half);
        }
}

/* class 9: polka dots on a grid */
static void mask_dots(const place_t *p, rng_t *r, float *m)
{
    float period = 7.0f + 3.0f * p->u;
    float rad = 1.6f + 1.0f * rng_uniform(r);
    float ox = rng_uniform(r) * period, oy = rng_uniform(r) * period;
    for (int y = 0; y < S_H; y++)
        for (int x = 0; x < S_W; x++) {
            float fx = fmodf(x + ox, period) - 0.5f * period;
            float fy = fmodf(y + oy, period) - 0.5f * period;
            m[y * S_W + x] = edge(hypotf(fx, fy) - rad);
        }
}

/* The shape mask of class cls (0 background .. 1 foreground) into m. */
static void draw_mask(int cls, rng_t *r, float *m)
{
    place_t p;
    p.cx = 15.5f + (rng_uniform(r) * 2.0f - 1.0f) * 5.0f;
    p.cy = 15.5f + (rng_uniform(r) * 2.0f - 1.0f) * 5.0f;
    p.phase = rng_uniform(r) * TWO_PI;
    p.u = rng_uniform(r);
    switch (cls) {
    case 0:
    case 1:
    case 2: mask_stripes(cls, &p, m); break;
    case 3: mask_disc(&p, m); break;
    case 4: mask_ring(&p, r, m); break;
    case 5: mask_cross(&p, r, m); break;
    case 6: mask_checker(&p, r, m); break;
    case 7: mask_gradient(&p, m); break;
    case 8: mask_square(&p, m); break;
    default: mask_dots(&p, r, m); break;
    }
}

/* approximately normal noise from 4 bytes (Irwin-Hall), std 1 */
static float noise_from(uint32_t v)
{
    int s = (int)(v & 255) + (int)((v >> 8) & 255) + (int)((v >> 16) & 255) + (int)(v >> 24);
    return (float)(s - 510) * (1.0f / 147.80f);
}

static void make_image(int cls, rng_t *r, uint8_t *px)
{
    float fg[3], bg[3], m[S_PLANE];
    for (int c = 0; c < 3; c++)
        fg[c] = clampf(base_rgb[cls][c] + COLOUR_SHIFT * rng_normal(r), 0.0f, 255.0f);
    /* random background far enough from the foreground to show the shape */
    int tries = 0;
    for (;;) {
        float dist = 0.0f;
        for (int c = 0; c < 3; c++) {
            bg[c] = 255.0f * rng_uniform(r);
            dist += fabsf(bg[c] - fg[c]);
        }
        if (dist >= 150.0f)
            break;
        if (++tries == 16) {
            for (int c = 0; c < 3; c++)
                bg[c] = 255.0f - fg[c];
            break;
        }
    }
    draw_mask(cls, r, m);
    /* one 64-bit draw gives the noise of two pixels */
    for (int c = 0; c < 3; c++) {
        uint8_t *p = px + c * S_PLANE;
        for (int j = 0; j < S_PLANE; j += 2) {
            uint64_t bits = rng_next(r);
            for (int q = 0; q < 2; q++) {
                float v = bg[c] + m[j + q] * (fg[c] - bg[c]) +
                          NOISE_STD * noise_from((uint32_t)(bits >> (32 * q)));
                p[j + q] = (uint8_t)lrintf(clampf(v, 0.0f, 255.0f));
            }
        }
    }
}

static void make_set(int n, uint64_t seed, dataset_t *d)
{
    if (n < 0)
        n = 0;
    memset(d, 0, sizeof *d);
    d->n = n;
    d->c = 3;
    d->h = S_H;
    d->w = S_W;
    d->k = S_K;
    d->pixels = xmalloc((size_t)n * S_IMG);
    d->labels = xmalloc((size_t)(n > 0 ? n : 1));
    d->class_names = xcalloc(S_K, sizeof *d->class_names);
    for (int i = 0; i < S_K; i++)
        d->class_names[i] = xstrdup(synth_names[i]);

    rng_t r;
    rng_seed(&r, seed);
    int *lab = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *lab);
    for (int i = 0; i < n; i++)
        lab[i] = i % S_K;
    rng_shuffle(&r, lab, n);
    for (int i = 0; i < n; i++) {
        d->labels[i] = (uint8_t)lab[i];
        make_image(lab[i], &r, d->pixels + (size_t)i * S_IMG);
    }
    free(lab);
}

void synth_make(int ntrain, int ntest, uint64_t seed, dataset_t *train, dataset_t *test)
{
    /* two independent streams: test does not depend on ntrain */
    make_set(ntrain, seed ^ 0x7261696e5eedULL, train);
    make_set(ntest, seed ^ 0x746573745eedULL, test);
}

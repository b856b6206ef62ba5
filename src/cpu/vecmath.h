/* cpu/vecmath.h - 8-wide float vectors (GCC vector extensions) and the GELU
 * math of the fast CPU backend, branch-free so that it vectorises.
 *
 * The kernels that use these are compiled twice through target_clones
 * (x86-64-v3, i.e. AVX2 and FMA, and baseline x86-64) and picked by CPU
 * features at load time, so the same code runs as one AVX2 instruction per
 * operation or as two SSE ones.
 *
 * Accuracy: v8_erf is the rational approximation used by Eigen and XLA
 * (absolute error below 4e-7 over the reals), v8_exp a Cephes-style
 * polynomial (relative error below 2e-7 on [-87, 88]); the reference
 * backend uses libm in double.
 *
 * The helpers pass 32-byte vectors by value; they are static, inlined and
 * never cross a library boundary, so GCC's note that this ABI differs
 * without AVX does not apply (the build passes -Wno-psabi).
 */
#ifndef MSCNN_CPU_MATH_H
#define MSCNN_CPU_MATH_H

#include <stdint.h>
#include <string.h>

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

#define V8 8

/* The kernels built twice (see above). clang rejects, as an ABI error,
 * the AVX2 copy passing these 32-byte vectors to the helpers below, which
 * it compiles for the baseline target only; a clang build therefore has
 * the baseline copy alone (correct everywhere, a little slower), and GCC
 * builds keep both. */
#if defined(__clang__)
#define CLONES
#else
#define CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif

/* The even and odd lanes of the 16 floats of a, b: GCC's __builtin_shuffle,
 * clang's __builtin_shufflevector (constant indices). */
#if defined(__clang__)
#define V8_EVEN(a, b) __builtin_shufflevector((a), (b), 0, 2, 4, 6, 8, 10, 12, 14)
#define V8_ODD(a, b) __builtin_shufflevector((a), (b), 1, 3, 5, 7, 9, 11, 13, 15)
#else
#define V8_EVEN(a, b) __builtin_shuffle((a), (b), (v8i){0, 2, 4, 6, 8, 10, 12, 14})
#define V8_ODD(a, b) __builtin_shuffle((a), (b), (v8i){1, 3, 5, 7, 9, 11, 13, 15})
#endif
#define SQRT1_2F 0.70710678118654752440f    /* 1 / sqrt(2) */
#define INV_SQRT_2PIF 0.39894228040143267794f /* 1 / sqrt(2 pi) */

static inline v8f v8_load(const float *p)
{
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void v8_store(float *p, v8f v) { memcpy(p, &v, sizeof v); }

static inline v8f v8_set(float a) { return (v8f){a, a, a, a, a, a, a, a}; }

/* first len (< 8) floats of p, zero-padded */
static inline v8f v8_load_part(const float *p, int len)
{
    float t[V8] = {0};
    memcpy(t, p, (size_t)len * sizeof(float));
    return v8_load(t);
}

static inline void v8_store_part(float *p, v8f v, int len)
{
    float t[V8];
    v8_store(t, v);
    memcpy(p, t, (size_t)len * sizeof(float));
}

/* mask ? a : b, mask lanes all-ones or zero */
static inline v8f v8_select(v8i mask, v8f a, v8f b)
{
    return (v8f)((mask & (v8i)a) | (~mask & (v8i)b));
}

static inline v8f v8_min(v8f a, v8f b) { return v8_select(a < b, a, b); }
static inline v8f v8_max(v8f a, v8f b) { return v8_select(a > b, a, b); }

static inline float v8_hsum(v8f v)
{
    return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

/* erf(x): x * P(x^2) / Q(x^2) on x clamped to [-4, 4] */
static inline v8f v8_erf(v8f x)
{
    x = v8_min(v8_max(x, v8_set(-4.0f)), v8_set(4.0f));
    v8f x2 = x * x;
    v8f p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
    p = p * x2 + -2.10102402082508e-06f;
    p = p * x2 + -5.69250639462346e-05f;
    p = p * x2 + -7.34990630326855e-04f;
    p = p * x2 + -2.95459980854025e-03f;
    p = p * x2 + -1.60960333262415e-02f;
    p = p * x;
    v8f q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
    q = q * x2 + -1.68282697438203e-03f;
    q = q * x2 + -7.37332916720468e-03f;
    q = q * x2 + -1.42647390514189e-02f;
    return p / q;
}

/* exp(x) for x in [-87, 88] (clamped): 2^k * e^r, |r| <= ln2 / 2 */
static inline v8f v8_exp(v8f x)
{
    const float round_magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    x = v8_min(v8_max(x, v8_set(-87.0f)), v8_set(88.0f));
    v8f k = (x * 1.44269504088896341f + round_magic) - round_magic;
    v8f r = x - k * 0.693359375f;
    r = r - k * -2.12194440e-4f;
    v8f p = r * 1.9875691500e-4f + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    v8i e = (__builtin_convertvector(k, v8i) + 127) << 23;
    return p * (v8f)e;
}

/* gelu(x) = x Phi(x) */
static inline v8f v8_gelu(v8f x)
{
    return 0.5f * x * (1.0f + v8_erf(x * SQRT1_2F));
}

/* gelu'(x) = Phi(x) + x phi(x) */
static inline v8f v8_gelu_grad(v8f x)
{
    v8f cdf = 0.5f * (1.0f + v8_erf(x * SQRT1_2F));
    return cdf + x * (INV_SQRT_2PIF * v8_exp(-0.5f * x * x));
}

#endif

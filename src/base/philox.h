/* philox.h - Philox-4x32-10, the counter-based generator of Salmon et al.,
 * "Parallel random numbers: as easy as 1, 2, 3" (SC 2011).
 *
 * A draw is a pure function of (key, counter): any element of a stream can
 * be computed on its own, in any order, on any device, and gives the same
 * bits. Backends use it for dropout masks, so the CPU and a GPU draw the
 * same mask for the same (seed, stream). The functions are header-only and
 * marked for both host and device when a CUDA compiler includes them.
 */
#ifndef MSCNN_PHILOX_H
#define MSCNN_PHILOX_H

#include <stdint.h>

#if defined(__CUDACC__)
#define PHILOX_FN static inline __host__ __device__
#else
#define PHILOX_FN static inline
#endif

typedef struct {
    uint32_t v[4];
} philox4_t;

PHILOX_FN uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t *hi)
{
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

/* Ten rounds over counter c with key (k0, k1); the published constants. */
PHILOX_FN philox4_t philox4x32_10(philox4_t c, uint32_t k0, uint32_t k1)
{
    for (int r = 0; r < 10; r++) {
        uint32_t hi0, hi1;
        uint32_t lo0 = philox_mulhilo(0xD2511F53u, c.v[0], &hi0);
        uint32_t lo1 = philox_mulhilo(0xCD9E8D57u, c.v[2], &hi1);
        philox4_t n = {{hi1 ^ c.v[1] ^ k0, lo1, hi0 ^ c.v[3] ^ k1, lo0}};
        c = n;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return c;
}

/* The 32 random bits of element i of stream `stream` under key seed:
 * block i / 4 of the 128-bit counter (i / 4, stream), word i % 4. */
PHILOX_FN uint32_t philox_bits(uint64_t seed, uint64_t stream, uint64_t i)
{
    uint64_t block = i >> 2;
    philox4_t c = {{(uint32_t)block, (uint32_t)(block >> 32), (uint32_t)stream,
                    (uint32_t)(stream >> 32)}};
    philox4_t r = philox4x32_10(c, (uint32_t)seed, (uint32_t)(seed >> 32));
    return r.v[i & 3];
}

/* Uniform in [0, 1) with 24 random bits: exact in float. */
PHILOX_FN float philox_uniform(uint64_t seed, uint64_t stream, uint64_t i)
{
    return (float)(philox_bits(seed, stream, i) >> 8) * (1.0f / 16777216.0f);
}

/* Element i of a dropout mask of drop probability p (see backend.h). */
PHILOX_FN float philox_dropout(uint64_t seed, uint64_t stream, uint64_t i, float p)
{
    float keep = 1.0f - p;
    return philox_uniform(seed, stream, i) < keep ? 1.0f / keep : 0.0f;
}

/* Elements 4 block .. 4 block + 3 of the same mask from one generator call:
 * out[j] == philox_dropout(seed, stream, 4 block + j, p), four times cheaper. */
PHILOX_FN void philox_dropout4(uint64_t seed, uint64_t stream, uint64_t block, float p,
                               float out[4])
{
    philox4_t c = {{(uint32_t)block, (uint32_t)(block >> 32), (uint32_t)stream,
                    (uint32_t)(stream >> 32)}};
    philox4_t r = philox4x32_10(c, (uint32_t)seed, (uint32_t)(seed >> 32));
    float keep = 1.0f - p, scale = 1.0f / keep;
    for (int j = 0; j < 4; j++)
        out[j] = (float)(r.v[j] >> 8) * (1.0f / 16777216.0f) < keep ? scale : 0.0f;
}

/* Elements [lo, hi) of the mask into mask + lo; lo a multiple of 4, so a
 * span starts on a generator block (a partial last block is cut). */
PHILOX_FN void philox_dropout_span(uint64_t seed, uint64_t stream, uint64_t lo, uint64_t hi,
                                   float p, float *mask)
{
    float four[4];
    uint64_t i = lo;
    for (; i + 4 <= hi; i += 4)
        philox_dropout4(seed, stream, i / 4, p, mask + i);
    if (i < hi) {
        philox_dropout4(seed, stream, i / 4, p, four);
        for (uint64_t j = i; j < hi; j++)
            mask[j] = four[j - i];
    }
}

#endif

/* bf16.h - rounding fp32 to bfloat16, the 16-bit float with fp32's 8-bit
 * exponent and a 7-bit fraction: the top half of an fp32 word.
 *
 * bf16_round() gives the fp32 value of the nearest bf16 (ties to even),
 * which is what oneDNN's reorders and AVX-512 BF16's VCVTNEPS2BF16 store;
 * NaNs stay NaN, and infinities and zeros are exact. The reference
 * backend's bf16 mode rounds a convolution's operands with it.
 */
#ifndef MSCNN_BF16_H
#define MSCNN_BF16_H

#include <stdint.h>
#include <string.h>

static inline float bf16_round(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep it, quiet */
        return f + f;
    u += 0x7fffu + ((u >> 16) & 1u);
    u &= 0xffff0000u;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* The bf16 word of f's nearest bf16 (bf16_round's top half), and the
 * fp32 value of a bf16 word. */
static inline uint16_t bf16_bits(float f)
{
    f = bf16_round(f);
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (uint16_t)(u >> 16);
}

static inline float bf16_value(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#endif

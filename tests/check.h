/* check.h - a tiny test harness. A test program calls CHECK() on each
 * assertion and returns check_done(): 0 when every check passed, 1 when any
 * failed (automake then reports FAIL), 77 for a skip via check_skip(). */
#ifndef MSCNN_CHECK_H
#define MSCNN_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures, check_count;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        check_count++;                                                       \
        if (!(cond)) {                                                       \
            check_failures++;                                                \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

#define CHECK_NEAR(a, b, tol, what)                                          \
    CHECK(fabs((double)(a) - (double)(b)) <= (tol), "%s: %.9g vs %.9g (tol %g)", \
          (what), (double)(a), (double)(b), (double)(tol))

/* Normalised error of b against a, as ggml's test-backend-ops: mse(a, b)
 * / mse(a, 0) (the plain squared error when a is all zeros). */
static inline double check_nerr(const float *a, const float *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)a[i] * a[i];
    }
    return s > 0 ? d / s : d;
}

static inline int check_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

static inline int check_skip(const char *why)
{
    printf("SKIP: %s\n", why);
    return 77;
}

#endif

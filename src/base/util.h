/* util.h - allocation, errors and the seeded random generator.
 *
 * Errors: library code never exits. A function that can fail takes an
 * `err_t *` and returns 0 on success or -1 after err_set() wrote a message
 * that names the file, line or flag and what was expected. Only main()
 * decides to exit. x*alloc() abort with a message on out-of-memory.
 */
#ifndef MSCNN_UTIL_H
#define MSCNN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MSCNN_ERR_LEN 1024

typedef struct {
    char msg[MSCNN_ERR_LEN];
} err_t;

/* Writes the message into e (if e is not NULL); always returns -1. */
int err_set(err_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void *xmalloc_at(size_t n, const char *file, int line);
void *xcalloc_at(size_t n, size_t size, const char *file, int line);
void *xrealloc_at(void *p, size_t n, const char *file, int line);
char *xstrdup_at(const char *s, const char *file, int line);
#define xmalloc(n) xmalloc_at((n), __FILE__, __LINE__)
#define xcalloc(n, s) xcalloc_at((n), (s), __FILE__, __LINE__)
#define xrealloc(p, n) xrealloc_at((p), (n), __FILE__, __LINE__)
#define xstrdup(s) xstrdup_at((s), __FILE__, __LINE__)

/* Aligned (64-byte) float buffers for the engine; free with afree(). */
float *afloat(size_t count);          /* zero-filled */
void afree(void *p);

/* xoshiro256** seeded through splitmix64: fast, reproducible everywhere. */
typedef struct {
    uint64_t s[4];
} rng_t;

void rng_seed(rng_t *r, uint64_t seed);
uint64_t rng_next(rng_t *r);
uint32_t rng_below(rng_t *r, uint32_t n);  /* uniform in [0, n), n > 0 */
float rng_uniform(rng_t *r);               /* uniform in [0, 1) */
float rng_normal(rng_t *r);                /* standard normal */
void rng_shuffle(rng_t *r, int *a, int n); /* Fisher-Yates */

double now_seconds(void); /* monotonic clock */

/* Strict number parsing: the whole string must be a number in range. */
int parse_int(const char *s, long lo, long hi, long *out);
int parse_u64(const char *s, uint64_t *out);
int parse_float(const char *s, double lo, double hi, double *out);
int parse_bool(const char *s, int *out); /* 1/0, true/false, yes/no, on/off */
/* The shortest %g text of v that reads back as exactly v ("0.69", not
 * "0.68999999999999995"); buf holds at least 32 bytes. Returns buf. */
char *fmt_double(char buf[32], double v);

/* The directory part of path into out: "." when it has none, "/" for a
 * file in the root; trailing slashes of path are ignored. */
void path_parent(const char *path, char *out, size_t n);
/* mkdir -p; 0 or -1 with e set. */
int mkdir_p(const char *path, err_t *e);
/* rm -rf of a directory we created (only regular files inside, one level). */
int remove_tree(const char *path);

#ifdef __cplusplus
}
#endif

#endif

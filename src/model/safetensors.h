/* safetensors.h - read and write the safetensors format.
 *
 * Layout: 8-byte little-endian header length N, then N bytes of JSON
 * (padded with spaces to a multiple of 8), then the raw little-endian
 * tensor bytes. The header maps each tensor name to
 * {"dtype": "F32"|"I64"|"U64"|"U8"|"I32", "shape": [...], "data_offsets": [begin, end]}
 * (offsets relative to the start of the data) and may hold "__metadata__",
 * an object of string values.
 *
 * The reader treats the file as untrusted: the header length is bounded
 * (<= 100 MB and <= file size - 8), the JSON is parsed with jansson, every
 * dtype, shape, product and offset is checked against the data size, ranges
 * must not overlap or leave gaps... and any failure is an error that names
 * the file and the problem.
 */
#ifndef MSCNN_SAFETENSORS_H
#define MSCNN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "base/util.h"

#define ST_MAX_DIMS 8

typedef enum { ST_F32, ST_I32, ST_I64, ST_U64, ST_U8 } st_dtype_t;

typedef struct {
    char *name;
    st_dtype_t dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data;   /* writer: caller's bytes; reader: points into file */
    size_t nbytes;
} st_tensor_t;

typedef struct {
    char *path;              /* for messages */
    unsigned char *buf;      /* whole file (reader), read after its header passed */
    size_t size;
    int count;
    st_tensor_t *tensors;
    int nmeta;
    char **meta_keys, **meta_values;
} st_file_t;

/* Writer: tensors are written in the order given; metadata pairs may be
 * NULL/0. Writes to path directly (callers write into a temp directory
 * and rename). Returns 0 or -1 with e naming the file. */
int st_write(const char *path, const st_tensor_t *tensors, int count,
             const char *const *meta_keys, const char *const *meta_values,
             int nmeta, err_t *e);

/* Reader: loads and validates the whole file. Only a regular file is
 * read; the header is read and checked first, and the file's bytes are
 * allocated only after every tensor's dtype, shape and data range passed
 * (so a header claiming 30 GiB of tensors costs nothing). */
int st_read(const char *path, st_file_t *f, err_t *e);

/* A check of each tensor as its header entry is parsed, before any data is
 * read: t has name, dtype, shape and nbytes, not yet data. Returns 0 or -1
 * with e set. With a check that refuses every tensor the caller does not
 * expect, the allocation is bounded by what the caller expects. */
typedef struct {
    int (*fn)(void *user, const st_file_t *f, const st_tensor_t *t, err_t *e);
    void *user;
} st_check_t;
int st_read_checked(const char *path, st_file_t *f, const st_check_t *chk, err_t *e);

/* 0 when t has this dtype and shape; else -1 with e "FILE: tensor 'NAME':
 * expected shape [..], file has [..]" (or the dtypes). */
int st_check_tensor(const st_file_t *f, const st_tensor_t *t, st_dtype_t dtype, int ndim,
                    const int64_t *shape, err_t *e);
void st_close(st_file_t *f);

/* Lookup by name; NULL if absent. */
const st_tensor_t *st_find(const st_file_t *f, const char *name);
const char *st_meta(const st_file_t *f, const char *key);

/* Copies tensor `name` into dst after checking dtype and shape exactly;
 * error names the file, the tensor and expected vs found. */
int st_get(const st_file_t *f, const char *name, st_dtype_t dtype, int ndim,
           const int64_t *shape, void *dst, err_t *e);

size_t st_dtype_size(st_dtype_t t);
const char *st_dtype_name(st_dtype_t t);

#endif

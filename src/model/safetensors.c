/* safetensors.c - read and write the safetensors format (see safetensors.h).
 *
 * The writer builds the header with jansson and streams the caller's bytes
 * after it. The reader loads the whole file and validates it as untrusted
 * input before any pointer into it is handed out.
 */
#include "model/safetensors.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"

#define ST_MAX_HEADER 100000000ULL
#define ST_META_KEY "__metadata__"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#warning "safetensors.c: big-endian host; st_read/st_write will refuse to run"
#endif

/* ---- dtypes ------------------------------------------------------------ */

static const struct {
    st_dtype_t t;
    const char *name;
    size_t size;
} dtypes[] = {
    {ST_F32, "F32", 4}, {ST_I32, "I32", 4}, {ST_I64, "I64", 8},
    {ST_U64, "U64", 8}, {ST_U8, "U8", 1},
};
#define NDTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))

static int dtype_index(st_dtype_t t)
{
    for (int i = 0; i < NDTYPES; i++)
        if (dtypes[i].t == t)
            return i;
    return -1;
}

size_t st_dtype_size(st_dtype_t t)
{
    int i = dtype_index(t);
    return i < 0 ? 0 : dtypes[i].size;
}

const char *st_dtype_name(st_dtype_t t)
{
    int i = dtype_index(t);
    return i < 0 ? "?" : dtypes[i].name;
}

static int dtype_from_name(const char *s, st_dtype_t *out)
{
    for (int i = 0; i < NDTYPES; i++)
        if (strcmp(s, dtypes[i].name) == 0) {
            *out = dtypes[i].t;
            return 0;
        }
    return -1;
}

/* ---- helpers ----------------------------------------------------------- */

static int host_little_endian(const char *path, err_t *e)
{
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    if (first == 1)
        return 0;
    return err_set(e, "%s: this host is big-endian; safetensors data is little-endian "
                      "and byte swapping is not implemented", path);
}

/* "[32, 3, 3, 3]" into buf (ndim <= ST_MAX_DIMS always fits 256 bytes). */
static const char *fmt_shape(char *buf, size_t cap, int ndim, const int64_t *shape)
{
    size_t n = 0;
    buf[n++] = '[';
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (n + 2 <= cap) {
        buf[n++] = ']';
        buf[n] = '\0';
    } else {
        buf[cap - 1] = '\0';
    }
    return buf;
}

/* Product of dims times element size; -1 on overflow or a negative dim. */
static int shape_bytes(int ndim, const int64_t *shape, size_t esize, uint64_t *out)
{
    uint64_t p = esize;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || __builtin_mul_overflow(p, (uint64_t)shape[i], &p))
            return -1;
    }
    *out = p;
    return 0;
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* ---- writer ------------------------------------------------------------ */

static int check_tensor_in(const char *path, const st_tensor_t *t, err_t *e)
{
    char sb[256];
    uint64_t need;
    if (!t->name || !*t->name || strcmp(t->name, ST_META_KEY) == 0)
        return err_set(e, "%s: tensor name '%s' is empty or reserved", path,
                       t->name ? t->name : "(null)");
    if (dtype_index(t->dtype) < 0)
        return err_set(e, "%s: tensor '%.200s': invalid dtype %d", path, t->name, (int)t->dtype);
    if (t->ndim < 0 || t->ndim > ST_MAX_DIMS)
        return err_set(e, "%s: tensor '%.200s': %d dims, expected 0..%d", path, t->name,
                       t->ndim, ST_MAX_DIMS);
    if (shape_bytes(t->ndim, t->shape, st_dtype_size(t->dtype), &need) < 0)
        return err_set(e, "%s: tensor '%.200s': shape %s has a negative dim or overflows",
                       path, t->name, fmt_shape(sb, sizeof sb, t->ndim, t->shape));
    if (need != t->nbytes)
        return err_set(e, "%s: tensor '%.200s': nbytes is %zu, but %s %s needs %llu", path,
                       t->name, t->nbytes, st_dtype_name(t->dtype),
                       fmt_shape(sb, sizeof sb, t->ndim, t->shape), (unsigned long long)need);
    if (t->nbytes && !t->data)
        return err_set(e, "%s: tensor '%.200s': data is NULL", path, t->name);
    return 0;
}

static json_t *tensor_json(const st_tensor_t *t, uint64_t begin)
{
    json_t *o = json_object(), *shape = json_array(), *offs = json_array();
    for (int i = 0; i < t->ndim; i++)
        json_array_append_new(shape, json_integer((json_int_t)t->shape[i]));
    json_array_append_new(offs, json_integer((json_int_t)begin));
    json_array_append_new(offs, json_integer((json_int_t)(begin + t->nbytes)));
    json_object_set_new(o, "dtype", json_string(st_dtype_name(t->dtype)));
    json_object_set_new(o, "shape", shape);
    json_object_set_new(o, "data_offsets", offs);
    return o;
}

static json_t *meta_json(const char *path, const char *const *keys, const char *const *vals,
                         int nmeta, err_t *e)
{
    json_t *m = json_object();
    for (int i = 0; i < nmeta; i++) {
        if (!keys || !vals || !keys[i] || !vals[i]) {
            json_decref(m);
            err_set(e, "%s: metadata entry %d has a NULL key or value", path, i);
            return NULL;
        }
        if (json_object_get(m, keys[i]) ||
            json_object_set_new(m, keys[i], json_string(vals[i])) < 0) {
            json_decref(m);
            err_set(e, "%s: metadata key '%.200s' is duplicated or not valid UTF-8", path,
                    keys[i]);
            return NULL;
        }
    }
    return m;
}

/* The compact JSON header padded with spaces to a multiple of 8. */
static char *build_header(const char *path, const st_tensor_t *ts, int count,
                          const char *const *mk, const char *const *mv, int nmeta,
                          size_t *len, err_t *e)
{
    json_t *root = json_object();
    if (nmeta > 0) {
        json_t *m = meta_json(path, mk, mv, nmeta, e);
        if (!m)
            goto fail;
        json_object_set_new(root, ST_META_KEY, m);
    }
    uint64_t off = 0;
    for (int i = 0; i < count; i++) {
        if (check_tensor_in(path, &ts[i], e) < 0)
            goto fail;
        if (json_object_get(root, ts[i].name)) {
            err_set(e, "%s: duplicate tensor name '%.200s'", path, ts[i].name);
            goto fail;
        }
        if (json_object_set_new(root, ts[i].name, tensor_json(&ts[i], off)) < 0) {
            err_set(e, "%s: tensor name '%.200s' is not valid UTF-8", path, ts[i].name);
            goto fail;
        }
        if (__builtin_add_overflow(off, (uint64_t)ts[i].nbytes, &off) || off > INT64_MAX) {
            err_set(e, "%s: total tensor data overflows", path);
            goto fail;
        }
    }
    char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!s) {
        err_set(e, "%s: could not serialise the header JSON", path);
        return NULL;
    }
    size_t n = strlen(s), padded = (n + 7) & ~(size_t)7;
    char *h = xmalloc(padded);
    memcpy(h, s, n);
    memset(h + n, ' ', padded - n);
    free(s);
    *len = padded;
    return h;
fail:
    json_decref(root);
    return NULL;
}

static int write_bytes(FILE *fp, const char *path, const void *p, size_t n, err_t *e)
{
    if (n && fwrite(p, 1, n, fp) != n)
        return err_set(e, "%s: write failed: %s", path, strerror(errno ? errno : EIO));
    return 0;
}

static int write_body(FILE *fp, const char *path, const char *hdr, size_t hlen,
                      const st_tensor_t *ts, int count, err_t *e)
{
    unsigned char len8[8];
    put_le64(len8, hlen);
    if (write_bytes(fp, path, len8, 8, e) < 0 || write_bytes(fp, path, hdr, hlen, e) < 0)
        return -1;
    for (int i = 0; i < count; i++)
        if (write_bytes(fp, path, ts[i].data, ts[i].nbytes, e) < 0)
            return -1;
    if (fflush(fp) != 0)
        return err_set(e, "%s: write failed: %s", path, strerror(errno));
    return 0;
}

int st_write(const char *path, const st_tensor_t *tensors, int count,
             const char *const *meta_keys, const char *const *meta_values,
             int nmeta, err_t *e)
{
    if (host_little_endian(path, e) < 0)
        return -1;
    if (count < 0 || (count > 0 && !tensors) || nmeta < 0)
        return err_set(e, "%s: invalid tensor count %d or metadata count %d", path, count, nmeta);
    size_t hlen;
    char *hdr = build_header(path, tensors, count, meta_keys, meta_values, nmeta, &hlen, e);
    if (!hdr)
        return -1;
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        free(hdr);
        return err_set(e, "%s: cannot create: %s", path, strerror(errno));
    }
    struct stat st;
    int regular = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode);
    errno = 0;
    int rc = write_body(fp, path, hdr, hlen, tensors, count, e);
    free(hdr);
    if (rc == 0 && regular && fsync(fileno(fp)) != 0)
        rc = err_set(e, "%s: fsync failed: %s", path, strerror(errno));
    if (fclose(fp) != 0 && rc == 0)
        rc = err_set(e, "%s: close failed: %s", path, strerror(errno));
    if (rc < 0 && regular)
        unlink(path); /* never a device node such as /dev/full */
    return rc;
}

/* ---- reader ------------------------------------------------------------ */

/* Opens path (a regular file only) and reads its 8-byte header length;
 * f->size gets the file size. */
static FILE *open_file(const char *path, st_file_t *f, unsigned char len8[8], err_t *e)
{
    FILE *fp = fopen_regular(path, "safetensors file", SIZE_MAX, &f->size, e);
    if (!fp)
        return NULL;
    if (f->size >= 8 && fread(len8, 1, 8, fp) != 8) {
        err_set(e, "%s: read failed: %s", path, strerror(errno ? errno : EIO));
        fclose(fp);
        return NULL;
    }
    return fp;
}

/* The whole file into f->buf, once the header has been checked: the
 * allocation is never larger than the tensors the header holds (and the
 * caller's check accepted). */
static int read_rest(FILE *fp, st_file_t *f, const unsigned char *head, size_t hbytes,
                     err_t *e)
{
    f->buf = xmalloc(f->size);
    memcpy(f->buf, head, hbytes);
    size_t got = fread(f->buf + hbytes, 1, f->size - hbytes, fp);
    if (ferror(fp) || got != f->size - hbytes)
        return err_set(e, "%s: read failed after %zu of %zu bytes (did the file change?)",
                       f->path, hbytes + got, f->size);
    return 0;
}

/* Header length bounds; returns the length or 0 after an error. */
static uint64_t header_len(const st_file_t *f, const unsigned char len8[8], err_t *e)
{
    if (f->size < 8) {
        err_set(e, "%s: truncated: file is %zu bytes, but a safetensors file starts "
                   "with an 8-byte header length", f->path, f->size);
        return 0;
    }
    uint64_t n = get_le64(len8);
    if (n == 0)
        err_set(e, "%s: header length is 0, expected a JSON object", f->path);
    else if (n > ST_MAX_HEADER)
        err_set(e, "%s: header length %llu exceeds the limit of %llu bytes (corrupt file?)",
                f->path, (unsigned long long)n, ST_MAX_HEADER);
    else if (n > f->size - 8)
        err_set(e, "%s: header length %llu but only %zu bytes follow (truncated file?)",
                f->path, (unsigned long long)n, f->size - 8);
    else
        return n;
    return 0;
}

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int parse_dtype(const st_file_t *f, const char *name, json_t *o, st_dtype_t *out,
                       err_t *e)
{
    json_t *d = json_object_get(o, "dtype");
    if (!d)
        return err_set(e, "%s: tensor '%.200s': missing \"dtype\"", f->path, name);
    if (!json_is_string(d))
        return err_set(e, "%s: tensor '%.200s': dtype is %s, expected a string", f->path,
                       name, json_kind(d));
    if (dtype_from_name(json_string_value(d), out) < 0)
        return err_set(e, "%s: tensor '%.200s': unknown dtype '%.40s' (expected F32, I32, "
                          "I64, U64 or U8)", f->path, name, json_string_value(d));
    return 0;
}

static int parse_shape(const st_file_t *f, const char *name, json_t *o, st_tensor_t *t,
                       err_t *e)
{
    json_t *s = json_object_get(o, "shape");
    if (!s || !json_is_array(s))
        return err_set(e, "%s: tensor '%.200s': \"shape\" is %s, expected an array of "
                          "non-negative integers", f->path, name, s ? json_kind(s) : "missing");
    size_t nd = json_array_size(s);
    if (nd > ST_MAX_DIMS)
        return err_set(e, "%s: tensor '%.200s': shape has %zu dims, at most %d supported",
                       f->path, name, nd, ST_MAX_DIMS);
    for (size_t i = 0; i < nd; i++) {
        json_t *v = json_array_get(s, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return err_set(e, "%s: tensor '%.200s': shape dim %zu is %s, expected a "
                              "non-negative integer", f->path, name, i,
                           json_is_integer(v) ? "negative" : json_kind(v));
        t->shape[i] = (int64_t)json_integer_value(v);
    }
    t->ndim = (int)nd;
    return 0;
}

static int parse_offsets(const st_file_t *f, const char *name, json_t *o, uint64_t dsize,
                         uint64_t r[2], err_t *e)
{
    json_t *a = json_object_get(o, "data_offsets");
    if (!a || !json_is_array(a) || json_array_size(a) != 2 ||
        !json_is_integer(json_array_get(a, 0)) || !json_is_integer(json_array_get(a, 1)))
        return err_set(e, "%s: tensor '%.200s': \"data_offsets\" must be [begin, end] "
                          "integers", f->path, name);
    json_int_t b = json_integer_value(json_array_get(a, 0));
    json_int_t en = json_integer_value(json_array_get(a, 1));
    if (b < 0 || en < b)
        return err_set(e, "%s: tensor '%.200s': data_offsets [%lld, %lld] are not "
                          "0 <= begin <= end", f->path, name, (long long)b, (long long)en);
    if ((uint64_t)en > dsize)
        return err_set(e, "%s: tensor '%.200s': data_offsets [%lld, %lld] reach past the "
                          "end of the %llu-byte data section (truncated file?)", f->path,
                       name, (long long)b, (long long)en, (unsigned long long)dsize);
    r[0] = (uint64_t)b;
    r[1] = (uint64_t)en;
    return 0;
}

static int parse_tensor(st_file_t *f, const char *name, json_t *o, uint64_t dsize,
                        uint64_t r[2], const st_check_t *chk, err_t *e)
{
    st_tensor_t *t = &f->tensors[f->count];
    char sb[256];
    uint64_t need;
    if (!json_is_object(o))
        return err_set(e, "%s: tensor '%.200s': entry is %s, expected an object", f->path,
                       name, json_kind(o));
    t->name = xstrdup(name);
    f->count++; /* owned from now on, so st_close frees the name */
    if (parse_dtype(f, name, o, &t->dtype, e) < 0 || parse_shape(f, name, o, t, e) < 0 ||
        parse_offsets(f, name, o, dsize, r, e) < 0)
        return -1;
    if (shape_bytes(t->ndim, t->shape, st_dtype_size(t->dtype), &need) < 0)
        return err_set(e, "%s: tensor '%.200s': shape %s overflows", f->path, name,
                       fmt_shape(sb, sizeof sb, t->ndim, t->shape));
    if (r[1] - r[0] != need)
        return err_set(e, "%s: tensor '%.200s': data_offsets [%llu, %llu] hold %llu bytes, "
                          "but %s %s needs %llu", f->path, name, (unsigned long long)r[0],
                       (unsigned long long)r[1], (unsigned long long)(r[1] - r[0]),
                       st_dtype_name(t->dtype), fmt_shape(sb, sizeof sb, t->ndim, t->shape),
                       (unsigned long long)need);
    t->nbytes = (size_t)need;
    if (chk && chk->fn(chk->user, f, t, e) < 0)
        return -1;
    return 0;
}

static int parse_meta(st_file_t *f, json_t *m, err_t *e)
{
    if (!json_is_object(m))
        return err_set(e, "%s: \"%s\" is %s, expected an object of strings", f->path,
                       ST_META_KEY, json_kind(m));
    size_t n = json_object_size(m);
    f->meta_keys = xcalloc(n, sizeof *f->meta_keys);
    f->meta_values = xcalloc(n, sizeof *f->meta_values);
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
        if (!json_is_string(v))
            return err_set(e, "%s: metadata '%.200s' is %s, expected a string", f->path, k,
                           json_kind(v));
        f->meta_keys[f->nmeta] = xstrdup(k);
        f->meta_values[f->nmeta] = xstrdup(json_string_value(v));
        f->nmeta++;
    }
    return 0;
}

typedef struct {
    uint64_t b, e;
    int idx;
} range_t;

static int range_cmp(const void *pa, const void *pb)
{
    const range_t *a = pa, *b = pb;
    if (a->b != b->b)
        return a->b < b->b ? -1 : 1;
    if (a->e != b->e)
        return a->e < b->e ? -1 : 1;
    return a->idx - b->idx;
}

/* Sorted ranges must tile [0, dsize) exactly: no overlap, no hole. */
static int check_cover(const st_file_t *f, range_t *r, uint64_t dsize, err_t *e)
{
    qsort(r, (size_t)f->count, sizeof *r, range_cmp);
    uint64_t at = 0;
    const char *prev = NULL;
    for (int i = 0; i < f->count; i++) {
        const char *nm = f->tensors[r[i].idx].name;
        if (r[i].b < at)
            return err_set(e, "%s: tensor '%.200s': data_offsets [%llu, %llu] overlap tensor "
                              "'%.200s' (which ends at %llu)", f->path, nm,
                           (unsigned long long)r[i].b, (unsigned long long)r[i].e, prev,
                           (unsigned long long)at);
        if (r[i].b > at)
            return err_set(e, "%s: gap in the data section: bytes [%llu, %llu) before "
                              "tensor '%.200s' belong to no tensor", f->path,
                           (unsigned long long)at, (unsigned long long)r[i].b, nm);
        at = r[i].e;
        prev = nm;
    }
    if (at != dsize)
        return err_set(e, "%s: gap in the data section: tensors cover %llu of its %llu bytes, "
                          "the rest belongs to no tensor", f->path, (unsigned long long)at,
                       (unsigned long long)dsize);
    return 0;
}

/* Validates the header; *ranges (owned by the caller) gets each tensor's
 * data range. */
static int parse_header(st_file_t *f, json_t *root, uint64_t hlen, const st_check_t *chk,
                        range_t **ranges, err_t *e)
{
    uint64_t dsize = f->size - 8 - hlen;
    json_t *meta = json_object_get(root, ST_META_KEY);
    size_t n = json_object_size(root) - (meta ? 1 : 0);
    if (meta && parse_meta(f, meta, e) < 0)
        return -1;
    f->tensors = xcalloc(n, sizeof *f->tensors);
    range_t *r = xcalloc(n, sizeof *r);
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach(root, k, v) {
        if (strcmp(k, ST_META_KEY) == 0)
            continue;
        uint64_t off[2] = {0, 0};
        r[f->count].idx = f->count;
        if ((rc = parse_tensor(f, k, v, dsize, off, chk, e)) < 0)
            break;
        r[f->count - 1].b = off[0];
        r[f->count - 1].e = off[1];
    }
    if (rc == 0)
        rc = check_cover(f, r, dsize, e);
    *ranges = r;
    return rc;
}

/* Reads and checks the header, then (only then) the tensors. */
static int load(const char *path, st_file_t *f, const st_check_t *chk, err_t *e)
{
    unsigned char len8[8];
    if (host_little_endian(path, e) < 0)
        return -1;
    FILE *fp = open_file(path, f, len8, e);
    if (!fp)
        return -1;
    uint64_t hlen = header_len(f, len8, e);
    unsigned char *head = NULL;
    range_t *r = NULL;
    int rc = hlen ? 0 : -1;
    if (rc == 0) {
        head = xmalloc(8 + hlen);
        memcpy(head, len8, 8);
        if (fread(head + 8, 1, hlen, fp) != hlen)
            rc = err_set(e, "%s: read failed in the %llu-byte header", path,
                         (unsigned long long)hlen);
    }
    json_error_t je;
    json_t *root = NULL;
    if (rc == 0 && !(root = json_loadb((const char *)head + 8, (size_t)hlen,
                                       JSON_REJECT_DUPLICATES, &je)))
        rc = err_set(e, "%s: header is not valid JSON: %s (line %d, column %d, byte %d)",
                     path, je.text, je.line, je.column, je.position);
    if (rc == 0 && !json_is_object(root))
        rc = err_set(e, "%s: header is %s, expected a JSON object", path, json_kind(root));
    else if (rc == 0)
        rc = parse_header(f, root, hlen, chk, &r, e);
    if (rc == 0)
        rc = read_rest(fp, f, head, 8 + hlen, e);
    for (int i = 0; rc == 0 && i < f->count; i++)
        f->tensors[r[i].idx].data = f->buf + 8 + hlen + r[i].b;
    json_decref(root);
    free(head);
    free(r);
    fclose(fp);
    return rc;
}

int st_read_checked(const char *path, st_file_t *f, const st_check_t *chk, err_t *e)
{
    memset(f, 0, sizeof *f);
    f->path = xstrdup(path);
    if (load(path, f, chk, e) < 0) {
        st_close(f);
        return -1;
    }
    return 0;
}

int st_read(const char *path, st_file_t *f, err_t *e)
{
    return st_read_checked(path, f, NULL, e);
}

void st_close(st_file_t *f)
{
    if (!f)
        return;
    for (int i = 0; f->tensors && i < f->count; i++)
        free(f->tensors[i].name);
    for (int i = 0; i < f->nmeta; i++) {
        if (f->meta_keys)
            free(f->meta_keys[i]);
        if (f->meta_values)
            free(f->meta_values[i]);
    }
    free(f->tensors);
    free(f->meta_keys);
    free(f->meta_values);
    free(f->buf);
    free(f->path);
    memset(f, 0, sizeof *f);
}

/* ---- lookups ----------------------------------------------------------- */

const st_tensor_t *st_find(const st_file_t *f, const char *name)
{
    for (int i = 0; f && name && f->tensors && i < f->count; i++)
        if (f->tensors[i].name && strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

const char *st_meta(const st_file_t *f, const char *key)
{
    for (int i = 0; f && key && f->meta_keys && i < f->nmeta; i++)
        if (strcmp(f->meta_keys[i], key) == 0)
            return f->meta_values[i];
    return NULL;
}

static int same_shape(const st_tensor_t *t, int ndim, const int64_t *shape)
{
    if (t->ndim != ndim)
        return 0;
    for (int i = 0; i < ndim; i++)
        if (t->shape[i] != shape[i])
            return 0;
    return 1;
}

int st_check_tensor(const st_file_t *f, const st_tensor_t *t, st_dtype_t dtype, int ndim,
                    const int64_t *shape, err_t *e)
{
    const char *path = f && f->path ? f->path : "(no file)";
    const char *name = t->name;
    char want[256], have[256];
    if (t->dtype != dtype)
        return err_set(e, "%s: tensor '%.200s': expected dtype %s, file has %s", path, name,
                       st_dtype_name(dtype), st_dtype_name(t->dtype));
    if (ndim < 0 || ndim > ST_MAX_DIMS || (ndim > 0 && !shape))
        return err_set(e, "%s: tensor '%.200s': invalid expected shape (%d dims)", path,
                       name, ndim);
    if (!same_shape(t, ndim, shape))
        return err_set(e, "%s: tensor '%.200s': expected shape %s, file has %s", path, name,
                       fmt_shape(want, sizeof want, ndim, shape),
                       fmt_shape(have, sizeof have, t->ndim, t->shape));
    return 0;
}

int st_get(const st_file_t *f, const char *name, st_dtype_t dtype, int ndim,
           const int64_t *shape, void *dst, err_t *e)
{
    const char *path = f && f->path ? f->path : "(no file)";
    const st_tensor_t *t = st_find(f, name);
    if (!t)
        return err_set(e, "%s: no tensor '%.200s'", path, name ? name : "(null)");
    if (st_check_tensor(f, t, dtype, ndim, shape, e) < 0)
        return -1;
    if (t->nbytes && !dst)
        return err_set(e, "%s: tensor '%.200s': destination is NULL", path, name);
    if (t->nbytes)
        memcpy(dst, t->data, t->nbytes);
    return 0;
}

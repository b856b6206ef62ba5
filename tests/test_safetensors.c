/* test_safetensors.c - round trip, header bytes, refusals of damaged files,
 * writer failures and (when available) a cross-check with Python's
 * safetensors package. */
#define _GNU_SOURCE
#include "check.h"
#include "model/safetensors.h"
#include "base/util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static char tmpdir[64];

static const char *tpath(const char *name)
{
    static char buf[8][256];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

static int write_raw(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    size_t w = n ? fwrite(p, 1, n, fp) : 0;
    return (fclose(fp) == 0 && w == n) ? 0 : -1;
}

static unsigned char *read_raw(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = xmalloc((size_t)sz);
    *n = fread(b, 1, (size_t)sz, fp);
    fclose(fp);
    return b;
}

/* A file from a literal header (padded to 8) and `dlen` data bytes. */
static const char *craft(const char *name, const char *json, size_t dlen)
{
    size_t n = strlen(json), padded = (n + 7) & ~(size_t)7;
    unsigned char *b = xcalloc(8 + padded + dlen, 1);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(b + 8, json, n);
    memset(b + 8 + n, ' ', padded - n);
    const char *p = tpath(name);
    CHECK(write_raw(p, b, 8 + padded + dlen) == 0, "cannot write %s", p);
    free(b);
    return p;
}

/* st_read must fail, name the file, contain `word`, leave f zeroed. */
static void refuse(const char *path, const char *word)
{
    st_file_t f;
    err_t e = {{0}};
    int rc = st_read(path, &f, &e);
    if (getenv("ST_VERBOSE"))
        printf("refused: %s\n", e.msg);
    CHECK(rc == -1, "%s: accepted, expected refusal with '%s'", path, word);
    CHECK(strstr(e.msg, path) == e.msg, "message does not start with the path: %s", e.msg);
    CHECK(strstr(e.msg, word) != NULL, "message lacks '%s': %s", word, e.msg);
    CHECK(f.buf == NULL && f.tensors == NULL && f.path == NULL && f.count == 0,
          "%s: struct not cleared after refusal", path);
    if (rc == 0)
        st_close(&f);
}

/* ---- the reference tensor set ------------------------------------------ */

static float w[24], bias[3], scalar[1];
static int64_t steps[2] = {-5, 1234567890123LL};
static uint64_t seeds[1] = {0xFFFFFFFFFFFFFFFFULL};
static uint8_t labels[5] = {0, 1, 2, 254, 255};
static int32_t counts[2] = {-7, 2147483647};

#define NT 8
static st_tensor_t ref[NT];
static const char *mkeys[] = {"epoch", "arch"};
static const char *mvals[] = {"3", "mscnn-v1 \"quoted\" \xc3\xa9"};

static void fill_ref(void)
{
    for (int i = 0; i < 24; i++)
        w[i] = (float)i * 0.25f - 3.0f;
    bias[0] = 0.5f, bias[1] = -1.5f, bias[2] = 1e-30f;
    scalar[0] = 3.25f;
    st_tensor_t t[NT] = {
        {"conv.weight", ST_F32, 4, {2, 3, 2, 2}, w, sizeof w},
        {"conv.bias", ST_F32, 1, {3}, bias, sizeof bias},
        {"scalar", ST_F32, 0, {0}, scalar, sizeof scalar},
        {"empty", ST_F32, 2, {0, 4}, NULL, 0},
        {"step", ST_I64, 1, {2}, steps, sizeof steps},
        {"seed", ST_U64, 1, {1}, seeds, sizeof seeds},
        {"labels", ST_U8, 1, {5}, labels, sizeof labels},
        {"counts", ST_I32, 1, {2}, counts, sizeof counts},
    };
    memcpy(ref, t, sizeof t);
}

static void check_same(const st_file_t *f, const st_tensor_t *want, const char *who)
{
    const st_tensor_t *t = st_find(f, want->name);
    CHECK(t != NULL, "%s: tensor %s missing", who, want->name);
    if (!t)
        return;
    CHECK(t->dtype == want->dtype, "%s: %s dtype", who, want->name);
    CHECK(t->ndim == want->ndim, "%s: %s ndim %d", who, want->name, t->ndim);
    for (int d = 0; d < want->ndim && d < t->ndim; d++)
        CHECK(t->shape[d] == want->shape[d], "%s: %s dim %d", who, want->name, d);
    CHECK(t->nbytes == want->nbytes, "%s: %s nbytes %zu", who, want->name, t->nbytes);
    if (t->nbytes == want->nbytes && t->nbytes)
        CHECK(memcmp(t->data, want->data, t->nbytes) == 0, "%s: %s bytes", who, want->name);
    unsigned char *dst = xmalloc(want->nbytes + 1);
    err_t e = {{0}};
    CHECK(st_get(f, want->name, want->dtype, want->ndim, want->shape, dst, &e) == 0,
          "%s: st_get %s: %s", who, want->name, e.msg);
    if (want->nbytes)
        CHECK(memcmp(dst, want->data, want->nbytes) == 0, "%s: st_get %s bytes", who,
              want->name);
    free(dst);
}

static void test_round_trip(void)
{
    const char *p = tpath("model.safetensors");
    err_t e = {{0}};
    CHECK(st_write(p, ref, NT, mkeys, mvals, 2, &e) == 0, "write: %s", e.msg);

    size_t n;
    unsigned char *b = read_raw(p, &n);
    CHECK(b != NULL && n >= 8, "raw read");
    if (b && n >= 8) {
        uint64_t hl = 0;
        for (int i = 7; i >= 0; i--)
            hl = (hl << 8) | b[i];
        size_t data = 0;
        for (int i = 0; i < NT; i++)
            data += ref[i].nbytes;
        CHECK(hl % 8 == 0, "header length %llu not a multiple of 8", (unsigned long long)hl);
        CHECK(b[8] == '{', "header starts with '%c'", b[8]);
        CHECK(8 + hl + data == n, "file size %zu vs 8+%llu+%zu", n, (unsigned long long)hl,
              data);
        char *h = strndup((char *)b + 8, (size_t)hl);
        CHECK(strchr(h, '\n') == NULL && strstr(h, ": ") == NULL, "header not compact: %s", h);
        CHECK(strstr(h, "\"__metadata__\":{\"epoch\":\"3\"") != NULL, "metadata: %s", h);
        char *last = h;
        for (int i = 0; i < NT; i++) { /* names appear in the given order */
            char key[64];
            snprintf(key, sizeof key, "\"%s\":{", ref[i].name);
            char *at = strstr(h, key);
            CHECK(at != NULL && at > last, "tensor %s out of order in %s", ref[i].name, h);
            if (at)
                last = at;
        }
        CHECK(strstr(h, "\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[108,112]}"),
              "scalar entry: %s", h);
        free(h);
    }
    free(b);

    st_file_t f;
    CHECK(st_read(p, &f, &e) == 0, "read: %s", e.msg);
    CHECK(f.count == NT, "count %d", f.count);
    for (int i = 0; i < NT && i < f.count; i++)
        CHECK(strcmp(f.tensors[i].name, ref[i].name) == 0, "order: %s", f.tensors[i].name);
    for (int i = 0; i < NT; i++)
        check_same(&f, &ref[i], "round trip");
    CHECK(f.nmeta == 2, "nmeta %d", f.nmeta);
    CHECK(st_meta(&f, "epoch") && strcmp(st_meta(&f, "epoch"), "3") == 0, "meta epoch");
    CHECK(st_meta(&f, "arch") && strcmp(st_meta(&f, "arch"), mvals[1]) == 0, "meta arch");
    CHECK(st_meta(&f, "nope") == NULL, "meta missing");
    CHECK(st_find(&f, "nope") == NULL, "find missing");

    float dst[24];
    int64_t sh4[4] = {2, 3, 2, 2}, sh_bad[4] = {2, 3, 4, 1}, sh3[3] = {2, 3, 4};
    CHECK(st_get(&f, "conv.weight", ST_I64, 4, sh4, dst, &e) == -1, "wrong dtype accepted");
    CHECK(strstr(e.msg, p) == e.msg && strstr(e.msg, "'conv.weight'") &&
              strstr(e.msg, "dtype") && strstr(e.msg, "I64") && strstr(e.msg, "F32"),
          "wrong dtype message: %s", e.msg);
    CHECK(st_get(&f, "conv.weight", ST_F32, 4, sh_bad, dst, &e) == -1, "wrong shape accepted");
    CHECK(strstr(e.msg, p) == e.msg && strstr(e.msg, "'conv.weight'") &&
              strstr(e.msg, "[2, 3, 4, 1]") && strstr(e.msg, "[2, 3, 2, 2]"),
          "wrong shape message: %s", e.msg);
    CHECK(st_get(&f, "conv.weight", ST_F32, 3, sh3, dst, &e) == -1, "wrong ndim accepted");
    CHECK(strstr(e.msg, "shape") != NULL, "wrong ndim message: %s", e.msg);
    CHECK(st_get(&f, "missing.weight", ST_F32, 4, sh4, dst, &e) == -1, "missing accepted");
    CHECK(strstr(e.msg, p) == e.msg && strstr(e.msg, "'missing.weight'"), "missing: %s", e.msg);
    st_close(&f);
    CHECK(f.buf == NULL && f.count == 0, "close clears");
    st_close(&f); /* twice is harmless */

    /* No metadata, no tensors. */
    const char *q = tpath("empty.safetensors");
    CHECK(st_write(q, NULL, 0, NULL, NULL, 0, &e) == 0, "empty write: %s", e.msg);
    CHECK(st_read(q, &f, &e) == 0, "empty read: %s", e.msg);
    CHECK(f.count == 0 && f.nmeta == 0 && f.size == 16, "empty file: %d %d %zu", f.count,
          f.nmeta, f.size);
    st_close(&f);
}

static void test_truncated(void)
{
    const char *p = tpath("model.safetensors"); /* from test_round_trip */
    size_t n;
    unsigned char *b = read_raw(p, &n);
    if (!b) {
        CHECK(0, "no model file");
        return;
    }
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--)
        hl = (hl << 8) | b[i];
    size_t cuts[] = {0, 4, 7, 8, 8 + (size_t)hl / 2, 8 + (size_t)hl - 1, n - 3, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "cut%zu.safetensors", cuts[i]);
        const char *q = tpath(name);
        CHECK(write_raw(q, b, cuts[i]) == 0, "write %s", q);
        refuse(q, "truncated");
    }
    /* Extra trailing byte: data not exactly covered. */
    unsigned char *b2 = xmalloc(n + 1);
    memcpy(b2, b, n);
    b2[n] = 0;
    const char *q = tpath("extra.safetensors");
    write_raw(q, b2, n + 1);
    refuse(q, "gap");
    free(b2);
    free(b);
}

static void test_header_length(void)
{
    unsigned char b[64];
    memset(b, ' ', sizeof b);
    uint64_t huge = 1ULL << 40;
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(huge >> (8 * i));
    const char *p = tpath("huge.safetensors");
    write_raw(p, b, sizeof b);
    refuse(p, "exceeds the limit");

    memset(b, 0xff, 8); /* 2^64-1 must not wrap anything */
    write_raw(p, b, sizeof b);
    refuse(p, "exceeds the limit");

    uint64_t big = 1000;
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(big >> (8 * i));
    p = tpath("long.safetensors");
    write_raw(p, b, sizeof b);
    refuse(p, "truncated");

    memset(b, 0, 8);
    p = tpath("zero.safetensors");
    write_raw(p, b, sizeof b);
    refuse(p, "header length is 0");
}

static void test_bad_json(void)
{
    refuse(craft("garbage.safetensors", "{\"a\": [1, 2", 0), "not valid JSON");
    refuse(craft("garbage2.safetensors", "hello world", 0), "column");
    refuse(craft("trail.safetensors", "{} {}", 0), "JSON");
    refuse(craft("dup.safetensors",
                 "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                 "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2),
           "duplicate");
    refuse(craft("nul.safetensors",
                 "{\"a\\u0000b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1),
           "JSON");
    refuse(craft("bigint.safetensors",
                 "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,"
                 "99999999999999999999999]}}", 1), "JSON");
    refuse(craft("array.safetensors", "[1, 2]", 0), "expected a JSON object");
    refuse(craft("entry.safetensors", "{\"a\": 5}", 0), "expected an object");
}

#define ENTRY(dt, shape, offs) "{\"t\":{\"dtype\":" dt ",\"shape\":" shape ",\"data_offsets\":" offs "}}"

static void test_bad_entries(void)
{
    refuse(craft("dtype.safetensors", ENTRY("\"F16\"", "[2]", "[0,4]"), 4), "unknown dtype 'F16'");
    refuse(craft("dtype2.safetensors", ENTRY("7", "[1]", "[0,4]"), 4), "dtype");
    refuse(craft("dtype3.safetensors", "{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
           "missing \"dtype\"");
    refuse(craft("neg.safetensors", ENTRY("\"F32\"", "[-1]", "[0,4]"), 4), "negative");
    refuse(craft("real.safetensors", ENTRY("\"F32\"", "[1.0]", "[0,4]"), 4), "integer");
    refuse(craft("shape.safetensors", ENTRY("\"F32\"", "3", "[0,12]"), 12), "shape");
    refuse(craft("noshape.safetensors", "{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
           "missing");
    refuse(craft("dims.safetensors", ENTRY("\"U8\"", "[1,1,1,1,1,1,1,1,1]", "[0,1]"), 1), "dims");
    refuse(craft("ovf.safetensors",
                 ENTRY("\"F32\"", "[4294967296,4294967296,4]", "[0,0]"), 0), "overflows");
    refuse(craft("ovf2.safetensors",
                 ENTRY("\"U8\"", "[9223372036854775807,3]", "[0,0]"), 0), "overflows");
    refuse(craft("past.safetensors", ENTRY("\"F32\"", "[2]", "[0,8]"), 4), "past the end");
    refuse(craft("past2.safetensors", ENTRY("\"F32\"", "[0]", "[9223372036854775807,"
                                                               "9223372036854775807]"), 4),
           "past the end");
    refuse(craft("negoff.safetensors", ENTRY("\"F32\"", "[1]", "[-4,0]"), 4), "begin <= end");
    refuse(craft("rev.safetensors", ENTRY("\"F32\"", "[1]", "[4,0]"), 4), "begin <= end");
    refuse(craft("offs1.safetensors", ENTRY("\"F32\"", "[1]", "[0]"), 4), "data_offsets");
    refuse(craft("offs2.safetensors", ENTRY("\"F32\"", "[1]", "[\"0\",4]"), 4), "data_offsets");
    refuse(craft("offs3.safetensors", ENTRY("\"F32\"", "[1]", "{}"), 4), "data_offsets");
    refuse(craft("nooffs.safetensors", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4),
           "data_offsets");

    const char *p = craft("size.safetensors",
                          "{\"stage1.conv1.weight\":{\"dtype\":\"F32\",\"shape\":[32,3,3,3],"
                          "\"data_offsets\":[0,100]}}", 100);
    refuse(p, "tensor 'stage1.conv1.weight': data_offsets [0, 100] hold 100 bytes, but F32 "
              "[32, 3, 3, 3] needs 3456");

    refuse(craft("overlap.safetensors",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
           "overlap");
    refuse(craft("overlap0.safetensors",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 8),
           "overlap");
    refuse(craft("same.safetensors",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
           "overlap");
    refuse(craft("gap.safetensors",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12),
           "gap");
    refuse(craft("gap0.safetensors",
                 "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "gap");
    refuse(craft("tail.safetensors",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8), "gap");
    refuse(craft("nodata.safetensors", "{}", 4), "gap");

    refuse(craft("meta.safetensors", "{\"__metadata__\":{\"k\":1}}", 0), "metadata 'k'");
    refuse(craft("meta2.safetensors", "{\"__metadata__\":[\"k\"]}", 0), "object of strings");
    refuse(craft("meta3.safetensors", "{\"__metadata__\":{\"k\":\"v\",\"n\":null},"
                                      "\"a\":{\"dtype\":\"U8\",\"shape\":[1],"
                                      "\"data_offsets\":[0,1]}}", 1), "expected a string");

    /* Out-of-order offsets and zero-size tensors at the edges are valid. */
    const char *ok = craft("unordered.safetensors",
                           "{\"z0\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[0,0]},"
                           "\"b\":{\"dtype\":\"U8\",\"shape\":[2,2],\"data_offsets\":[4,8]},"
                           "\"a\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]},"
                           "\"z1\":{\"dtype\":\"U64\",\"shape\":[3,0],\"data_offsets\":[8,8]}}", 8);
    st_file_t f;
    err_t e = {{0}};
    CHECK(st_read(ok, &f, &e) == 0, "unordered: %s", e.msg);
    CHECK(f.count == 4 && strcmp(f.tensors[1].name, "b") == 0, "unordered count/order");
    CHECK(st_find(&f, "b") && st_find(&f, "b")->data == f.buf + f.size - 4, "b data pointer");
    st_close(&f);

    /* So is a header that is not padded to a multiple of 8 (others may
     * write one; the reader must not insist). */
    const char hdr[] = "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}";
    unsigned char raw[8 + sizeof hdr - 1 + 3];
    memset(raw, 0, 8);
    raw[0] = (unsigned char)(sizeof hdr - 1);
    memcpy(raw + 8, hdr, sizeof hdr - 1);
    memcpy(raw + 8 + sizeof hdr - 1, "xyz", 3);
    ok = tpath("unpadded.safetensors");
    write_raw(ok, raw, sizeof raw);
    uint8_t got[3] = {0};
    int64_t s3[1] = {3};
    CHECK((sizeof hdr - 1) % 8 != 0, "test header happens to be padded");
    CHECK(st_read(ok, &f, &e) == 0, "unpadded: %s", e.msg);
    CHECK(st_get(&f, "a", ST_U8, 1, s3, got, &e) == 0 && memcmp(got, "xyz", 3) == 0,
          "unpadded data: %s", e.msg);
    st_close(&f);
}

/* Random corruption must never crash or read out of bounds. */
static void test_fuzz(void)
{
    size_t n;
    unsigned char *orig = read_raw(tpath("model.safetensors"), &n);
    if (!orig)
        return;
    unsigned char *b = xmalloc(n);
    const char *p = tpath("fuzz.safetensors");
    const char *alphabet = "{}[]\",:0123456789-. eE";
    rng_t r;
    rng_seed(&r, 12345);
    int accepted = 0, bad = 0;
    for (int it = 0; it < 400; it++) {
        memcpy(b, orig, n);
        int flips = 1 + (int)rng_below(&r, 4);
        for (int k = 0; k < flips; k++) {
            size_t at = rng_below(&r, (uint32_t)(n < 400 ? n : 400));
            b[at] = rng_below(&r, 2) ? (unsigned char)rng_next(&r)
                                     : (unsigned char)alphabet[rng_below(&r, 22)];
        }
        write_raw(p, b, n);
        st_file_t f;
        err_t e = {{0}};
        if (st_read(p, &f, &e) == 0) {
            accepted++;
            for (int i = 0; i < f.count; i++) {
                const unsigned char *d = f.tensors[i].data;
                if (d < f.buf || d + f.tensors[i].nbytes > f.buf + f.size)
                    bad++;
            }
            st_close(&f);
        } else if (strstr(e.msg, p) != e.msg) {
            bad++;
        }
    }
    CHECK(bad == 0, "fuzz: %d bad results", bad);
    printf("fuzz: 400 corrupted files, %d still valid, all others refused\n", accepted);
    free(b);
    free(orig);
}

static void test_writer_errors(void)
{
    err_t e = {{0}};
    const char *p = tpath("w.safetensors");
    st_tensor_t t = {"x", ST_F32, 1, {3}, w, 8};
    CHECK(st_write(p, &t, 1, NULL, NULL, 0, &e) == -1, "nbytes mismatch accepted");
    CHECK(strstr(e.msg, p) == e.msg && strstr(e.msg, "needs 12"), "nbytes: %s", e.msg);
    CHECK(access(p, F_OK) != 0, "file created despite bad input");

    st_tensor_t two[2] = {{"x", ST_F32, 1, {1}, w, 4}, {"x", ST_F32, 1, {1}, w, 4}};
    CHECK(st_write(p, two, 2, NULL, NULL, 0, &e) == -1, "duplicate accepted");
    CHECK(strstr(e.msg, "duplicate") != NULL, "duplicate: %s", e.msg);

    st_tensor_t neg = {"x", ST_F32, 1, {-1}, w, 4};
    CHECK(st_write(p, &neg, 1, NULL, NULL, 0, &e) == -1, "negative dim accepted");
    st_tensor_t many = {"x", ST_F32, 9, {1}, w, 4};
    CHECK(st_write(p, &many, 1, NULL, NULL, 0, &e) == -1, "9 dims accepted");
    st_tensor_t meta = {"__metadata__", ST_U8, 1, {1}, labels, 1};
    CHECK(st_write(p, &meta, 1, NULL, NULL, 0, &e) == -1, "reserved name accepted");
    const char *nk[] = {"k"}, *nv[] = {NULL};
    CHECK(st_write(p, ref, 1, nk, nv, 1, &e) == -1, "NULL meta value accepted");

    const char *nodir = tpath("no/such/dir.safetensors");
    CHECK(st_write(nodir, ref, NT, NULL, NULL, 0, &e) == -1, "missing dir accepted");
    CHECK(strstr(e.msg, nodir) == e.msg, "missing dir: %s", e.msg);

    /* A full disk: /dev/full fails every write and must not be removed. */
    if (access("/dev/full", W_OK) == 0) {
        static float big[1 << 16];
        st_tensor_t bt = {"big", ST_F32, 1, {1 << 16}, big, sizeof big};
        CHECK(st_write("/dev/full", &bt, 1, NULL, NULL, 0, &e) == -1, "/dev/full accepted");
        CHECK(strstr(e.msg, "/dev/full: write failed") == e.msg, "/dev/full: %s", e.msg);
        CHECK(access("/dev/full", F_OK) == 0, "/dev/full was removed!");
    }

    /* A file size limit: the partial regular file must be removed. */
    struct rlimit old, lim;
    if (getrlimit(RLIMIT_FSIZE, &old) == 0) {
        void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
        lim = old;
        lim.rlim_cur = 4096;
        if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
            static float big[1 << 14];
            st_tensor_t bt = {"big", ST_F32, 1, {1 << 14}, big, sizeof big};
            const char *q = tpath("partial.safetensors");
            int rc = st_write(q, &bt, 1, NULL, NULL, 0, &e);
            setrlimit(RLIMIT_FSIZE, &old);
            CHECK(rc == -1, "write past RLIMIT_FSIZE accepted");
            CHECK(strstr(e.msg, q) == e.msg && strstr(e.msg, "failed"), "fsize: %s", e.msg);
            CHECK(access(q, F_OK) != 0, "partial file %s left behind", q);
        }
        signal(SIGXFSZ, prev);
    }
}

/* ---- Python cross-check ------------------------------------------------ */

static const char *py_check_c =
    "import sys, numpy as np\n"
    "from safetensors.numpy import load_file\n"
    "from safetensors import safe_open\n"
    "d = load_file(sys.argv[1])\n"
    "with safe_open(sys.argv[1], framework='np') as f: m = f.metadata()\n"
    "exp = {\n"
    " 'conv.weight': (np.arange(24, dtype=np.float32) * np.float32(0.25) - np.float32(3)).reshape(2,3,2,2),\n"
    " 'conv.bias': np.array([0.5, -1.5, 1e-30], dtype=np.float32),\n"
    " 'scalar': np.array(3.25, dtype=np.float32),\n"
    " 'empty': np.zeros((0, 4), dtype=np.float32),\n"
    " 'step': np.array([-5, 1234567890123], dtype=np.int64),\n"
    " 'seed': np.array([2**64 - 1], dtype=np.uint64),\n"
    " 'labels': np.array([0, 1, 2, 254, 255], dtype=np.uint8),\n"
    " 'counts': np.array([-7, 2147483647], dtype=np.int32)}\n"
    "bad = [k for k in exp if k not in d or d[k].dtype != exp[k].dtype\n"
    "       or d[k].shape != exp[k].shape or not np.array_equal(d[k], exp[k])]\n"
    "bad += ['extra'] if set(d) != set(exp) else []\n"
    "bad += ['metadata'] if m != {'epoch': '3', 'arch': 'mscnn-v1 \"quoted\" \\u00e9'} else []\n"
    "print('OK' if not bad else 'BAD %s' % bad)\n";

static const char *py_write =
    "import sys, numpy as np\n"
    "from safetensors.numpy import save_file\n"
    "save_file({'w': (np.arange(12, dtype=np.float32) / np.float32(8)).reshape(3, 4),\n"
    "           's': np.array(-2.5, dtype=np.float32),\n"
    "           'e': np.zeros((2, 0), dtype=np.float32),\n"
    "           'i': np.array([1, -2, 3], dtype=np.int64),\n"
    "           'u': np.array([7, 2**63], dtype=np.uint64),\n"
    "           'b': np.array([9, 8, 7], dtype=np.uint8),\n"
    "           'k': np.array([-1, 5], dtype=np.int32)},\n"
    "          sys.argv[1], metadata={'from': 'python'})\n"
    "print('OK')\n";

static int run_py(const char *script_name, const char *script, const char *arg, char *out,
                  size_t cap)
{
    const char *sp = tpath(script_name);
    if (write_raw(sp, script, strlen(script)) < 0)
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s' 2>&1", sp, arg);
    FILE *pp = popen(cmd, "r");
    if (!pp)
        return -1;
    size_t n = fread(out, 1, cap - 1, pp);
    out[n] = '\0';
    return pclose(pp);
}

static void test_python(void)
{
    if (system("python3 -c 'import safetensors.numpy, numpy' >/dev/null 2>&1") != 0) {
        printf("note: python3 with safetensors and numpy not available; "
               "skipping the Python cross-check\n");
        return;
    }
    char out[4096];
    const char *cfile = tpath("from_c.safetensors");
    err_t e = {{0}};
    CHECK(st_write(cfile, ref, NT, mkeys, mvals, 2, &e) == 0, "write: %s", e.msg);
    int rc = run_py("check_c.py", py_check_c, cfile, out, sizeof out);
    CHECK(rc == 0 && strncmp(out, "OK", 2) == 0, "python reading the C file: %s", out);

    const char *pfile = tpath("from_py.safetensors");
    rc = run_py("write_py.py", py_write, pfile, out, sizeof out);
    CHECK(rc == 0 && strncmp(out, "OK", 2) == 0, "python writing: %s", out);
    st_file_t f;
    CHECK(st_read(pfile, &f, &e) == 0, "C reading the python file: %s", e.msg);
    if (f.buf) {
        float wv[12], sv, dummy;
        int64_t iv[3];
        uint64_t uv[2];
        uint8_t bv[3];
        int32_t kv[2];
        int64_t s34[2] = {3, 4}, s3[1] = {3}, s2[1] = {2}, s20[2] = {2, 0};
        CHECK(st_get(&f, "w", ST_F32, 2, s34, wv, &e) == 0, "w: %s", e.msg);
        for (int i = 0; i < 12; i++)
            CHECK(wv[i] == (float)i / 8.0f, "w[%d] = %g", i, wv[i]);
        CHECK(st_get(&f, "s", ST_F32, 0, NULL, &sv, &e) == 0 && sv == -2.5f, "s: %s", e.msg);
        CHECK(st_get(&f, "e", ST_F32, 2, s20, &dummy, &e) == 0, "e: %s", e.msg);
        CHECK(st_get(&f, "i", ST_I64, 1, s3, iv, &e) == 0 && iv[0] == 1 && iv[1] == -2 &&
                  iv[2] == 3, "i: %s", e.msg);
        CHECK(st_get(&f, "u", ST_U64, 1, s2, uv, &e) == 0 && uv[0] == 7 &&
                  uv[1] == (1ULL << 63), "u: %s", e.msg);
        CHECK(st_get(&f, "b", ST_U8, 1, s3, bv, &e) == 0 && bv[0] == 9 && bv[2] == 7,
              "b: %s", e.msg);
        CHECK(st_get(&f, "k", ST_I32, 1, s2, kv, &e) == 0 && kv[0] == -1 && kv[1] == 5,
              "k: %s", e.msg);
        CHECK(st_meta(&f, "from") && strcmp(st_meta(&f, "from"), "python") == 0, "py meta");
        st_close(&f);
        printf("python cross-check: ran (C->python and python->C)\n");
    }
}

int main(void)
{
    strcpy(tmpdir, "/tmp/test_st.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    fill_ref();
    CHECK(st_dtype_size(ST_F32) == 4 && st_dtype_size(ST_U8) == 1 &&
              st_dtype_size(ST_I64) == 8 && st_dtype_size(ST_U64) == 8 &&
              st_dtype_size(ST_I32) == 4, "dtype sizes");
    CHECK(strcmp(st_dtype_name(ST_U64), "U64") == 0, "dtype name");
    st_file_t z;
    memset(&z, 0, sizeof z);
    st_close(&z); /* zeroed struct */

    test_round_trip();
    test_truncated();
    test_header_length();
    test_bad_json();
    test_bad_entries();
    test_fuzz();
    test_writer_errors();
    test_python();

    CHECK(remove_tree(tmpdir) == 0, "cleanup of %s", tmpdir);
    return check_done("test_safetensors");
}

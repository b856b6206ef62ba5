/* test_model_io.c - the model directory round trip and its refusals, and
 * history.csv read back through libcsv's parser. */
#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/registry.h"
#include "engine/backend.h"
#include "check.h"
#include "train/history.h"
#include "model/model_io.h"
#include "model/safetensors.h"
#include "engine/net.h"

static char tmpdir[] = "/tmp/mscnn-test-model-XXXXXX";
#define HAS(msg, s) CHECK(strstr((msg), (s)) != NULL, "message '%s' lacks '%s'", (msg), (s))

static model_t *make_model(backend_t *be, uint64_t seed)
{
    err_t e;
    model_t *m = model_new(be, "basic", 10, 3, 32, 32, 4, &e);
    CHECK(m != NULL, "model_new: %s", e.msg);
    model_init(m, seed);
    for (size_t i = 0; i < m->stage1->total; i++) /* make velocity non-trivial */
        m->stage1->velocity[i] = (float)i * 1e-6f;
    for (size_t i = 0; i < m->judge->total * 10; i++)
        m->judge_velocity[i] = (float)i * 1e-7f;
    return m;
}

/* Every parameter and momentum of Stage 1 and all judges equal. */
static void check_same(const model_t *a, const model_t *b)
{
    const net_t *nets[2] = {a->stage1, a->judge};
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < nets[w]->nparams; i++) {
            const param_t *p = &nets[w]->params[i];
            for (int c = 0; c < (w ? 10 : 1); c++) {
                const float *da = w ? model_judge_data(a, c) : a->stage1->data;
                const float *db = w ? model_judge_data(b, c) : b->stage1->data;
                const float *va = w ? model_judge_velocity(a, c) : a->stage1->velocity;
                const float *vb = w ? model_judge_velocity(b, c) : b->stage1->velocity;
                CHECK(!memcmp(da + p->offset, db + p->offset, p->count * sizeof(float)),
                      "%s (judge %d) weights identical", p->name, c);
                CHECK(!memcmp(va + p->offset, vb + p->offset, p->count * sizeof(float)),
                      "%s (judge %d) momentum identical", p->name, c);
            }
        }
}

static void fill_meta(model_meta_t *m)
{
    memset(m, 0, sizeof *m);
    strcpy(m->arch, "basic");
    strcpy(m->dataset, "synth");
    m->k = 10;
    for (int c = 0; c < 10; c++)
        snprintf(m->class_names[c], MODEL_NAME_LEN, "class%d", c);
    for (int i = 0; i < 3; i++)
        m->mean[i] = 0.1f * (float)(i + 1), m->std[i] = 0.2f + 0.01f * (float)i;
    m->epoch = 3;
    m->run_start = 1; /* a run of 5 epochs after epoch 1, two done */
    m->run_epochs = 5;
    m->stage1_frozen = 1;
    m->step = 4242;
    m->judge_holdout = 0.125;
    for (int c = 0; c < 10; c++) {
        m->tau[c] = c == 9 ? nextafter(1.0, 2.0) : 0.5 + 0.01 * c; /* 9: rejects all */
        m->trainable[c] = c % 3 != 0;
    }
    strcpy(m->tuned_by, "coverage=0.9");
    rng_seed(&m->rng, 99);
}

static void corrupt_truncate(const char *path, off_t len)
{
    CHECK(truncate(path, len) == 0, "truncate %s", path);
}

static void test_round_trip(backend_t *be)
{
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/m", tmpdir);
    model_t *a = make_model(be, 1), *b = make_model(be, 2);
    model_meta_t ma, mb;
    err_t e = {{0}};
    fill_meta(&ma);
    CHECK(model_save(dir, a, &ma, &e) == 0, "save: %s", e.msg);
    CHECK(model_save(dir, a, &ma, &e) == 0, "save over an existing model: %s", e.msg);
    CHECK(model_load_meta(dir, &mb, &e) == 0, "load meta: %s", e.msg);
    CHECK(model_load_weights(dir, b, &mb, &e) == 0, "load weights: %s", e.msg);
    check_same(a, b);
    CHECK(mb.epoch == 3 && mb.step == 4242, "epoch %d step %lld", mb.epoch, (long long)mb.step);
    CHECK(!memcmp(&ma.rng, &mb.rng, sizeof ma.rng), "rng state restored");
    CHECK(!strcmp(mb.class_names[9], "class9") && mb.k == 10, "class names");
    CHECK(ma.mean[2] == mb.mean[2] && ma.std[1] == mb.std[1], "normalisation exact");
    CHECK(mb.tau[7] == ma.tau[7] && mb.trainable[3] == 0 && mb.trainable[4] == 1,
          "thresholds and trainable flags");
    CHECK(mb.tau[9] == ma.tau[9], "a tau that rejects every score (just above 1) comes back");
    CHECK(mb.judge_holdout == 0.125 && !strcmp(mb.tuned_by, "coverage=0.9"), "stage2 meta");
    CHECK(mb.run_start == 1 && mb.run_epochs == 5 && mb.stage1_frozen == 1,
          "the run: after %d, %d epochs, frozen %d", mb.run_start, mb.run_epochs,
          mb.stage1_frozen);
    CHECK(b->la.slow == NULL, "no lookahead saved, none loaded");

    /* a lookahead in progress is saved and comes back where it was */
    lookahead_init(&a->la, a->stage1, 100);
    for (int i = 0; i < 37; i++)
        lookahead_step(&a->la, a->stage1);
    a->la.slow[5] = 0.375f; /* not the weights: the slow copy itself is saved */
    CHECK(model_save(dir, a, &ma, &e) == 0, "save with a lookahead: %s", e.msg);
    CHECK(model_load_weights(dir, b, &mb, &e) == 0, "load with a lookahead: %s", e.msg);
    CHECK(b->la.slow && b->la.step == 37 && b->la.total == 100 && b->la.n == a->la.n,
          "lookahead step %ld of %ld", b->la.step, b->la.total);
    CHECK(b->la.slow && !memcmp(a->la.slow, b->la.slow, a->la.n * sizeof(float)),
          "the slow copy is identical");
    lookahead_free(&a->la);
    CHECK(model_save(dir, a, &ma, &e) == 0 && model_load_weights(dir, b, &mb, &e) == 0,
          "save and load without: %s", e.msg);
    CHECK(b->la.slow == NULL, "a model saved without a lookahead loads without one");

    /* a truncated weight file is refused, names the file, changes nothing */
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    struct stat st;
    stat(path, &st);
    corrupt_truncate(path, st.st_size - 100);
    CHECK(model_load_weights(dir, b, &mb, &e) != 0, "truncated weights refused");
    CHECK(strstr(e.msg, "model.safetensors") != NULL, "message names the file: %s", e.msg);

    /* a model.ini that disagrees with itself */
    snprintf(path, sizeof path, "%s/model.ini", dir);
    FILE *fp = fopen(path, "a");
    fprintf(fp, "[model]\nclasses = 11\n");
    fclose(fp);
    CHECK(model_load_meta(dir, &mb, &e) != 0, "inconsistent model.ini refused");
    CHECK(strstr(e.msg, "model.ini") != NULL, "message names model.ini: %s", e.msg);
    fp = fopen(path, "a");
    fprintf(fp, "[model]\nsurprise = 1\n");
    fclose(fp);
    CHECK(model_load_meta(dir, &mb, &e) != 0 && strstr(e.msg, "surprise"),
          "unknown key named: %s", e.msg);
    CHECK(model_load_meta(tmpdir, &mb, &e) != 0 && strstr(e.msg, "model.ini"),
          "a directory without a model: %s", e.msg);
    model_free(a);
    model_free(b);
}

/* The whole file (NULL, 0 when unreadable). */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf = NULL;
    *n = 0;
    if (!fp)
        return NULL;
    size_t cap = 0, got;
    do {
        buf = realloc(buf, cap += 1 << 16);
        got = fread(buf + *n, 1, cap - *n, fp);
        *n += got;
    } while (got > 0);
    fclose(fp);
    return buf;
}

/* NaN weights are never saved, and a file holding one is refused on
 * loading, naming the file, the tensor and the element. */
static void test_nonfinite(backend_t *be)
{
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/nan", tmpdir);
    model_t *a = make_model(be, 3);
    model_meta_t ma, mb;
    err_t e = {{0}};
    fill_meta(&ma);
    CHECK(model_save(dir, a, &ma, &e) == 0, "save: %s", e.msg);
    CHECK(model_check_finite(a, &e) == 0, "a fresh model is finite: %s", e.msg);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    size_t nbefore = 0, nafter = 0;
    unsigned char *before = slurp(path, &nbefore);

    /* a NaN weight in memory: not saved, the saved model is untouched */
    const param_t *w = net_find_param(a->stage1, "stage1.fc2.weight");
    CHECK(w != NULL, "stage1.fc2.weight exists");
    float keep = a->stage1->data[w->offset + 12];
    a->stage1->data[w->offset + 12] = NAN;
    CHECK(model_check_finite(a, &e) != 0 &&
              strstr(e.msg, "tensor stage1.fc2.weight has a non-finite value (NaN) at element 12"),
          "check names the tensor: %s", e.msg);
    CHECK(model_save(dir, a, &ma, &e) != 0, "NaN weights are not saved");
    CHECK(strstr(e.msg, dir) && strstr(e.msg, "stage1.fc2.weight") && strstr(e.msg, "NaN"),
          "save refusal names the directory and tensor: %s", e.msg);
    unsigned char *after = slurp(path, &nafter);
    CHECK(nbefore > 0 && nafter == nbefore && !memcmp(before, after, nafter),
          "the saved model is untouched");
    free(before);
    free(after);
    a->stage1->data[w->offset + 12] = keep;
    model_judge_velocity(a, 2)[5] = INFINITY;
    CHECK(model_save(dir, a, &ma, &e) != 0 && strstr(e.msg, "velocity.judge.2."),
          "infinite momentum is not saved: %s", e.msg);
    model_judge_velocity(a, 2)[5] = 0;

    /* a file with a NaN weight (written behind mscnn's back) is refused */
    st_file_t f = {0};
    CHECK(st_read(path, &f, &e) == 0, "read: %s", e.msg);
    const st_tensor_t *t = st_find(&f, "stage1.fc2.weight");
    long off = t ? (long)((const unsigned char *)t->data - f.buf) : 0;
    st_close(&f);
    float nan = NAN;
    FILE *fp = fopen(path, "r+b");
    CHECK(fp && off > 0 && fseek(fp, off + 12 * 4, SEEK_SET) == 0 &&
              fwrite(&nan, 4, 1, fp) == 1,
          "patch a NaN into the file");
    if (fp)
        fclose(fp);
    model_t *b = make_model(be, 4);
    CHECK(model_load_meta(dir, &mb, &e) == 0, "load meta: %s", e.msg);
    CHECK(model_load_weights(dir, b, &mb, &e) != 0, "a NaN weight in the file is refused");
    CHECK(strstr(e.msg, "model.safetensors: tensor stage1.fc2.weight has a non-finite value "
                        "(NaN) at element 12"),
          "load refusal names file, tensor and element: %s", e.msg);
    model_free(a);
    model_free(b);
}

static void test_refuse_foreign_dir(backend_t *be)
{
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/precious", tmpdir);
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    FILE *fp = fopen(path, "w");
    fputs("keep me\n", fp);
    fclose(fp);
    model_t *a = make_model(be, 1);
    model_meta_t m;
    fill_meta(&m);
    err_t e = {{0}};
    CHECK(model_save(dir, a, &m, &e) != 0, "refuses to replace a non-model directory");
    CHECK(strstr(e.msg, "precious") != NULL, "names it: %s", e.msg);
    CHECK(access(path, F_OK) == 0, "the user's file is still there");
    unlink(path);
    rmdir(dir);
    model_free(a);
}

/* Writes a safetensors file with this header and a data section of
 * data_bytes (a hole: the file is sparse, so 30 GiB cost no disk). */
static int write_claim(const char *path, const char *header, long long data_bytes)
{
    size_t n = strlen(header), padded = (n + 7) & ~(size_t)7;
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    fwrite(len8, 1, 8, fp);
    fputs(header, fp);
    for (size_t i = n; i < padded; i++)
        fputc(' ', fp);
    int rc = ftruncate(fileno(fp), (off_t)(8 + padded) + data_bytes);
    return fclose(fp) | rc;
}

/* Hostile model directories: refused with a message naming the file, never
 * a crash, a hang or an allocation of what a header claims. */
static void test_hostile_files(backend_t *be)
{
    char dir[256], path[300], ini[300];
    snprintf(dir, sizeof dir, "%s/hostile", tmpdir);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    snprintf(ini, sizeof ini, "%s/model.ini", dir);
    model_t *a = make_model(be, 1);
    model_meta_t ma, mb;
    fill_meta(&ma);
    err_t e = {{0}};
    CHECK(model_save(dir, a, &ma, &e) == 0, "save: %s", e.msg);

    /* a valid header claiming a 30 GiB tensor (the file really is that
     * long, sparse): refused from the header, nothing allocated */
    const long long big = 30LL << 30;
    char h[256];
    snprintf(h, sizeof h, "{\"stage1.fc2.weight\":{\"dtype\":\"F32\",\"shape\":[%lld],"
             "\"data_offsets\":[0,%lld]}}", big / 4, big);
    CHECK(write_claim(path, h, big) == 0, "write the 30 GiB claim");
    CHECK(model_load_meta(dir, &mb, &e) == 0, "meta: %s", e.msg);
    CHECK(model_load_weights(dir, a, &mb, &e) != 0, "30 GiB claim refused");
    HAS(e.msg, "model.safetensors: tensor 'stage1.fc2.weight': expected shape [10, ");
    HAS(e.msg, "file has [8053063680]");
    snprintf(h, sizeof h, "{\"huge\":{\"dtype\":\"U8\",\"shape\":[%lld],"
             "\"data_offsets\":[0,%lld]}}", big, big);
    CHECK(write_claim(path, h, big) == 0, "write the unknown claim");
    CHECK(model_load_weights(dir, a, &mb, &e) != 0, "unknown tensor refused");
    HAS(e.msg, "tensor 'huge' is not a parameter of this model's architecture");
    unlink(path);

    /* model.safetensors a FIFO: refused at once, no wait for a writer */
    CHECK(mkfifo(path, 0600) == 0, "mkfifo");
    CHECK(model_load_weights(dir, a, &mb, &e) != 0, "FIFO refused");
    HAS(e.msg, "model.safetensors' is a FIFO (named pipe), not a regular file");
    unlink(path);

    /* model.ini a directory, a link to /dev/zero, a duplicate key */
    unlink(ini);
    CHECK(mkdir(ini, 0700) == 0, "mkdir model.ini");
    CHECK(model_load_meta(dir, &mb, &e) != 0, "model.ini directory refused");
    HAS(e.msg, "model.ini' is a directory, not a regular file");
    rmdir(ini);
    CHECK(symlink("/dev/zero", ini) == 0, "symlink");
    CHECK(model_load_meta(dir, &mb, &e) != 0, "model.ini -> /dev/zero refused");
    HAS(e.msg, "model.ini' is a character device, not a regular file");
    unlink(ini);
    FILE *fp = fopen(ini, "w");
    fputs("[model]\nformat_version = 1\narch = basic\n; note\n\narch = air\n", fp);
    fclose(fp);
    CHECK(model_load_meta(dir, &mb, &e) != 0, "duplicate key refused");
    HAS(e.msg, "model.ini:6: [model] arch: duplicate key, already given on line 3");
    unlink(ini);
    snprintf(path, sizeof path, "%s/state.safetensors", dir);
    unlink(path);
    rmdir(dir);
    model_free(a);
}

typedef struct {
    int rows, fields;
    char first[8][32];
} csv_seen_t;

static void on_field(void *s, size_t len, void *user)
{
    csv_seen_t *c = user;
    if (c->rows == 0 && c->fields < 8)
        snprintf(c->first[c->fields], sizeof c->first[0], "%.*s", (int)len, (char *)s);
    c->fields++;
}

static void on_row(int ch, void *user)
{
    (void)ch;
    csv_seen_t *c = user;
    c->rows++;
    c->fields = 0;
}

static csv_seen_t read_csv(const char *path)
{
    csv_seen_t seen = {0};
    struct csv_parser p;
    csv_init(&p, CSV_STRICT);
    FILE *fp = fopen(path, "rb");
    char buf[4096];
    size_t n;
    while (fp && (n = fread(buf, 1, sizeof buf, fp)) > 0)
        CHECK(csv_parse(&p, buf, n, on_field, on_row, &seen) == n, "csv parses");
    csv_fini(&p, on_field, on_row, &seen);
    csv_free(&p);
    if (fp)
        fclose(fp);
    return seen;
}

static void test_history(void)
{
    const char *cols[] = {"epoch", "loss", "name, with comma"};
    history_t h;
    err_t e = {{0}};
    char path[300];
    snprintf(path, sizeof path, "%s/history.csv", tmpdir);
    CHECK(history_open(&h, tmpdir, cols, 3, -1, &e) == 0, "open: %s", e.msg);
    double r1[3] = {1, 0.5, 2.25}, r2[3] = {2, 0.25, 3};
    CHECK(history_write(&h, r1, &e) == 0 && history_write(&h, r2, &e) == 0, "rows");
    history_close(&h);
    csv_seen_t s = read_csv(path);
    CHECK(s.rows == 3, "header + 2 rows, got %d", s.rows);
    CHECK(!strcmp(s.first[2], "name, with comma"), "quoted header field: %s", s.first[2]);
    CHECK(history_open(&h, tmpdir, cols, 3, 2, &e) == 0, "reopen to append: %s", e.msg);
    double r3[3] = {3, 0.125, 4};
    CHECK(history_write(&h, r3, &e) == 0, "append");
    history_close(&h);
    s = read_csv(path);
    CHECK(s.rows == 4, "appended to the same header, got %d rows", s.rows);
    /* a run resumed after epoch 1: the rows of epochs 2 and 3 go */
    CHECK(history_open(&h, tmpdir, cols, 3, 1, &e) == 0, "resume after 1: %s", e.msg);
    CHECK(history_write(&h, r2, &e) == 0, "the new epoch 2");
    history_close(&h);
    s = read_csv(path);
    CHECK(s.rows == 3, "header, epoch 1 and the new epoch 2, got %d rows", s.rows);
    CHECK(!strcmp(s.first[2], "name, with comma"), "the header survives: %s", s.first[2]);
    CHECK(history_open(&h, tmpdir, cols, 2, 1, &e) == 0, "other header: %s", e.msg);
    history_close(&h);
    CHECK(read_csv(path).rows == 1, "a different header starts a new file");
    unlink(path);
}

int main(void)
{
    CHECK(mkdtemp(tmpdir) != NULL, "mkdtemp");
    backend_t *be = backend_open("cpu", 1, NULL);
    test_round_trip(be);
    test_refuse_foreign_dir(be);
    test_nonfinite(be);
    test_hostile_files(be);
    test_history();
    backend_free(be);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_done("test_model_io");
}

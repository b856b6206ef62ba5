/* test_model_io.c - the model directory round trip and its refusals, and
 * history.csv read back through libcsv's parser. */
#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "check.h"
#include "history.h"
#include "model_io.h"
#include "net.h"

static char tmpdir[] = "/tmp/mscnn-test-model-XXXXXX";

static net_t *make_net(backend_t *be, uint64_t seed)
{
    err_t e;
    net_spec_t spec = {.arch = "basic", .prefix = "stage1.", .k = 10, .in_c = 3, .in_h = 32,
                       .in_w = 32, .max_batch = 4};
    net_t *net = net_new(be, &spec, &e);
    CHECK(net != NULL, "net_new: %s", e.msg);
    net_init(net, seed);
    for (size_t i = 0; i < net->total; i++) /* make velocity non-trivial */
        net->velocity[i] = (float)i * 1e-6f;
    return net;
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
    m->step = 4242;
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
    net_t *a = make_net(be, 1), *b = make_net(be, 2);
    model_meta_t ma, mb;
    err_t e = {{0}};
    fill_meta(&ma);
    CHECK(model_save(dir, a, &ma, &e) == 0, "save: %s", e.msg);
    CHECK(model_save(dir, a, &ma, &e) == 0, "save over an existing model: %s", e.msg);
    CHECK(model_load_meta(dir, &mb, &e) == 0, "load meta: %s", e.msg);
    CHECK(model_load_weights(dir, b, &mb, &e) == 0, "load weights: %s", e.msg);
    CHECK(!memcmp(a->data, b->data, a->total * sizeof(float)), "weights bit-identical");
    for (int i = 0; i < a->nparams; i++) {
        const param_t *p = &a->params[i];
        CHECK(!memcmp(a->velocity + p->offset, b->velocity + p->offset, p->count * sizeof(float)),
              "velocity of %s identical", p->name);
    }
    CHECK(mb.epoch == 3 && mb.step == 4242, "epoch %d step %lld", mb.epoch, (long long)mb.step);
    CHECK(!memcmp(&ma.rng, &mb.rng, sizeof ma.rng), "rng state restored");
    CHECK(!strcmp(mb.class_names[9], "class9") && mb.k == 10, "class names");
    CHECK(ma.mean[2] == mb.mean[2] && ma.std[1] == mb.std[1], "normalisation exact");

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
    net_free(a);
    net_free(b);
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
    net_t *a = make_net(be, 1);
    model_meta_t m;
    fill_meta(&m);
    err_t e = {{0}};
    CHECK(model_save(dir, a, &m, &e) != 0, "refuses to replace a non-model directory");
    CHECK(strstr(e.msg, "precious") != NULL, "names it: %s", e.msg);
    CHECK(access(path, F_OK) == 0, "the user's file is still there");
    unlink(path);
    rmdir(dir);
    net_free(a);
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
    CHECK(history_open(&h, tmpdir, cols, 3, 0, &e) == 0, "open: %s", e.msg);
    double r1[3] = {1, 0.5, 2.25}, r2[3] = {2, 0.25, 3};
    CHECK(history_write(&h, r1, &e) == 0 && history_write(&h, r2, &e) == 0, "rows");
    history_close(&h);
    csv_seen_t s = read_csv(path);
    CHECK(s.rows == 3, "header + 2 rows, got %d", s.rows);
    CHECK(!strcmp(s.first[2], "name, with comma"), "quoted header field: %s", s.first[2]);
    CHECK(history_open(&h, tmpdir, cols, 3, 1, &e) == 0, "reopen to append: %s", e.msg);
    CHECK(history_write(&h, r1, &e) == 0, "append");
    history_close(&h);
    CHECK(read_csv(path).rows == 4, "appended to the same header");
    CHECK(history_open(&h, tmpdir, cols, 2, 1, &e) == 0, "other header: %s", e.msg);
    history_close(&h);
    CHECK(read_csv(path).rows == 1, "a different header starts a new file");
    unlink(path);
}

int main(void)
{
    CHECK(mkdtemp(tmpdir) != NULL, "mkdtemp");
    backend_t *be = backend_new("cpu", 1);
    test_round_trip(be);
    test_refuse_foreign_dir(be);
    test_history();
    backend_free(be);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_done("test_model_io");
}

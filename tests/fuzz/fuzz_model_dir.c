/* fuzz_model_dir.c - loading a model directory: the input holds model.ini,
 * model.safetensors and state.safetensors, separated by the line
 * "--8<--"; model.ini is read (model_load_meta), and when it describes a
 * small model the net is built and its weights loaded. */
#include "fuzz_common.h"
#include "backends/registry.h"
#include "model/model_io.h"

#define CUT "\n--8<--\n"

static backend_t *be;

/* The first cut in [s, end), or NULL. */
static const uint8_t *find_cut(const uint8_t *s, const uint8_t *end)
{
    size_t n = strlen(CUT);
    for (; s + n <= end; s++)
        if (!memcmp(s, CUT, n))
            return s;
    return NULL;
}

/* The part of data after the n-th cut (the whole rest for the last). */
static void part(const uint8_t *data, size_t size, int n, const uint8_t **p, size_t *len)
{
    const uint8_t *s = data, *end = data + size;
    for (int i = 0; i <= n; i++) {
        const uint8_t *c = find_cut(s, end);
        if (i == n) {
            *p = s;
            *len = (size_t)((c ? c : end) - s);
            return;
        }
        s = c ? c + strlen(CUT) : end;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!be && !(be = backend_open("ref", 1, NULL)))
        abort();
    static const char *names[3] = {"m/model.ini", "m/model.safetensors", "m/state.safetensors"};
    char dir[300];
    snprintf(dir, sizeof dir, "%s/m", fuzz_dir());
    mkdir(dir, 0700);
    for (int i = 0; i < 3; i++) {
        const uint8_t *p;
        size_t len;
        part(data, size, i, &p, &len);
        fuzz_file(names[i], p, len);
    }
    model_meta_t m;
    err_t e;
    if (model_load_meta(dir, &m, &e) || m.k > 10)
        return 0;
    model_t *model = model_new(be, m.arch, m.k, 3, 32, 32, 1, &e);
    if (model) {
        model_load_weights(dir, model, &m, &e);
        model_free(model);
    }
    return 0;
}

/* seeds: a saved two-class basic model, its three files joined (large:
 * few runs a second), and its model.ini alone (fast: the mutations of
 * model.ini explore from this one) */
static void fuzz_seed(const char *dir)
{
    backend_t *b = backend_open("ref", 1, NULL);
    err_t e;
    model_t *model = b ? model_new(b, "basic", 2, 3, 32, 32, 1, &e) : NULL;
    if (!model)
        abort();
    model_init(model, 1);
    model_meta_t m;
    memset(&m, 0, sizeof m);
    strcpy(m.arch, "basic");
    strcpy(m.dataset, "synth");
    strcpy(m.tuned_by, "threshold");
    m.k = 2;
    for (int c = 0; c < 2; c++) {
        snprintf(m.class_names[c], MODEL_NAME_LEN, "class%d", c);
        m.tau[c] = 0.5;
        m.trainable[c] = 1;
    }
    for (int i = 0; i < 3; i++)
        m.mean[i] = 0.5f, m.std[i] = 0.25f;
    char md[300], p[400], out[512];
    snprintf(md, sizeof md, "%s/seed-model", fuzz_dir());
    if (model_save(md, model, &m, &e))
        abort();
    snprintf(out, sizeof out, "%s/model.seed", dir);
    FILE *o = fopen(out, "wb");
    const char *files[3] = {"model.ini", "model.safetensors", "state.safetensors"};
    for (int i = 0; o && i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", md, files[i]);
        FILE *in = fopen(p, "rb");
        int ch;
        while (in && (ch = fgetc(in)) != EOF)
            fputc(ch, o);
        if (in)
            fclose(in);
        if (i < 2)
            fputs(CUT, o);
    }
    if (o)
        fclose(o);
    snprintf(p, sizeof p, "%s/model.ini", md);
    snprintf(out, sizeof out, "%s/model_ini.seed", dir);
    FILE *in = fopen(p, "rb"), *oi = fopen(out, "wb");
    int ch;
    while (in && oi && (ch = fgetc(in)) != EOF)
        fputc(ch, oi);
    if (in)
        fclose(in);
    if (oi)
        fclose(oi);
    model_free(model);
    backend_free(b);
}

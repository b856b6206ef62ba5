/* model_io.c - saving and loading the model directory. */
#include "model/model_io.h"

#include <errno.h>
#include <math.h>
#include <ini.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "model/model_dir.h"
#include "model/safetensors.h"

#define PATH_LEN 4096
#define MODEL_INI_MAX_BYTES (1 << 20) /* a real one is under 20 kB */

/* Paths come from options limited to 1023 characters, so this fits. */
static void path_join(char *out, const char *dir, const char *file)
{
    if (snprintf(out, PATH_LEN, "%s/%s", dir, file) >= PATH_LEN)
        out[0] = 0;
}

/* ---- the tensors of a model ---------------------------------------------- */

/* Every parameter of Stage 1 and of each judge, with its saved name and
 * where its values sit in the host copies. */
typedef struct {
    char name[NET_NAME_LEN + 16];
    const param_t *p;
    size_t offset;        /* into the host copy of all parameters */
} entry_t;

typedef struct {
    entry_t *e;
    int n;
    size_t s1_total, j_total, total;  /* floats: stage 1, one judge, all */
} entries_t;

static void collect(const model_t *m, entries_t *t)
{
    const net_t *s1 = m->stage1, *j = m->judge;
    t->s1_total = s1->total;
    t->j_total = j->total;
    t->total = s1->total + j->total * (size_t)m->k;
    t->n = s1->nparams + j->nparams * m->k;
    t->e = xcalloc(t->n, sizeof *t->e);
    int n = 0;
    for (int i = 0; i < s1->nparams; i++, n++) {
        snprintf(t->e[n].name, sizeof t->e[n].name, "%s", s1->params[i].name);
        t->e[n].p = &s1->params[i];
        t->e[n].offset = s1->params[i].offset;
    }
    size_t plen = strlen("judge.");
    for (int c = 0; c < m->k; c++)
        for (int i = 0; i < j->nparams; i++, n++) {
            snprintf(t->e[n].name, sizeof t->e[n].name, "judge.%d.%s", c,
                     j->params[i].name + plen);
            t->e[n].p = &j->params[i];
            t->e[n].offset = s1->total + (size_t)c * j->total + j->params[i].offset;
        }
}

/* Host copies of all parameters (or all momentum) in entries_t order. */
static void download_all(const model_t *m, const entries_t *t, float *host, int velocity)
{
    backend_t *be = m->be;
    be->download(be, host, velocity ? m->stage1->velocity : m->stage1->data, t->s1_total);
    be->download(be, host + t->s1_total, velocity ? m->judge_velocity : m->judge_data,
                 t->j_total * (size_t)m->k);
}

static void upload_all(model_t *m, const entries_t *t, const float *host, int velocity)
{
    backend_t *be = m->be;
    be->upload(be, velocity ? m->stage1->velocity : m->stage1->data, host, t->s1_total);
    be->upload(be, velocity ? m->judge_velocity : m->judge_data, host + t->s1_total,
               t->j_total * (size_t)m->k);
}

static void fill_tensor(st_tensor_t *st, char *name, const param_t *p, const float *v)
{
    st->name = name;
    st->dtype = ST_F32;
    st->ndim = p->ndim;
    for (int d = 0; d < p->ndim; d++)
        st->shape[d] = p->shape[d];
    st->data = v;
    st->nbytes = p->count * sizeof(float);
}

/* The first non-finite value of a host copy in entries_t order: 0, or -1
 * with *at the entry and *el the element within it. */
static int find_nonfinite(const entries_t *t, const float *host, int *at, size_t *el)
{
    for (int i = 0; i < t->n; i++) {
        const float *v = host + t->e[i].offset;
        for (size_t j = 0; j < t->e[i].p->count; j++)
            if (!isfinite(v[j])) {
                *at = i;
                *el = j;
                return -1;
            }
    }
    return 0;
}

static const char *nonfinite_kind(float v) { return isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf"; }

/* e: "tensor NAME has a non-finite value (NaN) at element N" (what = "" or
 * "velocity."), after prefix. */
static int nonfinite_error(err_t *e, const char *prefix, const char *what, const entries_t *t,
                           const float *host, int at, size_t el)
{
    return err_set(e, "%stensor %s%s has a non-finite value (%s) at element %zu", prefix, what,
                   t->e[at].name, nonfinite_kind(host[t->e[at].offset + el]), el);
}

int model_check_finite(const model_t *model, err_t *e)
{
    entries_t t;
    collect(model, &t);
    float *host = afloat(t.total);
    download_all(model, &t, host, 0);
    int at = 0, rc = 0;
    size_t el = 0;
    if (find_nonfinite(&t, host, &at, &el))
        rc = nonfinite_error(e, "", "", &t, host, at, el);
    afree(host);
    free(t.e);
    return rc;
}

/* ---- writing ------------------------------------------------------------ */

/* ---- model.safetensors' metadata ------------------------------------------ */

/* Everything besides the tensors that reproduces the model's predictions,
 * as safetensors' __metadata__ wants it: string values, the lists as JSON
 * text (python/mscnn_torch.py reads them).
 *   format mscnn, format_version, arch, judge_arch, classes (K),
 *   class_names  ["airplane", ...]           K names
 *   mean, std    [r, g, b]                    input (v / 255 - mean) / std
 *   thresholds   [tau_0, ...]                 accept when the judge score >= tau_c
 *   calibration  [[a_0, b_0, w_0], ...]       judge c's score: sigmoid(net(x) + a_c
 *                                             logit(msp) + b_c + w_c margin)
 *   judge_features  how the judge's side input is made from Stage 1's softmax
 *   tuned_by, dataset
 * Numbers are written so they read back exactly (shortest round trip). */
typedef struct {
    char version[16], k[16];
    char *names, *mean, *std, *tau, *calib;
} weight_meta_t;

/* "[v0,v1,...]" of n values (malloc'd), each read back exactly */
static char *floats_text(const double *v, int n)
{
    char *s = xmalloc(2 + (size_t)n * 33), *at = s, buf[32];
    *at++ = '[';
    for (int i = 0; i < n; i++)
        at += sprintf(at, "%s%s", i ? "," : "", fmt_double(buf, v[i]));
    strcpy(at, "]");
    return s;
}

/* 0, or -1 with e set (a class name that is not valid UTF-8) */
static int weight_meta_fill(weight_meta_t *w, const model_meta_t *m, err_t *e)
{
    memset(w, 0, sizeof *w);
    snprintf(w->version, sizeof w->version, "%d", MODEL_FORMAT_VERSION);
    snprintf(w->k, sizeof w->k, "%d", m->k);
    json_t *names = json_array();
    for (int c = 0; c < m->k; c++) {
        json_t *name = json_string(m->class_names[c]);
        if (!name) {
            json_decref(names);
            return err_set(e, "class %d's name is not valid UTF-8", c);
        }
        json_array_append_new(names, name);
    }
    w->names = json_dumps(names, JSON_COMPACT);
    json_decref(names);
    if (!w->names)
        return err_set(e, "cannot write the class names as JSON (out of memory)");
    /* "[[a0,b0,w0],[a1,b1,w1],...]" */
    w->calib = xmalloc(3 + (size_t)m->k * 104);
    char *at = w->calib;
    *at++ = '[';
    for (int c = 0; c < m->k; c++) {
        char *pair = floats_text(m->calib[c], 3);
        at += sprintf(at, "%s%s", c ? "," : "", pair);
        free(pair);
    }
    strcpy(at, "]");
    double mean[3], std[3];
    for (int i = 0; i < 3; i++)
        mean[i] = m->mean[i], std[i] = m->std[i];
    w->mean = floats_text(mean, 3);
    w->std = floats_text(std, 3);
    w->tau = floats_text(m->tau, m->k);
    return 0;
}

static void weight_meta_free(weight_meta_t *w)
{
    free(w->names);
    free(w->mean);
    free(w->std);
    free(w->tau);
    free(w->calib);
}

static int write_weights(const char *path, const entries_t *t, const float *host,
                         const model_meta_t *m, err_t *e)
{
    weight_meta_t w;
    if (weight_meta_fill(&w, m, e))
        return err_set(e, "%s: %s", path, e->msg);
    st_tensor_t *st = xcalloc(t->n, sizeof *st);
    for (int i = 0; i < t->n; i++)
        fill_tensor(&st[i], (char *)t->e[i].name, t->e[i].p, host + t->e[i].offset);
    const char *keys[] = {"format", "format_version", "arch", "judge_arch", "classes",
                          "class_names", "mean", "std", "thresholds", "calibration",
                          "judge_features", "tuned_by", "dataset"};
    const char *vals[] = {"mscnn", w.version, m->arch, JUDGE_ARCH, w.k, w.names, w.mean,
                          w.std, w.tau, w.calib, JUDGE_FEATURES,
                          m->tuned_by[0] ? m->tuned_by : "threshold", m->dataset};
    int rc = st_write(path, st, t->n, keys, vals, (int)(sizeof keys / sizeof keys[0]), e);
    free(st);
    weight_meta_free(&w);
    return rc;
}

/* slow: the host copy of la's slow weights, or NULL when no lookahead is in
 * progress. */
static int write_state(const char *path, const entries_t *t, const float *velocity,
                       const lookahead_t *la, const float *slow, const model_meta_t *m,
                       err_t *e)
{
    int n = 0;
    st_tensor_t *st = xcalloc(t->n + 6, sizeof *st);
    char (*names)[NET_NAME_LEN + 32] = xcalloc(t->n, sizeof *names);
    for (int i = 0; i < t->n; i++) {
        if (!t->e[i].p->trainable)
            continue;
        snprintf(names[i], sizeof names[i], "velocity.%s", t->e[i].name);
        fill_tensor(&st[n++], names[i], t->e[i].p, velocity + t->e[i].offset);
    }
    int64_t epoch = m->epoch, step = m->step;
    st[n++] = (st_tensor_t){.name = "epoch", .dtype = ST_I64, .data = &epoch, .nbytes = 8};
    st[n++] = (st_tensor_t){.name = "step", .dtype = ST_I64, .data = &step, .nbytes = 8};
    st[n++] = (st_tensor_t){.name = "rng", .dtype = ST_U64, .ndim = 1, .shape = {4},
                            .data = m->rng.s, .nbytes = 32};
    int64_t la_step = la->step, la_total = la->total;
    if (slow) {
        st[n++] = (st_tensor_t){.name = "lookahead.slow", .dtype = ST_F32, .ndim = 1,
                                .shape = {(int64_t)la->n}, .data = slow,
                                .nbytes = la->n * sizeof(float)};
        st[n++] = (st_tensor_t){.name = "lookahead.step", .dtype = ST_I64, .data = &la_step,
                                .nbytes = 8};
        st[n++] = (st_tensor_t){.name = "lookahead.total", .dtype = ST_I64,
                                .data = &la_total, .nbytes = 8};
    }
    int rc = st_write(path, st, n, NULL, NULL, 0, e);
    free(names);
    free(st);
    return rc;
}

/* [data]: what a later run needs to load the same images, the same way. */
static void write_data_section(FILE *fp, const model_meta_t *m)
{
    const model_data_t *d = &m->data;
    if (!d->known)
        return;
    fprintf(fp, "\n[data]\nlight_mode = %d\n", d->light_mode);
    if (d->dir[0])
        fprintf(fp, "data_dir = %s\n", d->dir);
    if (!strcmp(m->dataset, "cifar100"))
        fprintf(fp, "cifar100_labels = %s\n", d->cifar100_coarse ? "coarse" : "fine");
    if (d->holdout_classes[0])
        fprintf(fp, "holdout_classes = %s\n", d->holdout_classes);
    if (!strcmp(m->dataset, "synth"))
        fprintf(fp, "synth_train = %d\nsynth_test = %d\n", d->synth_train, d->synth_test);
    if (!strcmp(m->dataset, "folder"))
        fprintf(fp, "folder_seed = %llu\n", (unsigned long long)d->folder_seed);
}

static int write_ini(const char *path, const model_meta_t *m, err_t *e)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return err_set(e, "%s: cannot create: %s", path, strerror(errno));
    fprintf(fp, "; mscnn model description; written by mscnn, read by --load_model\n");
    fprintf(fp, "[model]\nformat_version = %d\narch = %s\njudge_arch = %s\nclasses = %d\n",
            MODEL_FORMAT_VERSION, m->arch, JUDGE_ARCH, m->k);
    fprintf(fp, "dataset = %s\ntuned_by = %s\n\n[normalization]\n", m->dataset,
            m->tuned_by[0] ? m->tuned_by : "threshold");
    fprintf(fp, "mean = %.9g,%.9g,%.9g\n", m->mean[0], m->mean[1], m->mean[2]);
    fprintf(fp, "std = %.9g,%.9g,%.9g\n\n", m->std[0], m->std[1], m->std[2]);
    char f1[32], f2[32], f3[32], f4[32];
    fprintf(fp, "[training]\nepoch = %d\nstep = %lld\nsplit_seed = %llu\n"
                "judge_holdout = %s\nrun_start = %d\nrun_epochs = %d\nstage1_frozen = %d\n",
            m->epoch, (long long)m->step, (unsigned long long)m->split_seed,
            fmt_double(f1, m->judge_holdout), m->run_start, m->run_epochs, m->stage1_frozen);
    if (m->partial_epoch)
        fprintf(fp, "partial_epoch = 1\n");
    if (m->best_epoch > 0)
        fprintf(fp, "best_epoch = %d\nbest_val_accuracy = %s\n", m->best_epoch,
                fmt_double(f1, m->best_val_acc));
    write_data_section(fp, m);
    for (int c = 0; c < m->k; c++) /* every value reads back exactly */
        fprintf(fp, "\n[category.%d]\nname = %s\nthreshold = %s\ntrainable = %d\n"
                    "calibration = %s,%s,%s\n",
                c, m->class_names[c], fmt_double(f1, m->tau[c]), m->trainable[c],
                fmt_double(f2, m->calib[c][0]), fmt_double(f3, m->calib[c][1]),
                fmt_double(f4, m->calib[c][2]));
    if (ferror(fp) | fclose(fp))
        return err_set(e, "%s: write failed: %s", path, strerror(errno));
    return 0;
}

static int is_model_dir(const char *dir)
{
    char p[PATH_LEN];
    path_join(p, dir, "model.ini");
    return access(p, F_OK) == 0;
}

int model_save(const char *dir, const model_t *model, const model_meta_t *m, err_t *e)
{
    struct stat st;
    model_dir_recover(dir);
    if (stat(dir, &st) == 0 && (!S_ISDIR(st.st_mode) || !is_model_dir(dir)))
        return err_set(e, "'%s' exists and is not an mscnn model directory; "
                          "refusing to overwrite it (choose another --save_model)", dir);
    char tmp[PATH_LEN], path[PATH_LEN];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", dir, (long)getpid());
    remove_tree(tmp); /* a leftover of an earlier crash with the same pid */
    if (mkdir_p(tmp, e))
        return -1;
    entries_t t;
    collect(model, &t);
    float *host = afloat(t.total), *vel = afloat(t.total);
    download_all(model, &t, host, 0);
    download_all(model, &t, vel, 1);
    int rc = 0, at = 0;
    size_t el = 0;
    char prefix[PATH_LEN + 64];
    snprintf(prefix, sizeof prefix, "refusing to save the model to '%s': ", dir);
    if (find_nonfinite(&t, host, &at, &el)) /* never a model that cannot be loaded */
        rc = nonfinite_error(e, prefix, "", &t, host, at, el);
    else if (find_nonfinite(&t, vel, &at, &el))
        rc = nonfinite_error(e, prefix, "velocity.", &t, vel, at, el);
    path_join(path, tmp, "model.safetensors");
    rc = rc ? rc : write_weights(path, &t, host, m, e);
    const lookahead_t *la = &model->la;
    float *slow = la->slow ? afloat(la->n) : NULL;
    if (slow) {
        la->be->download(la->be, slow, la->slow, la->n);
        for (size_t i = 0; i < la->n && !rc; i++)
            if (!isfinite(slow[i]))
                rc = err_set(e, "%stensor lookahead.slow has a non-finite value (%s) at "
                                "element %zu", prefix, nonfinite_kind(slow[i]), i);
    }
    path_join(path, tmp, "state.safetensors");
    rc = rc ? rc : write_state(path, &t, vel, la, slow, m, e);
    afree(slow);
    path_join(path, tmp, "model.ini");
    rc = rc ? rc : write_ini(path, m, e);
    rc = rc ? rc : model_dir_swap(tmp, dir, e);
    if (rc)
        remove_tree(tmp);
    afree(host);
    afree(vel);
    free(t.e);
    return rc;
}

/* ---- reading model.ini --------------------------------------------------- */

typedef struct {
    model_meta_t *m;
    int seen_version, seen_arch, seen_classes, seen_mean, seen_std;
    int seen_run; /* bits: 1 run_start, 2 run_epochs */
    unsigned char seen_cat[DATASET_MAX_CLASSES]; /* bits: 1 name, 2 threshold, 4 trainable */
    err_t *e;
    int failed;
    FILE *fp;
    int lineno, at_line_start; /* the line the reader last handed to inih */
    struct key_line { char *sec, *key; int line; } *keys; /* keys seen */
    int nkeys;
} ini_ctx_t;

/* inih's reader, counting lines (Debian's inih tells its handler none). */
static char *read_line(char *str, int num, void *stream)
{
    ini_ctx_t *c = stream;
    if (!fgets(str, num, c->fp))
        return NULL;
    if (c->at_line_start)
        c->lineno++;
    size_t n = strlen(str);
    c->at_line_start = n > 0 && str[n - 1] == '\n';
    return str;
}

/* A key given twice: 0 (and the message in c->e) after recording it. */
static int duplicate_key(ini_ctx_t *c, const char *sec, const char *key)
{
    for (int i = 0; i < c->nkeys; i++)
        if (!strcmp(c->keys[i].sec, sec) && !strcmp(c->keys[i].key, key)) {
            err_set(c->e, "[%s] %s: duplicate key, already given on line %d", sec, key,
                    c->keys[i].line);
            return 1;
        }
    c->keys = xrealloc(c->keys, (size_t)(c->nkeys + 1) * sizeof *c->keys);
    c->keys[c->nkeys++] = (struct key_line){xstrdup(sec), xstrdup(key), c->lineno};
    return 0;
}

static int parse_floats3(const char *s, float out[3])
{
    double v[3];
    char tail;
    if (sscanf(s, "%lf ,%lf ,%lf %c", &v[0], &v[1], &v[2], &tail) != 3)
        return -1;
    for (int i = 0; i < 3; i++)
        out[i] = (float)v[i];
    return 0;
}

/* "a,b,w" or "a,b" (w 0: models before it): judge calibration, a >= 0,
 * w >= 0 (stage2.h). 1 when valid. */
static int parse_calibration(const char *val, double cal[3])
{
    double v[3] = {0, 0, 0};
    const char *at = val;
    int got = 0;
    errno = 0;
    for (;;) {
        char *end;
        v[got++] = strtod(at, &end);
        if (end == at || !isfinite(v[got - 1]))
            return 0;
        at = end;
        if (*at != ',' || got == 3)
            break;
        at++;
    }
    if (*at || errno || got < 2 || v[0] < 0 || v[2] < 0)
        return 0;
    memcpy(cal, v, sizeof v);
    return 1;
}

/* [category.N]: name, threshold, trainable and calibration of category N */
static int category_key(ini_ctx_t *c, const char *sec, const char *key, const char *val)
{
    model_meta_t *m = c->m;
    long idx, flag;
    if (parse_int(sec + strlen("category."), 0, DATASET_MAX_CLASSES - 1, &idx))
        return 0;
    if (!strcmp(key, "name")) {
        size_t len = strlen(val);
        if (len == 0 || len >= MODEL_NAME_LEN)
            return 0;
        memcpy(m->class_names[idx], val, len + 1);
        c->seen_cat[idx] |= 1;
        return 1;
    }
    if (!strcmp(key, "threshold")) { /* just above 1: tuning rejected everything */
        c->seen_cat[idx] |= 2;
        return parse_float(val, 0.0, nextafter(1.0, 2.0), &m->tau[idx]) == 0;
    }
    if (!strcmp(key, "trainable")) {
        c->seen_cat[idx] |= 4;
        if (parse_int(val, 0, 1, &flag))
            return 0;
        m->trainable[idx] = (int)flag;
        return 1;
    }
    if (!strcmp(key, "calibration")) /* optional: models before it have 0,0 */
        return parse_calibration(val, m->calib[idx]);
    return 0;
}

/* A key of [data] (write_data_section()); 0 for an unknown key or a bad
 * value. */
static int data_key(model_meta_t *m, const char *key, const char *val)
{
    model_data_t *d = &m->data;
    long v;
    d->known = 1;
    if (!strcmp(key, "light_mode"))
        return parse_int(val, 0, 1, &v) == 0 && ((d->light_mode = (int)v), 1);
    if (!strcmp(key, "data_dir"))
        return *val && snprintf(d->dir, sizeof d->dir, "%s", val) < (int)sizeof d->dir;
    if (!strcmp(key, "cifar100_labels")) {
        d->cifar100_coarse = !strcmp(val, "coarse");
        return d->cifar100_coarse || !strcmp(val, "fine");
    }
    if (!strcmp(key, "holdout_classes"))
        return snprintf(d->holdout_classes, sizeof d->holdout_classes, "%s", val) <
               (int)sizeof d->holdout_classes;
    if (!strcmp(key, "synth_train"))
        return parse_int(val, 10, 1000000, &v) == 0 && ((d->synth_train = (int)v), 1);
    if (!strcmp(key, "synth_test"))
        return parse_int(val, 10, 1000000, &v) == 0 && ((d->synth_test = (int)v), 1);
    if (!strcmp(key, "folder_seed"))
        return parse_u64(val, &d->folder_seed) == 0;
    return 0;
}

static int ini_key(ini_ctx_t *c, const char *sec, const char *key, const char *val)
{
    model_meta_t *m = c->m;
    long v;
    if (!strncmp(sec, "category.", strlen("category.")))
        return category_key(c, sec, key, val);
    if (!strcmp(sec, "model") && !strcmp(key, "judge_arch"))
        return !strcmp(val, JUDGE_ARCH);
    if (!strcmp(sec, "model") && !strcmp(key, "tuned_by"))
        return snprintf(m->tuned_by, sizeof m->tuned_by, "%s", val) < (int)sizeof m->tuned_by;
    if (!strcmp(sec, "training") && !strcmp(key, "judge_holdout"))
        return parse_float(val, 0.0, 0.5, &m->judge_holdout) == 0;
    if (!strcmp(sec, "model") && !strcmp(key, "format_version")) {
        c->seen_version = 1;
        return parse_int(val, MODEL_FORMAT_VERSION, MODEL_FORMAT_VERSION, &v) == 0;
    }
    if (!strcmp(sec, "model") && !strcmp(key, "arch")) {
        c->seen_arch = 1;
        return snprintf(m->arch, sizeof m->arch, "%s", val) < (int)sizeof m->arch;
    }
    if (!strcmp(sec, "model") && !strcmp(key, "classes")) {
        c->seen_classes = 1;
        if (parse_int(val, 2, DATASET_MAX_CLASSES, &v))
            return 0;
        m->k = (int)v;
        return 1;
    }
    if (!strcmp(sec, "model") && !strcmp(key, "dataset"))
        return snprintf(m->dataset, sizeof m->dataset, "%s", val) < (int)sizeof m->dataset;
    if (!strcmp(sec, "normalization") && !strcmp(key, "mean"))
        return (c->seen_mean = 1, parse_floats3(val, m->mean) == 0);
    if (!strcmp(sec, "normalization") && !strcmp(key, "std"))
        return (c->seen_std = 1, parse_floats3(val, m->std) == 0);
    if (!strcmp(sec, "training") && !strcmp(key, "epoch")) {
        if (parse_int(val, 0, 100000000, &v))
            return 0;
        m->epoch = (int)v;
        return 1;
    }
    if (!strcmp(sec, "training") && !strcmp(key, "run_start")) {
        if (parse_int(val, 0, 100000000, &v))
            return 0;
        c->seen_run |= 1;
        m->run_start = (int)v;
        return 1;
    }
    if (!strcmp(sec, "training") && !strcmp(key, "run_epochs")) {
        if (parse_int(val, 0, 100000000, &v))
            return 0;
        c->seen_run |= 2;
        m->run_epochs = (int)v;
        return 1;
    }
    if (!strcmp(sec, "training") && !strcmp(key, "stage1_frozen")) {
        if (parse_int(val, 0, 1, &v))
            return 0;
        m->stage1_frozen = (int)v;
        return 1;
    }
    if (!strcmp(sec, "training") && !strcmp(key, "best_epoch")) {
        if (parse_int(val, 1, 100000000, &v))
            return 0;
        m->best_epoch = (int)v;
        return 1;
    }
    if (!strcmp(sec, "training") && !strcmp(key, "best_val_accuracy"))
        return parse_float(val, 0.0, 1.0, &m->best_val_acc) == 0;
    if (!strcmp(sec, "training") && !strcmp(key, "partial_epoch")) {
        if (parse_int(val, 0, 1, &v))
            return 0;
        m->partial_epoch = (int)v;
        return 1;
    }
    if (!strcmp(sec, "data"))
        return data_key(m, key, val);
    if (!strcmp(sec, "training") && !strcmp(key, "split_seed"))
        return parse_u64(val, &m->split_seed) == 0;
    if (!strcmp(sec, "training") && !strcmp(key, "step")) {
        if (parse_int(val, 0, 1L << 62, &v))
            return 0;
        m->step = v;
        return 1;
    }
    return 0;
}

static int on_ini_key(void *user, const char *sec, const char *key, const char *val)
{
    ini_ctx_t *c = user;
    if (duplicate_key(c, sec, key)) {
        c->failed = 1;
        return 0;
    }
    if (ini_key(c, sec, key, val))
        return 1;
    c->failed = 1;
    err_set(c->e, "[%s] %s = %s: unknown key or bad value", sec, key, val);
    return 0;
}

/* The run the model is on. A model saved before run_start and run_epochs
 * were recorded has completed its run. */
static int check_run(const char *path, model_meta_t *m, int seen, err_t *e)
{
    if (seen == 0) {
        m->run_start = m->epoch;
        m->run_epochs = 0;
        return 0;
    }
    if (seen != 3)
        return err_set(e, "%s: [training] run_start and run_epochs come together", path);
    if (m->run_start > m->epoch || m->epoch > m->run_start + m->run_epochs)
        return err_set(e, "%s: [training] epoch = %d is not within its run (run_start = %d, "
                          "run_epochs = %d)", path, m->epoch, m->run_start, m->run_epochs);
    return 0;
}

int model_load_meta(const char *dir, model_meta_t *m, err_t *e)
{
    char path[PATH_LEN];
    model_dir_recover(dir);
    path_join(path, dir, "model.ini");
    memset(m, 0, sizeof *m);
    err_t inner = {{0}};
    FILE *fp = fopen_regular(path, "model description", MODEL_INI_MAX_BYTES, NULL, &inner);
    if (!fp)
        return err_set(e, "%s (is '%s' a model saved by mscnn?)", inner.msg, dir);
    ini_ctx_t c = {.m = m, .e = &inner, .fp = fp, .at_line_start = 1};
    int rc = ini_parse_stream(read_line, &c, on_ini_key, &c);
    fclose(fp);
    for (int i = 0; i < c.nkeys; i++)
        free(c.keys[i].sec), free(c.keys[i].key);
    free(c.keys);
    if (rc > 0 && c.failed)
        return err_set(e, "%s:%d: %s", path, rc, inner.msg);
    if (rc > 0)
        return err_set(e, "%s:%d: not valid INI syntax", path, rc);
    if (rc < 0)
        return err_set(e, "%s: cannot parse (out of memory)", path);
    if (!c.seen_version || !c.seen_arch || !c.seen_classes || !c.seen_mean || !c.seen_std)
        return err_set(e, "%s: missing one of format_version, arch, classes, mean, std", path);
    for (int i = 0; i < DATASET_MAX_CLASSES; i++) {
        if (i < m->k && c.seen_cat[i] != 7)
            return err_set(e, "%s: [category.%d] needs name, threshold and trainable "
                              "(classes = %d)", path, i, m->k);
        if (i >= m->k && c.seen_cat[i])
            return err_set(e, "%s: [category.%d] is beyond classes = %d", path, i, m->k);
    }
    return check_run(path, m, c.seen_run, e);
}

/* ---- reading the tensors ------------------------------------------------- */

static int get_entry(const st_file_t *f, const entry_t *en, const char *name, float *dst,
                     err_t *e)
{
    int64_t shape[4];
    for (int d = 0; d < en->p->ndim; d++)
        shape[d] = en->p->shape[d];
    return st_get(f, name, ST_F32, en->p->ndim, shape, dst, e);
}

/* A loaded file's values must be finite: NaN weights would train and
 * predict garbage without a word. */
static int check_loaded(const char *path, const char *what, const entries_t *t,
                        const float *host, err_t *e)
{
    int at = 0;
    size_t el = 0;
    if (!find_nonfinite(t, host, &at, &el))
        return 0;
    char prefix[PATH_LEN + 4];
    snprintf(prefix, sizeof prefix, "%s: ", path);
    return nonfinite_error(e, prefix, what, t, host, at, el);
}

/* The entry a saved tensor name belongs to, or NULL. */
static const entry_t *find_entry(const entries_t *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->e[i].name, name))
            return &t->e[i];
    return NULL;
}

static int check_entry(const st_file_t *f, const st_tensor_t *st, const entry_t *en,
                       err_t *e)
{
    int64_t shape[4];
    for (int d = 0; d < en->p->ndim; d++)
        shape[d] = en->p->shape[d];
    return st_check_tensor(f, st, ST_F32, en->p->ndim, shape, e);
}

/* Before a byte of data is read, every tensor of model.safetensors must be
 * one of this architecture's with its shape: a header that claims huge
 * tensors is refused instead of allocated. */
static int check_weight_tensor(void *user, const st_file_t *f, const st_tensor_t *st,
                               err_t *e)
{
    const entry_t *en = find_entry(user, st->name);
    if (!en)
        return err_set(e, "%s: tensor '%.200s' is not a parameter of this model's "
                          "architecture", f->path, st->name);
    return check_entry(f, st, en, e);
}

/* The same for state.safetensors: velocity.NAME of a trainable parameter,
 * epoch, step and rng, and lookahead.slow (Stage 1's flat buffer),
 * lookahead.step and lookahead.total while a run's lookahead is in
 * progress. */
static int check_state_tensor(void *user, const st_file_t *f, const st_tensor_t *st,
                              err_t *e)
{
    const entries_t *t = user;
    const int64_t four = 4;
    if (!strcmp(st->name, "epoch") || !strcmp(st->name, "step"))
        return st_check_tensor(f, st, ST_I64, 0, NULL, e);
    if (!strcmp(st->name, "rng"))
        return st_check_tensor(f, st, ST_U64, 1, &four, e);
    if (!strcmp(st->name, "lookahead.step") || !strcmp(st->name, "lookahead.total"))
        return st_check_tensor(f, st, ST_I64, 0, NULL, e);
    const int64_t slow_n = (int64_t)t->s1_total;
    if (!strcmp(st->name, "lookahead.slow"))
        return st_check_tensor(f, st, ST_F32, 1, &slow_n, e);
    const entry_t *en = strncmp(st->name, "velocity.", 9) ? NULL : find_entry(t, st->name + 9);
    if (!en || !en->p->trainable)
        return err_set(e, "%s: tensor '%.200s' is not part of this model's training state",
                       f->path, st->name);
    return check_entry(f, st, en, e);
}

static int load_weight_file(const char *path, const entries_t *t, float *host, err_t *e)
{
    st_file_t f = {0};
    st_check_t chk = {check_weight_tensor, (void *)t};
    if (st_read_checked(path, &f, &chk, e))
        return -1;
    int rc = 0;
    for (int i = 0; i < t->n && !rc; i++)
        rc = get_entry(&f, &t->e[i], t->e[i].name, host + t->e[i].offset, e);
    if (!rc && f.count != t->n)
        rc = err_set(e, "%s: holds %d tensors, the model has %d", path, f.count, t->n);
    st_close(&f);
    return rc ? rc : check_loaded(path, "", t, host, e);
}

/* A lookahead in progress, if the state has one (all three tensors or
 * none), into la (slow: Stage 1's flat buffer, host memory, the caller's
 * to afree). */
typedef struct {
    float *slow;
    int64_t step, total;
} saved_lookahead_t;

static int load_lookahead(const char *path, const st_file_t *f, const entries_t *t,
                          saved_lookahead_t *la, err_t *e)
{
    int have = !!st_find(f, "lookahead.slow") + !!st_find(f, "lookahead.step") +
               !!st_find(f, "lookahead.total");
    if (have == 0)
        return 0;
    if (have != 3)
        return err_set(e, "%s: lookahead.slow, lookahead.step and lookahead.total come "
                          "together; this file has %d of them", path, have);
    int64_t n = (int64_t)t->s1_total;
    la->slow = afloat(t->s1_total);
    int rc = st_get(f, "lookahead.slow", ST_F32, 1, &n, la->slow, e);
    rc = rc ? rc : st_get(f, "lookahead.step", ST_I64, 0, NULL, &la->step, e);
    rc = rc ? rc : st_get(f, "lookahead.total", ST_I64, 0, NULL, &la->total, e);
    if (!rc && (la->total < 1 || la->step < 0 || la->step > la->total))
        rc = err_set(e, "%s: lookahead.step %lld of lookahead.total %lld is not a step of "
                        "a run", path, (long long)la->step, (long long)la->total);
    for (size_t i = 0; !rc && i < t->s1_total; i++)
        if (!isfinite(la->slow[i]))
            rc = err_set(e, "%s: tensor lookahead.slow has a non-finite value (%s) at "
                            "element %zu", path, nonfinite_kind(la->slow[i]), i);
    return rc;
}

static int load_state_file(const char *path, const entries_t *t, float *vel,
                           model_meta_t *m, saved_lookahead_t *la, err_t *e)
{
    st_file_t f = {0};
    st_check_t chk = {check_state_tensor, (void *)t};
    if (st_read_checked(path, &f, &chk, e))
        return -1;
    int rc = 0;
    char name[NET_NAME_LEN + 32];
    for (int i = 0; i < t->n && !rc; i++) {
        if (!t->e[i].p->trainable)
            continue;
        snprintf(name, sizeof name, "velocity.%s", t->e[i].name);
        rc = get_entry(&f, &t->e[i], name, vel + t->e[i].offset, e);
    }
    int64_t epoch, step, four = 4;
    rc = rc ? rc : st_get(&f, "epoch", ST_I64, 0, NULL, &epoch, e);
    rc = rc ? rc : st_get(&f, "step", ST_I64, 0, NULL, &step, e);
    rc = rc ? rc : st_get(&f, "rng", ST_U64, 1, &four, m->rng.s, e);
    if (!rc && (epoch != m->epoch || step != m->step))
        rc = err_set(e, "%s: epoch %lld, step %lld disagree with model.ini (%d, %lld): "
                        "the model directory is inconsistent", path, (long long)epoch,
                     (long long)step, m->epoch, (long long)m->step);
    rc = rc ? rc : load_lookahead(path, &f, t, la, e);
    st_close(&f);
    return rc ? rc : check_loaded(path, "velocity.", t, vel, e);
}

int model_load_weights(const char *dir, model_t *model, model_meta_t *m, err_t *e)
{
    char path[PATH_LEN];
    entries_t t;
    collect(model, &t);
    float *host = afloat(t.total), *vel = afloat(t.total);
    path_join(path, dir, "model.safetensors");
    int rc = load_weight_file(path, &t, host, e);
    path_join(path, dir, "state.safetensors");
    saved_lookahead_t la = {0};
    rc = rc ? rc : load_state_file(path, &t, vel, m, &la, e);
    if (!rc) {
        upload_all(model, &t, host, 0);
        upload_all(model, &t, vel, 1);
        lookahead_free(&model->la);
        if (la.slow)
            lookahead_restore(&model->la, model->stage1, la.slow, la.step, la.total);
    }
    afree(la.slow);
    afree(host);
    afree(vel);
    free(t.e);
    return rc;
}

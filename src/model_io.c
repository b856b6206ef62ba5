/* model_io.c - saving and loading the model directory. */
#include "model_io.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safetensors.h"

#define PATH_LEN 4096

/* Paths come from options limited to 1023 characters, so this fits. */
static void path_join(char *out, const char *dir, const char *file)
{
    if (snprintf(out, PATH_LEN, "%s/%s", dir, file) >= PATH_LEN)
        out[0] = 0;
}

/* ---- writing ------------------------------------------------------------ */

static int write_weights(const char *path, const net_t *net, const float *host,
                         const model_meta_t *m, err_t *e)
{
    st_tensor_t *t = xcalloc(net->nparams, sizeof *t);
    for (int i = 0; i < net->nparams; i++) {
        const param_t *p = &net->params[i];
        t[i].name = (char *)p->name;
        t[i].dtype = ST_F32;
        t[i].ndim = p->ndim;
        for (int d = 0; d < p->ndim; d++)
            t[i].shape[d] = p->shape[d];
        t[i].data = host + p->offset;
        t[i].nbytes = p->count * sizeof(float);
    }
    const char *keys[] = {"format", "arch"};
    const char *vals[] = {"mscnn", m->arch};
    int rc = st_write(path, t, net->nparams, keys, vals, 2, e);
    free(t);
    return rc;
}

static int write_state(const char *path, const net_t *net, const float *velocity,
                       const model_meta_t *m, err_t *e)
{
    int n = 0;
    st_tensor_t *t = xcalloc(net->nparams + 3, sizeof *t);
    char (*names)[NET_NAME_LEN + 16] = xcalloc(net->nparams, sizeof *names);
    for (int i = 0; i < net->nparams; i++) {
        const param_t *p = &net->params[i];
        if (!p->trainable)
            continue;
        snprintf(names[i], sizeof names[i], "velocity.%s", p->name);
        t[n] = (st_tensor_t){.name = names[i], .dtype = ST_F32, .ndim = p->ndim,
                             .data = velocity + p->offset, .nbytes = p->count * sizeof(float)};
        for (int d = 0; d < p->ndim; d++)
            t[n].shape[d] = p->shape[d];
        n++;
    }
    int64_t epoch = m->epoch, step = m->step;
    t[n++] = (st_tensor_t){.name = "epoch", .dtype = ST_I64, .data = &epoch, .nbytes = 8};
    t[n++] = (st_tensor_t){.name = "step", .dtype = ST_I64, .data = &step, .nbytes = 8};
    t[n++] = (st_tensor_t){.name = "rng", .dtype = ST_U64, .ndim = 1, .shape = {4},
                           .data = m->rng.s, .nbytes = 32};
    int rc = st_write(path, t, n, NULL, NULL, 0, e);
    free(names);
    free(t);
    return rc;
}

static int write_ini(const char *path, const model_meta_t *m, err_t *e)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return err_set(e, "%s: cannot create: %s", path, strerror(errno));
    fprintf(fp, "; mscnn model description; written by mscnn, read by --load_model\n");
    fprintf(fp, "[model]\nformat_version = %d\narch = %s\nclasses = %d\nclass_names = ",
            MODEL_FORMAT_VERSION, m->arch, m->k);
    for (int c = 0; c < m->k; c++)
        fprintf(fp, "%s%s", c ? "," : "", m->class_names[c]);
    fprintf(fp, "\ndataset = %s\n\n[normalization]\n", m->dataset);
    fprintf(fp, "mean = %.9g,%.9g,%.9g\n", m->mean[0], m->mean[1], m->mean[2]);
    fprintf(fp, "std = %.9g,%.9g,%.9g\n\n", m->std[0], m->std[1], m->std[2]);
    fprintf(fp, "[training]\nepoch = %d\nstep = %lld\nsplit_seed = %llu\n", m->epoch,
            (long long)m->step, (unsigned long long)m->split_seed);
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

/* Moves tmp into place as dir, replacing an existing model directory. */
static int swap_into_place(const char *tmp, const char *dir, err_t *e)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (rename(tmp, dir))
            return err_set(e, "cannot rename '%s' to '%s': %s", tmp, dir, strerror(errno));
        return 0;
    }
    char old[PATH_LEN];
    snprintf(old, sizeof old, "%s.old-%ld", dir, (long)getpid());
    if (rename(dir, old))
        return err_set(e, "cannot move old model '%s' aside: %s", dir, strerror(errno));
    if (rename(tmp, dir)) {
        int err = errno;
        rename(old, dir); /* put the old model back */
        return err_set(e, "cannot rename '%s' to '%s': %s", tmp, dir, strerror(err));
    }
    remove_tree(old);
    return 0;
}

int model_save(const char *dir, const net_t *net, const model_meta_t *m, err_t *e)
{
    struct stat st;
    if (stat(dir, &st) == 0 && (!S_ISDIR(st.st_mode) || !is_model_dir(dir)))
        return err_set(e, "'%s' exists and is not an mscnn model directory; "
                          "refusing to overwrite it (choose another --save_model)", dir);
    char tmp[PATH_LEN], path[PATH_LEN];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", dir, (long)getpid());
    remove_tree(tmp); /* a leftover of an earlier crash with the same pid */
    if (mkdir_p(tmp, e))
        return -1;
    float *host = afloat(net->total), *vel = afloat(net->total);
    net->be->download(net->be, host, net->data, net->total);
    net->be->download(net->be, vel, net->velocity, net->total);
    int rc;
    path_join(path, tmp, "model.safetensors");
    rc = write_weights(path, net, host, m, e);
    path_join(path, tmp, "state.safetensors");
    rc = rc ? rc : write_state(path, net, vel, m, e);
    path_join(path, tmp, "model.ini");
    rc = rc ? rc : write_ini(path, m, e);
    rc = rc ? rc : swap_into_place(tmp, dir, e);
    if (rc)
        remove_tree(tmp);
    afree(host);
    afree(vel);
    return rc;
}

/* ---- reading model.ini --------------------------------------------------- */

typedef struct {
    model_meta_t *m;
    int seen_version, seen_arch, seen_classes, seen_names, seen_mean, seen_std;
    err_t *e;
    int failed;
} ini_ctx_t;

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

static int parse_names(model_meta_t *m, const char *s)
{
    int n = 0;
    const char *p = s;
    while (*p && n < DATASET_MAX_CLASSES) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len == 0 || len >= MODEL_NAME_LEN)
            return -1;
        memcpy(m->class_names[n], p, len);
        m->class_names[n][len] = 0;
        n++;
        if (!q)
            break;
        p = q + 1;
    }
    return n;
}

static int ini_key(ini_ctx_t *c, const char *sec, const char *key, const char *val)
{
    model_meta_t *m = c->m;
    long v;
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
    if (!strcmp(sec, "model") && !strcmp(key, "class_names"))
        return (c->seen_names = parse_names(m, val)) > 0;
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
    if (ini_key(c, sec, key, val))
        return 1;
    c->failed = 1;
    err_set(c->e, "[%s] %s = %s: unknown key or bad value", sec, key, val);
    return 0;
}

int model_load_meta(const char *dir, model_meta_t *m, err_t *e)
{
    char path[PATH_LEN];
    path_join(path, dir, "model.ini");
    memset(m, 0, sizeof *m);
    err_t inner = {{0}};
    ini_ctx_t c = {.m = m, .e = &inner};
    int rc = ini_parse(path, on_ini_key, &c);
    if (rc == -1)
        return err_set(e, "%s: cannot open (is '%s' a model saved by mscnn?): %s", path,
                       dir, strerror(errno));
    if (rc > 0 && c.failed)
        return err_set(e, "%s:%d: %s", path, rc, inner.msg);
    if (rc > 0)
        return err_set(e, "%s:%d: not valid INI syntax", path, rc);
    if (rc < 0)
        return err_set(e, "%s: cannot parse (out of memory)", path);
    if (!c.seen_version || !c.seen_arch || !c.seen_classes || !c.seen_names ||
        !c.seen_mean || !c.seen_std)
        return err_set(e, "%s: missing one of format_version, arch, classes, class_names, "
                          "mean, std", path);
    if (c.seen_names != m->k)
        return err_set(e, "%s: classes = %d but class_names lists %d names", path, m->k,
                       c.seen_names);
    return 0;
}

/* ---- reading the tensors ------------------------------------------------- */

static int get_param(const st_file_t *f, const param_t *p, const char *name, float *dst,
                     err_t *e)
{
    int64_t shape[4];
    for (int d = 0; d < p->ndim; d++)
        shape[d] = p->shape[d];
    return st_get(f, name, ST_F32, p->ndim, shape, dst, e);
}

static int load_weight_file(const char *path, const net_t *net, float *host, err_t *e)
{
    st_file_t f = {0};
    if (st_read(path, &f, e))
        return -1;
    int rc = 0;
    for (int i = 0; i < net->nparams && !rc; i++)
        rc = get_param(&f, &net->params[i], net->params[i].name, host + net->params[i].offset, e);
    if (!rc && f.count != net->nparams)
        rc = err_set(e, "%s: holds %d tensors, the '%s' network has %d", path, f.count,
                     net->arch, net->nparams);
    st_close(&f);
    return rc;
}

static int load_state_file(const char *path, const net_t *net, float *vel,
                           model_meta_t *m, err_t *e)
{
    st_file_t f = {0};
    if (st_read(path, &f, e))
        return -1;
    int rc = 0;
    char name[NET_NAME_LEN + 16];
    for (int i = 0; i < net->nparams && !rc; i++) {
        const param_t *p = &net->params[i];
        if (!p->trainable)
            continue;
        snprintf(name, sizeof name, "velocity.%s", p->name);
        rc = get_param(&f, p, name, vel + p->offset, e);
    }
    int64_t epoch, step, four = 4;
    rc = rc ? rc : st_get(&f, "epoch", ST_I64, 0, NULL, &epoch, e);
    rc = rc ? rc : st_get(&f, "step", ST_I64, 0, NULL, &step, e);
    rc = rc ? rc : st_get(&f, "rng", ST_U64, 1, &four, m->rng.s, e);
    if (!rc && (epoch != m->epoch || step != m->step))
        rc = err_set(e, "%s: epoch %lld, step %lld disagree with model.ini (%d, %lld): "
                        "the model directory is inconsistent", path, (long long)epoch,
                     (long long)step, m->epoch, (long long)m->step);
    st_close(&f);
    return rc;
}

int model_load_weights(const char *dir, net_t *net, model_meta_t *m, err_t *e)
{
    char path[PATH_LEN];
    float *host = afloat(net->total), *vel = afloat(net->total);
    path_join(path, dir, "model.safetensors");
    int rc = load_weight_file(path, net, host, e);
    path_join(path, dir, "state.safetensors");
    rc = rc ? rc : load_state_file(path, net, vel, m, e);
    if (!rc) {
        net->be->upload(net->be, net->data, host, net->total);
        net->be->upload(net->be, net->velocity, vel, net->total);
    }
    afree(host);
    afree(vel);
    return rc;
}

/* save_kill.c - the helper of tests/save_kill.sh: saves a small model over
 * and over so that the script can kill -9 it at random moments, and checks
 * afterwards that the directory holds a complete, loadable model.
 *
 *   save_kill init DIR    save epoch 1 once
 *   save_kill loop DIR    save the epochs after DIR's, one by one, until killed
 *   save_kill check DIR   load DIR fully; print its epoch; exit 1 if it
 *                         cannot be loaded or is not internally consistent
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/registry.h"
#include "engine/backend.h"
#include "model/model_io.h"

#define K 2

static void fill_meta(model_meta_t *m, int epoch)
{
    memset(m, 0, sizeof *m);
    strcpy(m->arch, "basic");
    strcpy(m->dataset, "synth");
    strcpy(m->tuned_by, "threshold");
    m->k = K;
    for (int c = 0; c < K; c++) {
        snprintf(m->class_names[c], MODEL_NAME_LEN, "class%d", c);
        m->tau[c] = 0.5;
        m->trainable[c] = 1;
    }
    for (int i = 0; i < 3; i++)
        m->mean[i] = 0.5f, m->std[i] = 0.25f;
    m->judge_holdout = 0.2;
    m->epoch = epoch;
    m->run_epochs = epoch; /* a run of as many epochs as done: complete */
    m->step = 10 * (int64_t)epoch;
    rng_seed(&m->rng, (uint64_t)epoch);
}

static int check(backend_t *be, const char *dir)
{
    err_t e = {{0}};
    model_meta_t m;
    if (model_load_meta(dir, &m, &e)) {
        fprintf(stderr, "save_kill check: %s\n", e.msg);
        return 1;
    }
    model_t *model = model_new(be, m.arch, m.k, 3, 32, 32, 1, &e);
    int rc = !model || model_load_weights(dir, model, &m, &e);
    if (rc)
        fprintf(stderr, "save_kill check: %s\n", e.msg);
    else
        printf("%d\n", m.epoch);
    model_free(model);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: save_kill init|loop|check DIR\n");
        return 2;
    }
    err_t e = {{0}};
    backend_t *be = backend_open("cpu", 1, &e);
    if (!be) {
        fprintf(stderr, "save_kill: %s\n", e.msg);
        return 1;
    }
    if (!strcmp(argv[1], "check")) {
        int rc = check(be, argv[2]);
        backend_free(be);
        return rc;
    }
    model_t *model = model_new(be, "basic", K, 3, 32, 32, 1, &e);
    if (!model) {
        fprintf(stderr, "save_kill: %s\n", e.msg);
        return 1;
    }
    model_meta_t m;
    int loop = !strcmp(argv[1], "loop"), first = 1;
    if (loop && model_load_meta(argv[2], &m, &e) == 0)
        first = m.epoch + 1;
    for (int epoch = first;; epoch++) {
        model_init(model, (uint64_t)epoch);
        fill_meta(&m, epoch);
        if (model_save(argv[2], model, &m, &e)) {
            fprintf(stderr, "save_kill: %s\n", e.msg);
            return 1;
        }
        if (!loop)
            break;
    }
    model_free(model);
    backend_free(be);
    return 0;
}

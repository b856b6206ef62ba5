/* data_select.c - choosing and preparing the data of a run. */
#include "data/data_select.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIGHT_TRAIN 5000
#define LIGHT_TEST 1000
/* synth is one fixed set, whatever --seed says, so that a model saved on
 * it is evaluated on the same test images when loaded again */
#define SYNTH_SEED 20261129

static const char *how_to_get =
    "get CIFAR-10 with 'data/fetch-cifar10.sh' (it prints the --data_dir to use), "
    "or run on the built-in set with --dataset synth";

/* d->dir: dir made absolute (as given when it does not resolve). */
static void note_dir(run_data_t *d, const char *dir)
{
    char abs[PATH_MAX];
    if (!realpath(dir, abs) || strlen(abs) >= sizeof d->dir)
        snprintf(abs, sizeof abs, "%s", dir);
    snprintf(d->dir, sizeof d->dir, "%.1023s", abs);
}

static int load_cifar(const data_config_t *c, dataset_t *train, dataset_t *test, char *dir,
                      size_t dirlen, err_t *e)
{
    if (c->data_dir[0]) {
        if (!cifar10_present(c->data_dir))
            return err_set(e, "--data_dir %s: no CIFAR-10 binary files there (expected "
                              "data_batch_1.bin ... data_batch_5.bin and test_batch.bin); %s",
                           c->data_dir, how_to_get);
        snprintf(dir, dirlen, "%s", c->data_dir);
    } else if (!cifar10_locate(dir, dirlen)) {
        return err_set(e, "CIFAR-10 not found in $MSCNN_DATA, ./data/cifar-10-batches-bin or "
                          "$XDG_CACHE_HOME/mscnn/cifar-10-batches-bin; %s", how_to_get);
    }
    return cifar10_load(dir, train, test, e);
}

static int load_cifar100(const data_config_t *c, run_data_t *d, dataset_t *train,
                         dataset_t *test, err_t *e)
{
    char dir[1024];
    if (c->data_dir[0])
        snprintf(dir, sizeof dir, "%s", c->data_dir);
    else if (!cifar100_locate(dir, sizeof dir))
        return err_set(e, "CIFAR-100 not found in $MSCNN_DATA, ./data/cifar-100-binary or "
                          "$XDG_CACHE_HOME/mscnn/cifar-100-binary; get it with "
                          "'data/fetch-cifar100.sh' or pass --data_dir DIR");
    int coarse = c->cifar100_coarse;
    if (cifar100_load(dir, coarse, train, test, e))
        return -1;
    snprintf(d->name, sizeof d->name, "cifar100");
    note_dir(d, dir);
    snprintf(d->description, sizeof d->description, "CIFAR-100 (%s labels) from %s",
             coarse ? "20 coarse" : "100 fine", dir);
    return 0;
}

static int load_folder(const data_config_t *c, run_data_t *d, dataset_t *train, dataset_t *test,
                       err_t *e)
{
    if (!c->data_dir[0])
        return err_set(e, "--dataset folder needs --data_dir ROOT (a tree ROOT/<class>/*.png)");
    if (folder_load(c->data_dir, c->folder_seed, train, test, e))
        return -1;
    snprintf(d->name, sizeof d->name, "folder");
    note_dir(d, c->data_dir);
    snprintf(d->description, sizeof d->description, "PNG folder %s (%d classes)", c->data_dir,
             train->k);
    return 0;
}

static int load_full(const data_config_t *c, run_data_t *d, dataset_t *train, dataset_t *test,
                     err_t *e)
{
    char dir[1024];
    if (!strcmp(c->dataset, "cifar100"))
        return load_cifar100(c, d, train, test, e);
    if (!strcmp(c->dataset, "folder"))
        return load_folder(c, d, train, test, e);
    int want_cifar = !strcmp(c->dataset, "cifar10") ||
                     (!strcmp(c->dataset, "auto") && (c->data_dir[0] || cifar10_locate(dir, sizeof dir)));
    if (want_cifar) {
        if (load_cifar(c, train, test, dir, sizeof dir, e))
            return -1;
        snprintf(d->name, sizeof d->name, "cifar10");
        note_dir(d, dir);
        snprintf(d->description, sizeof d->description, "CIFAR-10 from %s", dir);
        return 0;
    }
    synth_make(c->synth_train, c->synth_test, SYNTH_SEED, train, test);
    snprintf(d->name, sizeof d->name, "synth");
    snprintf(d->description, sizeof d->description, "%s",
             !strcmp(c->dataset, "synth")
                 ? "synth (the built-in generated set, not CIFAR-10)"
                 : "synth (the built-in generated set, not CIFAR-10: CIFAR-10 was not found; "
                   "see data/fetch-cifar10.sh)");
    return 0;
}

/* Splits src three ways into d (see data_select.h); src is consumed. */
static int split_three(const data_config_t *c, dataset_t *src, run_data_t *d, err_t *e)
{
    uint64_t seed = c->split_seed;
    double holdout = c->judge_holdout;
    int nval = c->light_mode ? c->val_light : (int)lround(c->val_fraction * src->n);
    int njudge = (int)lround(holdout * (src->n - nval));
    if (nval + njudge + src->k > src->n)
        return err_set(e, "validation (%d) and judge (%d) splits leave too few training "
                          "images (have %d)", nval, njudge, src->n);
    dataset_t rest;
    dataset_split_stratified(src, nval, seed, &rest, &d->val);
    dataset_split_stratified(&rest, njudge, seed + 1, &d->train, &d->judge);
    dataset_free(&rest);
    return 0;
}

/* --holdout_classes and --ood_data into d->unseen (train and test lose
 * the held-out classes). */
static int load_unseen(const data_config_t *c, run_data_t *d, dataset_t *train,
                       dataset_t *test, err_t *e)
{
    d->has_unseen = c->holdout_classes[0] || c->ood_data[0];
    if (c->holdout_classes[0] && holdout_apply(c->holdout_classes, train, test, &d->unseen,
                                               d->held_names, sizeof d->held_names, e))
        return -1;
    d->unseen_held = d->unseen.n;
    if (!c->ood_data[0])
        return 0;
    if (!d->unseen.class_names) {
        d->unseen.c = train->c;
        d->unseen.h = train->h;
        d->unseen.w = train->w;
        d->unseen.k = train->k;
        d->unseen.class_names = dataset_copy_names((const char *const *)train->class_names,
                                                   train->k);
    }
    if (train->c != 3 || train->h != 32 || train->w != 32)
        return err_set(e, "--ood_data %s: the model's input is %dx%dx%d, the unseen images "
                          "are 3x32x32", c->ood_data, train->c, train->h, train->w);
    return ood_load(c->ood_data, &d->unseen, e);
}

int run_data_load(const data_config_t *c, run_data_t *d, err_t *e)
{
    memset(d, 0, sizeof *d);
    dataset_t train = {0}, test = {0};
    if (load_full(c, d, &train, &test, e))
        return -1;
    if (c->light_mode) {
        dataset_t small_train, small_test;
        dataset_balanced_subset(&train, LIGHT_TRAIN, &small_train);
        dataset_balanced_subset(&test, LIGHT_TEST, &small_test);
        dataset_free(&train);
        dataset_free(&test);
        train = small_train;
        test = small_test;
    }
    if (load_unseen(c, d, &train, &test, e)) {
        dataset_free(&train);
        dataset_free(&test);
        run_data_free(d);
        return -2;
    }
    int rc = split_three(c, &train, d, e);
    dataset_free(&train);
    d->test = test;
    if (rc) {
        run_data_free(d);
        return -1;
    }
    size_t len = strlen(d->description);
    len += (size_t)snprintf(d->description + len, sizeof d->description - len,
                            "%s: %d train, %d judge, %d validation, %d test images",
                            c->light_mode ? ", light mode" : "", d->train.n, d->judge.n,
                            d->val.n, d->test.n);
    if (d->has_unseen && len < sizeof d->description)
        snprintf(d->description + len, sizeof d->description - len, "; %d unseen", d->unseen.n);
    return 0;
}

void run_data_free(run_data_t *d)
{
    dataset_free(&d->train);
    dataset_free(&d->judge);
    dataset_free(&d->val);
    dataset_free(&d->test);
    dataset_free(&d->unseen);
}

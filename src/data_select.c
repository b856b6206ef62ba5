/* data_select.c - choosing and preparing the data of a run. */
#include "data_select.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define LIGHT_TRAIN 5000
#define LIGHT_TEST 1000
/* synth is one fixed set, whatever --seed says, so that a model saved on
 * it is evaluated on the same test images when loaded again */
#define SYNTH_SEED 20261129

static const char *how_to_get =
    "get CIFAR-10 with 'data/fetch-cifar10.sh' (it prints the --data_dir to use), "
    "or run on the built-in set with --dataset synth";

static int load_cifar(const options_t *o, dataset_t *train, dataset_t *test, char *dir,
                      size_t dirlen, err_t *e)
{
    if (o->data_dir[0]) {
        if (!cifar10_present(o->data_dir))
            return err_set(e, "--data_dir %s: no CIFAR-10 binary files there (expected "
                              "data_batch_1.bin ... data_batch_5.bin and test_batch.bin); %s",
                           o->data_dir, how_to_get);
        snprintf(dir, dirlen, "%s", o->data_dir);
    } else if (!cifar10_locate(dir, dirlen)) {
        return err_set(e, "CIFAR-10 not found in $MSCNN_DATA, ./data/cifar-10-batches-bin or "
                          "$XDG_CACHE_HOME/mscnn/cifar-10-batches-bin; %s", how_to_get);
    }
    return cifar10_load(dir, train, test, e);
}

static int load_full(const options_t *o, run_data_t *d, dataset_t *train, dataset_t *test,
                     err_t *e)
{
    char dir[1024];
    int want_cifar = !strcmp(o->dataset, "cifar10") ||
                     (!strcmp(o->dataset, "auto") && (o->data_dir[0] || cifar10_locate(dir, sizeof dir)));
    if (want_cifar) {
        if (load_cifar(o, train, test, dir, sizeof dir, e))
            return -1;
        snprintf(d->name, sizeof d->name, "cifar10");
        snprintf(d->description, sizeof d->description, "CIFAR-10 from %s", dir);
        return 0;
    }
    synth_make(o->synth_train, o->synth_test, SYNTH_SEED, train, test);
    snprintf(d->name, sizeof d->name, "synth");
    snprintf(d->description, sizeof d->description, "%s",
             !strcmp(o->dataset, "synth")
                 ? "synth (the built-in generated set, not CIFAR-10)"
                 : "synth (the built-in generated set, not CIFAR-10: CIFAR-10 was not found; "
                   "see data/fetch-cifar10.sh)");
    return 0;
}

int run_data_load(const options_t *o, uint64_t split_seed, run_data_t *d, err_t *e)
{
    memset(d, 0, sizeof *d);
    dataset_t train = {0}, test = {0};
    if (load_full(o, d, &train, &test, e))
        return -1;
    if (o->light_mode) {
        dataset_t small_train, small_test;
        dataset_balanced_subset(&train, LIGHT_TRAIN, &small_train);
        dataset_balanced_subset(&test, LIGHT_TEST, &small_test);
        dataset_free(&train);
        dataset_free(&test);
        train = small_train;
        test = small_test;
    }
    int nval = o->light_mode ? o->val_light : (int)lround(o->val_fraction * train.n);
    if (nval >= train.n)
        return err_set(e, "validation split of %d leaves no training images (have %d)", nval,
                       train.n);
    dataset_split_stratified(&train, nval, split_seed, &d->train, &d->val);
    dataset_free(&train);
    d->test = test;
    size_t len = strlen(d->description);
    snprintf(d->description + len, sizeof d->description - len,
             "%s: %d train, %d validation, %d test images", o->light_mode ? ", light mode" : "",
             d->train.n, d->val.n, d->test.n);
    return 0;
}

void run_data_free(run_data_t *d)
{
    dataset_free(&d->train);
    dataset_free(&d->val);
    dataset_free(&d->test);
}

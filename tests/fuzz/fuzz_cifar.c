/* fuzz_cifar.c - the CIFAR-10 batch reader and the CIFAR-100 reader (the
 * same bytes as train.bin and test.bin) on arbitrary bytes. */
#include "fuzz_common.h"
#include "data/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dataset_t d, tr, te;
    err_t e;
    memset(&d, 0, sizeof d);
    if (cifar10_read_file(fuzz_file("b.bin", data, size), &d, &e) == 0)
        dataset_free(&d);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/c100", fuzz_dir());
    mkdir(dir, 0700);
    fuzz_file("c100/train.bin", data, size);
    fuzz_file("c100/test.bin", data, size);
    memset(&tr, 0, sizeof tr);
    memset(&te, 0, sizeof te);
    if (cifar100_load(dir, size & 1, &tr, &te, &e) == 0) {
        dataset_free(&tr);
        dataset_free(&te);
    }
    return 0;
}

/* seed: two records valid for both readers (labels 1 and 2) */
static void fuzz_seed(const char *dir)
{
    static uint8_t rec[2 * 3074];
    for (size_t i = 0; i < sizeof rec; i++)
        rec[i] = (uint8_t)(i * 7);
    rec[0] = 1, rec[1] = 1, rec[3074] = 2, rec[3075] = 2;
    fuzz_write_seed(dir, "two.bin", rec, sizeof rec);
}

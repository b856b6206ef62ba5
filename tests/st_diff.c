/* st_diff.c - test helper: prints the names of the tensors whose dtype,
 * shape or bytes differ between two safetensors files (and those present
 * in only one), one per line. Exit 0 when it could read both, 1 otherwise. */
#include <stdio.h>
#include <string.h>

#include "model/safetensors.h"

static int same(const st_tensor_t *a, const st_tensor_t *b)
{
    if (a->dtype != b->dtype || a->ndim != b->ndim || a->nbytes != b->nbytes)
        return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d])
            return 0;
    return memcmp(a->data, b->data, a->nbytes) == 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: st_diff A.safetensors B.safetensors\n");
        return 1;
    }
    st_file_t a = {0}, b = {0};
    err_t e;
    if (st_read(argv[1], &a, &e) || st_read(argv[2], &b, &e)) {
        fprintf(stderr, "st_diff: %s\n", e.msg);
        st_close(&a);
        return 1;
    }
    for (int i = 0; i < a.count; i++) {
        const st_tensor_t *t = st_find(&b, a.tensors[i].name);
        if (!t || !same(&a.tensors[i], t))
            printf("%s\n", a.tensors[i].name);
    }
    for (int i = 0; i < b.count; i++)
        if (!st_find(&a, b.tensors[i].name))
            printf("%s\n", b.tensors[i].name);
    st_close(&a);
    st_close(&b);
    return 0;
}

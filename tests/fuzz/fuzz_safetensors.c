/* fuzz_safetensors.c - the safetensors reader on arbitrary bytes. */
#include "fuzz_common.h"
#include "model/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_file_t f;
    err_t e;
    if (st_read(fuzz_file("t.safetensors", data, size), &f, &e) == 0) {
        int64_t shape[ST_MAX_DIMS];
        for (int i = 0; i < f.count; i++) {
            const st_tensor_t *t = &f.tensors[i];
            memcpy(shape, t->shape, sizeof shape);
            void *dst = malloc(t->nbytes ? t->nbytes : 1);
            st_get(&f, t->name, t->dtype, t->ndim, shape, dst, &e);
            free(dst);
        }
        st_close(&f);
    }
    return 0;
}

/* seed: a small valid file written by st_write */
static void fuzz_seed(const char *dir)
{
    float w[6] = {1, 2, 3, 4, 5, 6};
    int64_t i = 7;
    st_tensor_t t[2] = {{.name = "w", .dtype = ST_F32, .ndim = 2, .shape = {2, 3}, .data = w,
                         .nbytes = sizeof w},
                        {.name = "i", .dtype = ST_I64, .ndim = 0, .data = &i, .nbytes = 8}};
    const char *k[] = {"format"}, *v[] = {"mscnn"};
    char p[512];
    snprintf(p, sizeof p, "%s/small.safetensors", dir);
    err_t e;
    if (st_write(p, t, 2, k, v, 1, &e))
        abort();
}

/* fuzz_common.h - shared by the libFuzzer harnesses: the input lands in a
 * file (the readers take paths), in a scratch directory made once. */
#ifndef MSCNN_FUZZ_COMMON_H
#define MSCNN_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *fuzz_dir(void)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/mscnn-fuzz-XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    return dir;
}

/* dir/name, made from the fuzzer's bytes. */
__attribute__((unused)) static const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[4][256];
    static int turn;
    char *p = path[turn++ & 3];
    snprintf(p, 256, "%s/%s", fuzz_dir(), name);
    FILE *fp = fopen(p, "wb");
    if (!fp)
        abort();
    if (size && fwrite(data, 1, size, fp) != size)
        abort();
    fclose(fp);
    return p;
}

/* Writes the seed files into dir (argv[1] of "harness -seed DIR"). */
__attribute__((unused)) static void fuzz_write_seed(const char *dir, const char *name, const void *data, size_t size)
{
    char p[512];
    mkdir(dir, 0700);
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "wb");
    if (!fp || (size && fwrite(data, 1, size, fp) != size))
        abort();
    fclose(fp);
}

/* Each harness writes its seed files (small valid inputs) into dir. */
static void fuzz_seed(const char *dir);

/* libFuzzer calls this before it reads the corpus: with
 * MSCNN_FUZZ_SEED_DIR set (make fuzz sets it to the corpus folder), the
 * seeds are written there first. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *dir = getenv("MSCNN_FUZZ_SEED_DIR");
    if (dir && *dir) {
        mkdir(dir, 0700);
        fuzz_seed(dir);
    }
    return 0;
}

#endif

/* fuzz_argv.c - the command line parser: the input is argv, its arguments
 * separated by NUL bytes. No config file is read (HOME and XDG_CONFIG_HOME
 * point at an empty scratch folder). */
#include "fuzz_common.h"
#include "settings/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once++) {
        setenv("HOME", fuzz_dir(), 1);
        setenv("XDG_CONFIG_HOME", fuzz_dir(), 1);
    }
    char *buf = malloc(size + 1), *argv[65] = {"mscnn"};
    memcpy(buf, data, size);
    buf[size] = 0;
    int argc = 1;
    for (size_t i = 0; i <= size && argc < 64;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    options_t o;
    opt_action_t act;
    err_t e;
    options_parse(&o, argc, argv, &act, &e);
    free(buf);
    return 0;
}

static void fuzz_seed(const char *dir)
{
    static const char a[] = "--epochs\0" "3\0" "--lr\0" "0.1\0" "--dataset\0" "synth\0"
                            "--tune_threshold\0" "coverage=0.9\0" "--batch";
    static const char b[] = "--arch=air\0" "-c\0" "/nonexistent.ini\0" "--device\0" "cpu";
    fuzz_write_seed(dir, "a.argv", a, sizeof a - 1);
    fuzz_write_seed(dir, "b.argv", b, sizeof b - 1);
}

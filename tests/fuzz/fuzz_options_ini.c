/* fuzz_options_ini.c - the INI options reader (-c FILE) on arbitrary bytes. */
#include "fuzz_common.h"
#include "settings/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    options_t o;
    err_t e;
    options_defaults(&o);
    options_load_ini(&o, fuzz_file("o.ini", data, size), &e);
    return 0;
}

static void fuzz_seed(const char *dir)
{
    static const char ini[] = "; a config\n[run]\nseed = 3\nthreads = 2\n[data]\ndataset = synth\n"
                              "val_fraction = 0.1\n[train]\nepochs = 2\nlr = 0.05\n"
                              "lr_schedule = cosine\n[stage2]\njudge_lr = 0.01\n";
    fuzz_write_seed(dir, "a.ini", ini, sizeof ini - 1);
}

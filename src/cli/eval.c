/* eval.c - `mscnn eval -m DIR`: the report of a saved model on its test
 * split, without training: the batch run of `--load_model DIR --epochs 0`
 * with every setting (--data_dir, --tta, --predictions, --output_dir...)
 * passed through the settings parser. */
#include "cli/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"
#include "cli/subcmd.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: mscnn eval -m DIR [options]\n"
            "The full report of the trained model in DIR on the test split of its data,\n"
            "without training (as mscnn --batch --load_model DIR --epochs 0): test\n"
            "accuracy, classification report, confusion matrix, risk-coverage, the PNG\n"
            "plots in --output_dir and, with --predictions FILE, one row per test image.\n\n"
            "  -m, --model DIR         the model directory (as --save_model wrote it)\n"
            "  -h, --help              this help\n"
            "Every setting of mscnn --help applies (--data_dir, --dataset, --tta,\n"
            "--threshold, --tune_threshold, --predictions, --output_dir, --device...),\n"
            "except --epochs and --load_model.\n");
}

static int refused(int n, char **args)
{
    static const char *const flags[] = {"--epochs", "--load_model", "--load-model"};
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 3; j++) {
            size_t len = strlen(flags[j]);
            if (!strncmp(args[i], flags[j], len) && (!args[i][len] || args[i][len] == '=')) {
                fprintf(stderr, "mscnn eval: %s is not for eval (it evaluates -m DIR and "
                                "trains nothing)\n", flags[j]);
                return 1;
            }
        }
    return 0;
}

int eval_main(int argc, char **argv, volatile sig_atomic_t *stop)
{
    const char *model = NULL;
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest, help, rc = 2;
    int n = subcmd_models("eval", argc, argv, &model, 1, rest, &nrest, &help);
    if (help) {
        usage(stdout);
        rc = 0;
    } else if (n == 0) {
        fprintf(stderr, "mscnn eval: give the model directory with -m DIR (see mscnn eval "
                        "--help)\n");
    } else if (n > 0 && !refused(nrest, rest)) {
        static const char *const extra[] = {"--epochs", "0", NULL};
        options_t o;
        rc = subcmd_settings("eval", model, nrest, rest, extra, &o);
        if (!rc)
            rc = run_batch(&o, stop);
    }
    free(rest);
    return rc;
}

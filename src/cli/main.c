/* main.c - mscnn entry point: options, signals, and the chosen mode. */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/compare.h"
#include "cli/eval.h"
#include "cli/predict.h"
#include "settings/options.h"
#include "cli/run.h"
#include "ui/app.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int main(int argc, char **argv)
{
    options_t opt;
    opt_action_t action;
    err_t e = {{0}};
    if (argc > 1 && !strcmp(argv[1], "bench")) /* mscnn bench [options] */
        return bench_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "predict"))
        return predict_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "compare"))
        return compare_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "eval")) {
        install_signals();
        return eval_main(argc - 1, argv + 1, &stop_requested);
    }
    if (options_parse(&opt, argc, argv, &action, &e)) {
        fprintf(stderr, "mscnn: %s\n", e.msg);
        return 2;
    }
    if (action == OPT_HELP) {
        options_print_help(stdout, "mscnn");
        printf("\nSubcommands (mscnn CMD --help for each):\n"
               "  mscnn predict -m DIR FILE|FOLDER...  the model's answers for pictures\n"
               "  mscnn eval -m DIR [options]          the report of a saved model\n"
               "  mscnn compare -m A -m B [options]    two models on the same test images\n"
               "  mscnn bench [options]                training and inference speed\n");
        return 0;
    }
    if (action == OPT_VERSION) {
        printf("mscnn %s\n", PACKAGE_VERSION);
        return 0;
    }
    install_signals();
    if (!opt.batch_mode)
        return workbench_run(&opt, &stop_requested);
    return run_batch(&opt, &stop_requested);
}

/* run.h - a headless (--batch) run: data, model, training, report. */
#ifndef MSCNN_RUN_H
#define MSCNN_RUN_H

#include <signal.h>

#include "settings/options.h"

/* Returns the process exit status: 0 done, 1 runtime error, 130 stopped by
 * a signal (after the last completed epoch was saved). *stop is set
 * asynchronously by SIGINT/SIGTERM/SIGHUP handlers. */
int run_batch(const options_t *o, volatile sig_atomic_t *stop);

#endif

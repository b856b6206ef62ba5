/* eval.h - `mscnn eval`: the full report of a saved model, without training. */
#ifndef MSCNN_EVAL_H
#define MSCNN_EVAL_H

#include <signal.h>

/* argv[0] is "eval"; returns the exit status as run_batch(). */
int eval_main(int argc, char **argv, volatile sig_atomic_t *stop);

#endif

/* app.h - the interactive workbench (DESIGN.md section 6): `mscnn`
 * without --batch on a terminal. */
#ifndef MSCNN_UI_APP_H
#define MSCNN_UI_APP_H

#include <signal.h>

#include "settings/options.h"

/* Opens the session, starts the training thread and runs the screen until
 * the user quits or *stop is set (by SIGINT, SIGTERM or SIGHUP handlers;
 * the model is saved first). Returns the exit status: 0 done, 1 runtime
 * error, 2 usage error or stdin/stdout not a terminal (a message says to
 * use --batch), 130 stopped by a signal. */
int workbench_run(const options_t *o, volatile sig_atomic_t *stop);

#endif

/* subcmd.h - what mscnn predict, eval and compare share: their settings
 * flags go through the normal settings parser, and a session that only
 * scores. */
#ifndef MSCNN_SUBCMD_H
#define MSCNN_SUBCMD_H

#include "settings/options.h"
#include "train/session.h"

/* Parses the settings flags args[0..n) for `mscnn CMD` as batch-mode
 * settings with --load_model model (then extra, NULL-terminated, last).
 * Returns 0, or 2 with the error printed ("mscnn CMD: ..."). */
int subcmd_settings(const char *cmd, const char *model, int n, char **args,
                    const char *const *extra, options_t *o);

/* A scoring session on the model of o: setup_session_config(), then
 * session_open() with score_only (and no_data). 0, -1 (exit 1) or -2
 * (exit 2) with e set; s is ready for session_close() in every case. */
int subcmd_open(session_t *s, const options_t *o, int no_data, err_t *e);

/* Finds -m DIR / --model DIR / --model=DIR among argv[1..argc) (values of
 * settings flags skipped) and moves the rest into rest[] (*nrest). The
 * models are stored into models[0..max): returns their count, or -1 with
 * the usage error printed ("mscnn CMD: ..."); 1 in *help for -h/--help. */
int subcmd_models(const char *cmd, int argc, char **argv, const char **models, int max,
                  char **rest, int *nrest, int *help);

#endif

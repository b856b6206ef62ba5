/* subcmd.c - settings and a scoring session for the subcommands. */
#include "cli/subcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "setup/setup.h"

int subcmd_settings(const char *cmd, const char *model, int n, char **args,
                    const char *const *extra, options_t *o)
{
    int nextra = 0;
    while (extra && extra[nextra])
        nextra++;
    char **argv = xcalloc((size_t)n + nextra + 5, sizeof *argv);
    int argc = 0;
    argv[argc++] = (char *)"mscnn";
    argv[argc++] = (char *)"--batch";
    argv[argc++] = (char *)"--load_model";
    argv[argc++] = (char *)model;
    for (int i = 0; i < n; i++)
        argv[argc++] = args[i];
    for (int i = 0; i < nextra; i++)
        argv[argc++] = (char *)extra[i];
    opt_action_t action;
    err_t e = {{0}};
    int rc = options_parse(o, argc, argv, &action, &e);
    free(argv);
    if (rc) {
        fprintf(stderr, "mscnn %s: %s\n", cmd, e.msg);
        return 2;
    }
    return 0;
}

int subcmd_open(session_t *s, const options_t *o, int no_data, err_t *e)
{
    session_config_t cfg;
    memset(s, 0, sizeof *s);
    int rc = setup_session_config(o, &cfg, e);
    if (rc)
        return rc;
    cfg.score_only = 1;
    cfg.no_data = no_data;
    return session_open(s, &cfg, e);
}

int subcmd_models(const char *cmd, int argc, char **argv, const char **models, int max,
                  char **rest, int *nrest, int *help)
{
    int n = 0;
    *nrest = 0;
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            *help = 1;
            return 0;
        }
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "mscnn %s: %s expects a model directory\n", cmd, a);
                return -1;
            }
            v = argv[++i];
        } else if (!strncmp(a, "--model=", 8)) {
            v = a + 8;
        }
        if (v) {
            if (n == max) {
                fprintf(stderr, "mscnn %s: -m given more than %d time%s\n", cmd, max,
                        max == 1 ? "" : "s");
                return -1;
            }
            models[n++] = v;
            continue;
        }
        rest[(*nrest)++] = argv[i];
        if (options_takes_value(a) && i + 1 < argc)
            rest[(*nrest)++] = argv[++i];
    }
    return n;
}

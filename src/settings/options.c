/* options.c - every setting of a run: defaults, INI file, command line.
 *
 * The settings themselves are the table of options_table.c; this file
 * holds the public entry points that put the pieces together: the
 * defaults, and the full parse (command line, INI file, command line).
 * The INI reader is options_ini.c, the command line options_cli.c, the
 * recipes recipe.c, --help help.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "settings/options_table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void options_defaults(options_t *o)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < n_settings; i++)
        if (setting_store(o, &settings[i], settings[i].def))
            abort(); /* the table holds a default its own check refuses */
}

/* $XDG_CONFIG_HOME/mscnn/mscnn.ini, else ~/.config/mscnn/mscnn.ini, when it
 * exists. XDG says a relative $XDG_CONFIG_HOME is to be ignored. */
static int default_config(char *out, size_t len)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, len, "%s/mscnn/mscnn.ini", xdg);
    else if (home && *home)
        n = snprintf(out, len, "%s/.config/mscnn/mscnn.ini", home);
    else
        return 0;
    struct stat st;
    return n > 0 && (size_t)n < len && stat(out, &st) == 0;
}

int options_parse(options_t *o, int argc, char **argv, opt_action_t *action, err_t *e)
{
    options_defaults(o);
    *action = OPT_RUN;
    if (argc < 1)
        return 0;

    /* getopt may permute its argv; it works on a copy of the pointers. */
    char **args = xmalloc(((size_t)argc + 1) * sizeof *args);
    memcpy(args, argv, (size_t)argc * sizeof *args);
    args[argc] = NULL;

    int rc = -1;
    scan_t r = {0};
    options_t scratch;
    options_defaults(&scratch);
    options_scan_args(argc, args, &scratch, &r, e);
    if (r.action != OPT_RUN) { /* -h / --version win over everything */
        *action = r.action;
        rc = 0;
        goto out;
    }
    if (r.failed)
        goto out;

    if (r.config) {
        if (options_load_ini(o, r.config, e))
            goto out;
        snprintf(o->config_path, sizeof o->config_path, "%s", r.config);
    } else {
        char path[sizeof o->config_path];
        if (default_config(path, sizeof path)) {
            if (options_load_ini(o, path, e))
                goto out;
            memcpy(o->config_path, path, sizeof path);
        }
    }

    scan_t r2 = {0};
    options_scan_args(argc, args, o, &r2, e);
    if (!r2.failed)
        rc = 0;
out:
    free(args);
    return rc;
}


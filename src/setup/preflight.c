/* preflight.c - every output path and late-used setting checked before
 * the first training step, so that a run never trains for an hour and then
 * fails on a typo. */
#include "setup/setup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "model/model_io.h"

#define PATH_LEN 4096

/* A directory mscnn will create (mkdir -p) or replace: its nearest
 * existing ancestor must be a directory it can write in. */
static int check_creatable(const char *flag, const char *path, err_t *e)
{
    char dir[PATH_LEN];
    struct stat st;
    path_parent(path, dir, sizeof dir);
    while (stat(dir, &st) != 0 && strcmp(dir, ".") && strcmp(dir, "/")) {
        char up[PATH_LEN];
        path_parent(dir, up, sizeof up);
        snprintf(dir, sizeof dir, "%s", up);
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return err_set(e, "%s '%s': '%s' is %s, not a directory", flag, path, dir,
                       stat(dir, &st) ? "missing" : file_kind(st.st_mode));
    if (access(dir, W_OK | X_OK) != 0)
        return err_set(e, "%s '%s': cannot create or replace it in '%s': %s", flag, path, dir,
                       strerror(errno));
    return 0;
}

/* dir (what: the flag that names it) is absent or an mscnn model that a
 * save may replace, in a place mscnn can write. */
static int check_model_dir(const char *what, const char *dir, err_t *e)
{
    struct stat st;
    char ini[PATH_LEN + 16];
    if (!dir[0])
        return 0;
    model_dir_recover(dir);
    if (stat(dir, &st) == 0) {
        snprintf(ini, sizeof ini, "%s/model.ini", dir);
        if (!S_ISDIR(st.st_mode))
            return err_set(e, "%s '%s' is %s, not an mscnn model directory; "
                              "refusing to overwrite it (choose another --save_model)", what,
                           dir, file_kind(st.st_mode));
        if (access(ini, F_OK) != 0)
            return err_set(e, "%s '%s' exists and is not an mscnn model directory "
                              "(it has no model.ini); refusing to overwrite it (choose "
                              "another --save_model)", what, dir);
    }
    return check_creatable(what, dir, e);
}

/* --save_model, and with --save_best its DIR.best beside it. */
static int check_save_model(const options_t *o, err_t *e)
{
    if (check_model_dir("--save_model", o->save_model, e))
        return -1;
    if (!o->save_best || o->epochs == 0 || !o->save_model[0])
        return 0;
    char best[PATH_LEN];
    snprintf(best, sizeof best, "%s.best", o->save_model);
    return check_model_dir("--save_best: the best model's directory", best, e);
}

static int check_output_dir_kind(const char *dir, err_t *e)
{
    struct stat st;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
        return err_set(e, "--output_dir '%s' is %s; expected a directory (mscnn creates it "
                          "when missing)", dir, file_kind(st.st_mode));
    if (stat(dir, &st) == 0)
        return access(dir, W_OK | X_OK) ? err_set(e, "--output_dir '%s': cannot write in it: %s",
                                                  dir, strerror(errno)) : 0;
    return check_creatable("--output_dir", dir, e);
}

int setup_preflight(const options_t *o, err_t *e)
{
    finish_config_t fin;
    setup_finish_config(o, &fin);
    if (finish_config_check(&fin, e) || check_save_model(o, e) ||
        check_output_dir_kind(o->output_dir, e))
        return -2;
    return 0;
}

/* model_dir.c - atomic replacement of a model directory (see model_dir.h). */
#include "model/model_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PATH_LEN 4096
#define EXCHANGE_FLAG (1 << 1) /* RENAME_EXCHANGE of <linux/fs.h> */

/* The test hook MSCNN_TEST_SAVE_DELAY_US (model_dir.h). */
static void test_delay(void)
{
    const char *s = getenv("MSCNN_TEST_SAVE_DELAY_US");
    long us;
    if (s && parse_int(s, 1, 10000000, &us) == 0)
        usleep((useconds_t)us);
}

/* renameat2(RENAME_EXCHANGE) through syscall(), so an older glibc without
 * the wrapper works too; -1 with errno (ENOSYS without the syscall). */
static int exchange(const char *a, const char *b)
{
    const char *off = getenv("MSCNN_TEST_SAVE_NO_EXCHANGE");
    if (off && !strcmp(off, "1")) {
        errno = EINVAL;
        return -1;
    }
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, EXCHANGE_FLAG);
#else
    errno = ENOSYS;
    return -1;
#endif
}

/* The old way: two renames with a moment without dir in between. */
static int swap_two_step(const char *tmp, const char *dir, err_t *e)
{
    char old[PATH_LEN];
    snprintf(old, sizeof old, "%s.old-%ld", dir, (long)getpid());
    remove_tree(old);
    if (rename(dir, old))
        return err_set(e, "cannot move old model '%s' aside: %s", dir, strerror(errno));
    test_delay();
    if (rename(tmp, dir)) {
        int err = errno;
        rename(old, dir); /* put the old model back */
        return err_set(e, "cannot rename '%s' to '%s': %s", tmp, dir, strerror(err));
    }
    test_delay();
    remove_tree(old);
    return 0;
}

int model_dir_swap(const char *tmp, const char *dir, err_t *e)
{
    struct stat st;
    test_delay();
    if (stat(dir, &st) != 0) {
        if (rename(tmp, dir))
            return err_set(e, "cannot rename '%s' to '%s': %s", tmp, dir, strerror(errno));
        return 0;
    }
    if (exchange(tmp, dir) == 0) {
        test_delay();
        remove_tree(tmp); /* now the old model */
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP && errno != EPERM)
        return err_set(e, "cannot exchange '%s' with '%s': %s", tmp, dir, strerror(errno));
    static int told;
    if (!told++)
        fprintf(stderr, "mscnn: note: the filesystem of '%s' cannot exchange two "
                        "directories atomically (%s); replacing the model in two renames "
                        "(a crash between them is repaired on the next run)\n",
                dir, strerror(errno));
    return swap_two_step(tmp, dir, e);
}

/* ---- recovery ------------------------------------------------------------ */

/* "<base>.tmp-<pid>" or "<base>.old-<pid>": the kind ('t' or 'o') and pid. */
static int leftover(const char *name, const char *base, char *kind, long *pid)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) || (strncmp(name + n, ".tmp-", 5) && strncmp(name + n, ".old-", 5)))
        return 0;
    *kind = name[n + 1];
    return parse_int(name + n + 5, 1, INT_MAX, pid) == 0;
}

static int process_alive(long pid)
{
    return pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

static int has_model(const char *path)
{
    char p[PATH_LEN * 2 + 16];
    struct stat st;
    snprintf(p, sizeof p, "%s/model.ini", path);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Splits dir into its parent ("." if none) and its last component. */
static void split_path(const char *dir, char *parent, char *base)
{
    char d[PATH_LEN];
    snprintf(d, sizeof d, "%s", dir);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = 0;
    char *slash = strrchr(d, '/');
    if (!slash) {
        strcpy(parent, ".");
        snprintf(base, PATH_LEN, "%s", d);
        return;
    }
    snprintf(base, PATH_LEN, "%s", slash + 1);
    if (slash == d)
        strcpy(parent, "/");
    else
        *slash = 0, snprintf(parent, PATH_LEN, "%s", d);
}

/* Pass 0 restores a dead save's "<dir>.old-<pid>" when dir is missing;
 * pass 1 removes the dead saves' leftovers. */
static void recover_pass(const char *dir, const char *parent, const char *base, int pass)
{
    DIR *d = opendir(parent);
    if (!d)
        return;
    struct dirent *de;
    char kind, path[PATH_LEN * 2 + 2];
    long pid;
    struct stat st;
    while ((de = readdir(d))) {
        if (!leftover(de->d_name, base, &kind, &pid) || process_alive(pid))
            continue;
        snprintf(path, sizeof path, "%s/%s", parent, de->d_name);
        if (pass == 0 && kind == 'o' && stat(dir, &st) != 0 && errno == ENOENT &&
            has_model(path) && rename(path, dir) == 0) {
            fprintf(stderr, "mscnn: recovered the model '%s' from '%s', left by a save "
                            "that was interrupted\n", dir, path);
        } else if (pass == 1 && (kind == 't' || stat(dir, &st) == 0) &&
                   remove_tree(path) == 0) { /* never the only copy of a model */
            fprintf(stderr, "mscnn: removed '%s', left by an interrupted save of '%s'\n",
                    path, dir);
        }
    }
    closedir(d);
}

void model_dir_recover(const char *dir)
{
    char parent[PATH_LEN], base[PATH_LEN];
    split_path(dir, parent, base);
    if (!base[0])
        return;
    recover_pass(dir, parent, base, 0);
    recover_pass(dir, parent, base, 1);
}

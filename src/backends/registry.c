/* registry.c - the one place that names backends: opening one by name. */
#include "engine/backend.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

void backend_cpu_init(backend_t *be); /* cpu/backend.c */

static int online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

backend_t *backend_new(const char *name, int threads)
{
    backend_t *be = xcalloc(1, sizeof *be);
    be->threads = threads > 0 ? threads : online_cores();
    if (!strcmp(name, "ref")) {
        backend_ref_init(be);
    } else if (!strcmp(name, "cpu")) {
        backend_cpu_init(be);
    } else {
        free(be);
        return NULL;
    }
    return be;
}

void backend_free(backend_t *be)
{
    if (!be)
        return;
    if (be->release)
        be->release(be);
    free(be);
}

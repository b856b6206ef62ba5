/* registry.c - the one place that names backends: opening one by device. */
#include <config.h>

#include "backends/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void backend_cpu_init(backend_t *be); /* cpu/backend.c */

static int online_cores(void);

/* The GPU backend, in a build that has one (configure found CUDA): the
 * only conditional code for it outside gpu/. open_gpu() returns the
 * backend, or NULL with why saying why there is none. */
#ifdef MSCNN_HAVE_CUDA
#include "gpu/gpu.h"

static const char *const registered[] = {"ref", "cpu", "gpu", NULL};

static backend_t *open_gpu(int index, int threads, char *why, size_t size)
{
    backend_t *be = xcalloc(1, sizeof *be);
    be->threads = threads > 0 ? threads : online_cores();
    err_t e;
    if (gpu_backend_init(be, index, &e)) {
        size_t n = strlen(e.msg) < size ? strlen(e.msg) : size - 1;
        memcpy(why, e.msg, n);
        why[n] = '\0';
        free(be);
        return NULL;
    }
    const char *missing = backend_missing_op(be);
    if (missing) {
        snprintf(why, size, "the gpu backend lacks the %s op", missing);
        backend_free(be);
        return NULL;
    }
    return be;
}
#else
static const char *const registered[] = {"ref", "cpu", NULL};

static backend_t *open_gpu(int index, int threads, char *why, size_t size)
{
    (void)index, (void)threads;
    snprintf(why, size, "this build has no GPU backend (built without CUDA)");
    return NULL;
}
#endif

const char *backend_registered(int i)
{
    return i >= 0 && i < (int)(sizeof registered / sizeof registered[0]) ? registered[i] : NULL;
}

static int online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* "gpu" or "gpu:N": 1 and *index set; 0 when it is not a GPU name; -1 for
 * a malformed index. */
static int gpu_index(const char *device, int *index)
{
    if (strncmp(device, "gpu", 3) || (device[3] && device[3] != ':'))
        return 0;
    *index = 0;
    if (!device[3])
        return 1;
    long n;
    if (parse_int(device + 4, 0, 255, &n))
        return -1;
    *index = (int)n;
    return 1;
}

int backend_device_check(const char *device, err_t *e)
{
    int index;
    if (!strcmp(device, "auto") || !strcmp(device, "cpu") || !strcmp(device, "ref") ||
        gpu_index(device, &index) == 1)
        return 0;
    return err_set(e, "expected auto, cpu, ref, gpu or gpu:N, got '%s'", device);
}

static backend_t *open_cpu(const char *name, int threads)
{
    backend_t *be = xcalloc(1, sizeof *be);
    be->threads = threads > 0 ? threads : online_cores();
    if (!strcmp(name, "ref")) {
        be->threads = 1;
        backend_ref_init(be);
    } else {
        backend_cpu_init(be);
    }
    return be;
}

backend_t *backend_open(const char *device, int threads, err_t *e)
{
    int index;
    int gpu = gpu_index(device, &index);
    if (backend_device_check(device, e))
        return NULL;
    char why[128]; /* fits the note after "auto chose the CPU: " */
    int is_auto = !strcmp(device, "auto");
    if (gpu == 1 || is_auto) {
        backend_t *be = open_gpu(gpu == 1 ? index : 0, threads, why, sizeof why);
        if (be)
            return be;
        if (!is_auto) {
            err_set(e, "--device %s: %s; use --device cpu", device, why);
            return NULL;
        }
    }
    backend_t *be = open_cpu(strcmp(device, "ref") ? "cpu" : "ref", threads);
    const char *missing = backend_missing_op(be);
    if (missing) {
        err_set(e, "--device %s: the %s backend lacks the %s op", device, be->name, missing);
        backend_free(be);
        return NULL;
    }
    if (is_auto)
        snprintf(be->note, sizeof be->note, "auto chose the CPU: %s", why);
    return be;
}

int backend_precision_check(const char *precision, err_t *e)
{
    if (strcmp(precision, "auto") && strcmp(precision, "fp32") && strcmp(precision, "bf16"))
        return err_set(e, "expected auto, fp32 or bf16, got '%s'", precision);
    return 0;
}

int backend_set_precision(backend_t *be, const char *precision, int prefer_bf16,
                          char *warning, size_t size, err_t *e)
{
    warning[0] = '\0';
    if (backend_precision_check(precision, e))
        return err_set(e, "--precision: expected auto, fp32 or bf16, got '%s'", precision);
    int want = !strcmp(precision, "bf16") ||
               (!strcmp(precision, "auto") && prefer_bf16 && be->bf16_support == BF16_NATIVE);
    if (want && be->bf16_support == BF16_NONE && !strcmp(be->name, "cpu"))
        return err_set(e, "--precision bf16: this CPU has no bf16 convolutions in oneDNN "
                          "(%s; they need AVX-512); use --precision fp32 or auto", be->desc);
    if (want && be->bf16_support == BF16_NONE)
        return err_set(e, "--precision bf16: the %s backend computes in fp32 only; use "
                          "--precision fp32", be->name);
    if (want && be->bf16_support == BF16_EMULATED && strcmp(be->name, "ref"))
        snprintf(warning, size, "this CPU has no bf16 instructions (%s): bf16 is emulated, "
                                "slower than fp32", be->desc);
    be->bf16 = want;
    size_t len = strlen(be->desc); /* replaces what an earlier call added */
    if (len > 6 && (!strcmp(be->desc + len - 6, ", fp32") || !strcmp(be->desc + len - 6, ", bf16")))
        len -= 6;
    snprintf(be->desc + len, sizeof be->desc - len, ", %s", want ? "bf16" : "fp32");
    return 0;
}

void backend_free(backend_t *be)
{
    if (!be)
        return;
    if (be->release)
        be->release(be);
    free(be);
}

/* test_gpu_host.c - the GPU backend's host-side decisions (gpu/host.h),
 * on any machine: the cuDNN parameters of a convolution, the plan cache,
 * the choice of algorithm, buffer growth and the messages for a missing
 * driver or device. No CUDA call is made; the test links gpu/libgpu.a but
 * none of the CUDA libraries, so it could not make one. */
#include <limits.h>
#include <string.h>

#include "check.h"
#include "engine/backend.h"
#include "gpu/host.h"

static int same4(const int *a, int a0, int a1, int a2, int a3)
{
    return a[0] == a0 && a[1] == a1 && a[2] == a2 && a[3] == a3;
}

static void test_conv_shape(void)
{
    conv_desc_t d;
    gpu_conv_shape_t s;
    conv_desc_init(&d, 512, 24, 32, 32, 64, 3, 1, 1); /* air's first group */
    CHECK(gpu_conv_shape(&d, &s) == 0, "a 3x3 same conv is accepted");
    CHECK(same4(s.x, 512, 24, 32, 32) && same4(s.w, 64, 24, 3, 3) &&
              same4(s.y, 512, 64, 32, 32) && same4(s.bias, 1, 64, 1, 1),
          "x, w, y and bias dims NCHW");
    CHECK(s.pad_h == 1 && s.pad_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.dil_h == 1 &&
              s.dil_w == 1,
          "pad 1, stride 1, no dilation");

    conv_desc_init(&d, 3, 4, 9, 7, 6, 3, 1, 2); /* stride 2, odd sizes */
    CHECK(gpu_conv_shape(&d, &s) == 0 && same4(s.y, 3, 6, 5, 4) && s.stride_h == 2 &&
              s.stride_w == 2,
          "stride 2 on 9x7 gives 5x4, got %dx%d", s.y[2], s.y[3]);
    conv_desc_init(&d, 2, 3, 32, 32, 24, 2, 0, 1); /* the whitening conv */
    CHECK(gpu_conv_shape(&d, &s) == 0 && same4(s.y, 2, 24, 31, 31) && s.pad_h == 0,
          "2x2 valid conv on 32x32 gives 31x31");
    conv_desc_init(&d, 1, 1, 1, 1, 1, 1, 1, 1); /* padding wider than the kernel */
    CHECK(gpu_conv_shape(&d, &s) == 0 && same4(s.y, 1, 1, 3, 3), "1x1 kernel, pad 1: 3x3");

    conv_desc_init(&d, 1, 3, 2, 2, 4, 3, 0, 1); /* kernel larger than the input */
    CHECK(gpu_conv_shape(&d, &s) == -1, "a 3x3 kernel on 2x2 without padding is refused");
    conv_desc_init(&d, 0, 3, 8, 8, 4, 3, 1, 1);
    CHECK(gpu_conv_shape(&d, &s) == -1, "an empty batch is refused");
    conv_desc_init(&d, 2, 3, 8, 8, 4, 3, 1, 1);
    d.oh = 7;
    CHECK(gpu_conv_shape(&d, &s) == -1, "an output size not conv_desc_init's is refused");
    conv_desc_init(&d, 2, 3, 8, 8, 4, 3, 1, 1);
    d.pad = -1, d.oh = d.ow = 6;
    CHECK(gpu_conv_shape(&d, &s) == -1, "negative padding is refused");
    conv_desc_init(&d, 70000, 64, 32, 32, 64, 3, 1, 1); /* 4.6e9 elements */
    CHECK(gpu_conv_shape(&d, &s) == -1, "a tensor past INT_MAX elements is refused");
}

static void test_cache(void)
{
    gpu_conv_cache_t c;
    memset(&c, 0, sizeof c);
    conv_desc_t a, b;
    conv_desc_init(&a, 512, 64, 16, 16, 256, 3, 1, 1);
    int fresh;
    int sa = gpu_conv_cache_slot(&c, &a, &fresh);
    CHECK(fresh && c.used == 1, "a new shape gets a fresh slot");
    CHECK(gpu_conv_cache_slot(&c, &a, &fresh) == sa && !fresh, "the same shape hits it");
    b = a;
    b.stride = 2, b.oh = b.ow = 8; /* every field is part of the key */
    int sb = gpu_conv_cache_slot(&c, &b, &fresh);
    CHECK(fresh && sb != sa, "another stride is another shape");
    b = a;
    b.n = 511;
    CHECK(gpu_conv_cache_slot(&c, &b, &fresh) != sa && fresh, "another batch is another shape");
    b = a;
    b.pad = 0, b.oh = b.ow = 14;
    CHECK(gpu_conv_cache_slot(&c, &b, &fresh) != sa && fresh, "another padding too");

    /* fill the cache, keeping a in use: the least recently used goes */
    memset(&c, 0, sizeof c);
    conv_desc_t shapes[GPU_CONV_CACHE];
    int slot_of[GPU_CONV_CACHE];
    for (int i = 0; i < GPU_CONV_CACHE; i++) {
        conv_desc_init(&shapes[i], i + 1, 3, 8, 8, 4, 3, 1, 1);
        slot_of[i] = gpu_conv_cache_slot(&c, &shapes[i], &fresh);
        CHECK(fresh, "shape %d is new", i);
    }
    CHECK(c.used == GPU_CONV_CACHE, "the cache is full");
    int distinct = 1;
    for (int i = 0; i < GPU_CONV_CACHE; i++)
        for (int j = 0; j < i; j++)
            distinct &= slot_of[i] != slot_of[j];
    CHECK(distinct, "each shape has its own slot while there is room");
    gpu_conv_cache_slot(&c, &shapes[0], &fresh); /* shape 0 used again: 1 is now oldest */
    CHECK(!fresh, "shape 0 still cached");
    conv_desc_t extra;
    conv_desc_init(&extra, 999, 3, 8, 8, 4, 3, 1, 1);
    int se = gpu_conv_cache_slot(&c, &extra, &fresh);
    CHECK(fresh && se == slot_of[1], "a new shape takes the least recently used slot (%d, got %d)",
          slot_of[1], se);
    gpu_conv_cache_slot(&c, &shapes[0], &fresh);
    CHECK(!fresh, "the recently used shape 0 survived");
    gpu_conv_cache_slot(&c, &shapes[1], &fresh);
    CHECK(fresh, "the evicted shape 1 is rebuilt when it comes back");
}

static void test_algo_choice(void)
{
    /* cuDNN's heuristics, best first: the first that qualifies wins */
    gpu_algo_t cand[] = {
        {6, 1, 1, 0, 0},           /* TF32 Tensor Cores: no */
        {0, 1, 0, 1, 0},           /* not deterministic: no */
        {4, 0, 1, 1, 0},           /* not supported for the shape: no */
        {5, 1, 1, 1, (size_t)2 << 30}, /* needs 2 GiB: over the limit */
        {1, 1, 1, 1, 1 << 20},     /* yes */
        {2, 1, 1, 1, 0},
    };
    int n = (int)(sizeof cand / sizeof cand[0]);
    CHECK(gpu_algo_choose(cand, n, GPU_WORKSPACE_LIMIT) == 4,
          "the first deterministic plain-fp32 algorithm within the limit");
    CHECK(gpu_algo_choose(cand, n, (size_t)4 << 30) == 3, "a higher limit admits the 2 GiB one");
    CHECK(gpu_algo_choose(cand, n, 1000) == 5, "a 1000-byte limit leaves the one needing none");
    CHECK(gpu_algo_choose(cand, 3, GPU_WORKSPACE_LIMIT) == -1, "none qualifies: -1 (fallback)");
    CHECK(gpu_algo_choose(cand, 0, GPU_WORKSPACE_LIMIT) == -1, "no candidates: -1");
}

static void test_grow(void)
{
    CHECK(gpu_grow(0, 0, 1024) == 0, "nothing needed, nothing grown");
    CHECK(gpu_grow(4096, 100, 1024) == 0, "big enough: 0");
    CHECK(gpu_grow(4096, 4096, 1024) == 0, "exactly big enough: 0");
    CHECK(gpu_grow(0, 1, 1024) == 1024, "rounded up to the quantum");
    CHECK(gpu_grow(1024, 1025, 1024) == 2048, "to the next multiple");
    CHECK(gpu_grow(0, 3000, 1000) == 3000, "a multiple stays");
    CHECK(gpu_grow(0, 7, 0) == 7, "quantum 0 is 1");
    CHECK(gpu_grow(0, (size_t)-1, 1024) == (size_t)-1, "no overflow when rounding up");
}

static void test_messages(void)
{
    char m[256];
    gpu_count_message(m, sizeof m, GPU_ERR_INSUFFICIENT_DRIVER, "cudaErrorInsufficientDriver",
                      "CUDA driver version is insufficient for CUDA runtime version", 0, 13000);
    CHECK(strstr(m, "no NVIDIA driver") && strstr(m, "cudaErrorInsufficientDriver"),
          "no driver at all: %s", m);
    gpu_count_message(m, sizeof m, GPU_ERR_INSUFFICIENT_DRIVER, "cudaErrorInsufficientDriver",
                      "CUDA driver version is insufficient for CUDA runtime version", 12080,
                      13000);
    CHECK(strstr(m, "supports CUDA 12.8") && strstr(m, "CUDA 13.0") &&
              strstr(m, "cudaErrorInsufficientDriver"),
          "an old driver names both versions: %s", m);
    gpu_count_message(m, sizeof m, GPU_ERR_STUB_LIBRARY, "cudaErrorStubLibrary",
                      "CUDA driver is a stub library", 0, 13000);
    CHECK(strstr(m, "stub") && strstr(m, "cudaErrorStubLibrary"), "the stub driver: %s", m);
    gpu_count_message(m, sizeof m, GPU_ERR_NO_DEVICE, "cudaErrorNoDevice",
                      "no CUDA-capable device is detected", 13000, 13000);
    CHECK(!strcmp(m, "no CUDA device (cudaErrorNoDevice)"), "no device: %s", m);
    gpu_count_message(m, sizeof m, 0, "cudaSuccess", "no error", 13000, 13000);
    CHECK(!strcmp(m, "no CUDA device (cudaErrorNoDevice)"), "a count of 0: %s", m);
    gpu_count_message(m, sizeof m, 803, "cudaErrorSystemDriverMismatch",
                      "system has unsupported display driver / cuda driver combination",
                      13000, 13000);
    CHECK(strstr(m, "cudaGetDeviceCount failed") && strstr(m, "cudaErrorSystemDriverMismatch"),
          "any other error by name: %s", m);

    gpu_index_message(m, sizeof m, 3, 1);
    CHECK(!strcmp(m, "gpu:3 asked, 1 device (gpu:0)"), "index past one device: %s", m);
    gpu_index_message(m, sizeof m, 8, 4);
    CHECK(!strcmp(m, "gpu:8 asked, 4 devices (gpu:0 to gpu:3)"), "past four: %s", m);

    gpu_cudnn_version(m, sizeof m, 91900);
    CHECK(!strcmp(m, "9.19"), "cuDNN 91900 is 9.19, got %s", m);
    gpu_cudnn_version(m, sizeof m, 90100);
    CHECK(!strcmp(m, "9.1"), "cuDNN 90100 is 9.1, got %s", m);
    gpu_cudnn_version(m, sizeof m, 8907);
    CHECK(!strcmp(m, "8.9"), "cuDNN 8907 (the old encoding) is 8.9, got %s", m);
    gpu_cuda_version(m, sizeof m, 13000);
    CHECK(!strcmp(m, "13.0"), "CUDA 13000 is 13.0, got %s", m);
}

int main(void)
{
    test_conv_shape();
    test_cache();
    test_algo_choice();
    test_grow();
    test_messages();
    return check_done("test_gpu_host");
}

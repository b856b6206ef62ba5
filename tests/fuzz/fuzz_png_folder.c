/* fuzz_png_folder.c - the PNG folder reader: the input is one image of a
 * class folder beside a second class holding a valid 32x32 PNG. */
#include <png.h>

#include "fuzz_common.h"
#include "data/dataset.h"

static void write_valid_png(const char *path)
{
    static uint8_t px[32 * 32 * 3];
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = im.height = 32;
    im.format = PNG_FORMAT_RGB;
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (uint8_t)i;
    if (!png_image_write_to_file(&im, path, 0, px, 0, NULL))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char root[300];
    if (!root[0]) {
        char p[400];
        snprintf(root, sizeof root, "%s/png", fuzz_dir());
        mkdir(root, 0700);
        snprintf(p, sizeof p, "%s/a", root);
        mkdir(p, 0700);
        snprintf(p, sizeof p, "%s/b", root);
        mkdir(p, 0700);
        snprintf(p, sizeof p, "%s/b/ok.png", root);
        write_valid_png(p);
    }
    fuzz_file("png/a/x.png", data, size);
    dataset_t tr, te;
    err_t e;
    if (folder_load(root, 1, &tr, &te, &e) == 0) {
        dataset_free(&tr);
        dataset_free(&te);
    }
    return 0;
}

static void fuzz_seed(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s/ok.png", dir);
    write_valid_png(p);
}

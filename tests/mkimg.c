/* mkimg.c - test pictures for mscnn predict: PNG in every colour mode,
 * JPEG with an EXIF orientation, and a small folder data set.
 *
 *   mkimg png FILE W H rgb|rgba|grey|grey_alpha|palette|rgb16 SEED
 *   mkimg jpeg FILE W H rgb|grey SEED [ORIENTATION]
 *   mkimg folder ROOT N_TRAIN N_TEST     (3 classes, 32x32 PNGs)
 *
 * Pixels are a seeded pattern (a colour by seed and a gradient), so the
 * tests can tell pictures apart.
 */
#include <stdio.h> /* before jpeglib.h, which uses FILE and size_t */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <png.h>

static unsigned px(int x, int y, int c, unsigned seed)
{
    return (unsigned)((seed * 97u + (unsigned)c * 71u + (unsigned)x * (3u + c) +
                       (unsigned)y * (5u + seed % 7u)) % 256u);
}

static int write_png(const char *path, int w, int h, const char *mode, unsigned seed)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = (png_uint_32)w;
    im.height = (png_uint_32)h;
    int ch, wide = 0;
    png_byte cmap[256 * 3];
    if (!strcmp(mode, "rgb")) im.format = PNG_FORMAT_RGB, ch = 3;
    else if (!strcmp(mode, "rgba")) im.format = PNG_FORMAT_RGBA, ch = 4;
    else if (!strcmp(mode, "grey")) im.format = PNG_FORMAT_GRAY, ch = 1;
    else if (!strcmp(mode, "grey_alpha")) im.format = PNG_FORMAT_GA, ch = 2;
    else if (!strcmp(mode, "rgb16")) im.format = PNG_FORMAT_LINEAR_RGB, ch = 3, wide = 1;
    else if (!strcmp(mode, "palette")) {
        im.format = PNG_FORMAT_RGB_COLORMAP;
        im.colormap_entries = 256;
        for (int i = 0; i < 256; i++)
            for (int c = 0; c < 3; c++)
                cmap[3 * i + c] = (png_byte)px(i, i / 2, c, seed);
        ch = 1;
    } else {
        fprintf(stderr, "mkimg: unknown PNG mode '%s'\n", mode);
        return 2;
    }
    size_t n = (size_t)w * h * ch;
    unsigned char *buf = malloc(n * (wide ? 2 : 1));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < ch; c++) {
                size_t i = ((size_t)y * w + x) * ch + c;
                unsigned v = px(x, y, c, seed);
                if (ch == 1 && im.colormap_entries)
                    v = (unsigned)(x + y) % 256u;
                if (wide)
                    ((png_uint_16 *)buf)[i] = (png_uint_16)(v * 257u);
                else
                    buf[i] = (unsigned char)v;
            }
    int ok = png_image_write_to_file(&im, path, 0, buf, 0, im.colormap_entries ? cmap : NULL);
    free(buf);
    if (!ok) {
        fprintf(stderr, "mkimg: %s: %s\n", path, im.message);
        return 1;
    }
    return 0;
}

static void exif_orientation(struct jpeg_compress_struct *ci, int o)
{
    /* "Exif\0\0", little-endian TIFF header, IFD0 with one entry 0x0112 */
    unsigned char d[6 + 8 + 2 + 12 + 4] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
                                           1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0,
                                           (unsigned char)o, 0, 0, 0, 0, 0, 0, 0};
    jpeg_write_marker(ci, JPEG_APP0 + 1, d, sizeof d);
}

static int write_jpeg(const char *path, int w, int h, const char *mode, unsigned seed,
                      int orient)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        perror(path);
        return 1;
    }
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr err;
    ci.err = jpeg_std_error(&err);
    jpeg_create_compress(&ci);
    jpeg_stdio_dest(&ci, fp);
    int grey = !strcmp(mode, "grey");
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = grey ? 1 : 3;
    ci.in_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 95, TRUE);
    jpeg_start_compress(&ci, TRUE);
    if (orient)
        exif_orientation(&ci, orient);
    unsigned char *row = malloc((size_t)w * 3);
    while (ci.next_scanline < ci.image_height) {
        int y = (int)ci.next_scanline;
        for (int x = 0; x < w; x++)
            for (int c = 0; c < ci.input_components; c++)
                row[x * ci.input_components + c] = (unsigned char)px(x, y, c, seed);
        JSAMPROW r = row;
        jpeg_write_scanlines(&ci, &r, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    free(row);
    return fclose(fp) ? 1 : 0;
}

/* Class c: a colour (red, green, blue) plus a seeded texture. */
static int write_folder(const char *root, int ntrain, int ntest)
{
    static const char *const names[] = {"red", "green", "blue"};
    char path[2048];
    for (int part = 0; part < 2; part++)
        for (int c = 0; c < 3; c++) {
            snprintf(path, sizeof path, "%s/%s", root, part ? "test" : "train");
            mkdir(root, 0777);
            mkdir(path, 0777);
            snprintf(path, sizeof path, "%s/%s/%s", root, part ? "test" : "train", names[c]);
            mkdir(path, 0777);
            int n = part ? ntest : ntrain;
            for (int i = 0; i < n; i++) {
                png_image im;
                memset(&im, 0, sizeof im);
                im.version = PNG_IMAGE_VERSION;
                im.width = im.height = 32;
                im.format = PNG_FORMAT_RGB;
                unsigned char buf[32 * 32 * 3];
                unsigned s = (unsigned)(part * 100000 + c * 1000 + i);
                for (int p = 0; p < 32 * 32; p++)
                    for (int ch = 0; ch < 3; ch++)
                        buf[3 * p + ch] = (unsigned char)((ch == c ? 150 : 40) +
                                                          px(p % 32, p / 32, ch, s) % 90);
                snprintf(path, sizeof path, "%s/%s/%s/%04d.png", root, part ? "test" : "train",
                         names[c], i);
                if (!png_image_write_to_file(&im, path, 0, buf, 0, NULL)) {
                    fprintf(stderr, "mkimg: %s: %s\n", path, im.message);
                    return 1;
                }
            }
        }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "folder"))
        return write_folder(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc == 7 && !strcmp(argv[1], "png"))
        return write_png(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5],
                         (unsigned)atoi(argv[6]));
    if ((argc == 7 || argc == 8) && !strcmp(argv[1], "jpeg"))
        return write_jpeg(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5],
                          (unsigned)atoi(argv[6]), argc == 8 ? atoi(argv[7]) : 0);
    fprintf(stderr, "usage: mkimg png FILE W H MODE SEED | jpeg FILE W H rgb|grey SEED [ORIENT]"
                    " | folder ROOT N_TRAIN N_TEST\n");
    return 2;
}

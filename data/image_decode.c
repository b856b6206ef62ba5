/* image_decode.c - PNG (libpng's simplified API) and JPEG (libjpeg) files
 * as 8-bit RGB, EXIF orientation, central crop and the area-filter resize. */
#include "data/image_decode.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE and size_t */
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#define MAX_SIDE 65535          /* a larger side is refused */
#define MAX_PIXELS (1L << 26)   /* 64 M pixels (256 MB decoded as RGBA) */

void rgb_image_free(rgb_image_t *im)
{
    free(im->rgb);
    memset(im, 0, sizeof *im);
}

static int size_ok(const char *path, const char *fmt, unsigned w, unsigned h, err_t *e)
{
    if (w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || (long)w * (long)h > MAX_PIXELS)
        return err_set(e, "%s file '%s' is %ux%u pixels: too large or empty", fmt, path, w, h);
    return 0;
}

/* ---- PNG ------------------------------------------------------------------ */

static int read_png(const char *path, rgb_image_t *out, err_t *e)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) {
        err_set(e, "cannot read PNG file '%s': %s", path, im.message);
        png_image_free(&im);
        return -1;
    }
    if (size_ok(path, "PNG", im.width, im.height, e)) {
        png_image_free(&im);
        return -1;
    }
#ifdef PNG_IMAGE_FLAG_16BIT_sRGB
    im.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
#endif
    /* 8-bit RGBA: colour not premultiplied (libpng does that only for the
     * linear 16-bit formats); alpha is 255 for images without one */
    im.format = PNG_FORMAT_RGBA;
    size_t npix = (size_t)im.width * im.height;
    uint8_t *rgba = xmalloc(npix * 4);
    if (!png_image_finish_read(&im, NULL, rgba, 0, NULL)) {
        err_set(e, "cannot decode PNG file '%s': %s", path, im.message);
        png_image_free(&im);
        free(rgba);
        return -1;
    }
    png_image_free(&im);
    out->w = (int)im.width;
    out->h = (int)im.height;
    out->rgb = xmalloc(npix * 3);
    for (size_t i = 0; i < npix; i++) {
        unsigned a = rgba[4 * i + 3];
        for (int c = 0; c < 3; c++)
            out->rgb[3 * i + c] = (uint8_t)((rgba[4 * i + c] * a + 127) / 255);
    }
    free(rgba);
    return 0;
}

/* ---- JPEG ----------------------------------------------------------------- */

typedef struct {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    int truncated;          /* the data ended before the image did */
} jpeg_err_t;

static void jpeg_fail(j_common_ptr cinfo)
{
    jpeg_err_t *je = (jpeg_err_t *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, je->msg);
    longjmp(je->jump, 1);
}

/* Warnings are not printed; a premature end of the data fails the file
 * (libjpeg would fill the rest with grey), other warnings are tolerated. */
static void jpeg_quiet(j_common_ptr cinfo, int level)
{
    jpeg_err_t *je = (jpeg_err_t *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF && !je->truncated) {
        je->truncated = 1;
        (*cinfo->err->format_message)(cinfo, je->msg);
    }
}

static unsigned get16(const uint8_t *p, int le) { return le ? p[0] | p[1] << 8 : p[0] << 8 | p[1]; }

static unsigned long get32(const uint8_t *p, int le)
{
    return le ? (unsigned long)get16(p, 1) | (unsigned long)get16(p + 2, 1) << 16
              : (unsigned long)get16(p, 0) << 16 | get16(p + 2, 0);
}

int image_exif_orientation(const uint8_t *d, size_t len)
{
    if (len < 14 || memcmp(d, "Exif\0\0", 6))
        return 1;
    const uint8_t *t = d + 6;
    size_t tl = len - 6;
    int le = t[0] == 'I' && t[1] == 'I';
    if (!le && !(t[0] == 'M' && t[1] == 'M'))
        return 1;
    unsigned long ifd = get32(t + 4, le);
    if (ifd > tl - 2)
        return 1;
    unsigned n = get16(t + ifd, le);
    for (unsigned i = 0; i < n; i++) {
        size_t at = ifd + 2 + 12 * (size_t)i;
        if (at + 12 > tl)
            return 1;
        if (get16(t + at, le) == 0x0112) {
            unsigned v = get16(t + at + 8, le);
            return v >= 1 && v <= 8 ? (int)v : 1;
        }
    }
    return 1;
}

static int jpeg_orientation(j_decompress_ptr ci)
{
    for (jpeg_saved_marker_ptr m = ci->marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1)
            return image_exif_orientation(m->data, m->data_length);
    return 1;
}

/* volatile: they change between setjmp and a longjmp back */
static int read_jpeg(const char *path, FILE *fp, rgb_image_t *out, err_t *e)
{
    struct jpeg_decompress_struct ci;
    jpeg_err_t je;
    uint8_t *volatile rgb = NULL;
    uint8_t *volatile row = NULL;
    ci.err = jpeg_std_error(&je.mgr);
    je.mgr.error_exit = jpeg_fail;
    je.mgr.emit_message = jpeg_quiet;
    je.truncated = 0;
    if (setjmp(je.jump)) {
        err_set(e, "cannot decode JPEG file '%s': %s", path, je.msg);
        jpeg_destroy_decompress(&ci);
        free(rgb);
        free(row);
        return -1;
    }
    jpeg_create_decompress(&ci);
    jpeg_stdio_src(&ci, fp);
    jpeg_save_markers(&ci, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&ci, TRUE);
    if (size_ok(path, "JPEG", ci.image_width, ci.image_height, e)) {
        jpeg_destroy_decompress(&ci);
        return -1;
    }
    int cmyk = ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK;
    ci.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&ci);
    int w = (int)ci.output_width, h = (int)ci.output_height, nc = ci.output_components;
    rgb = xmalloc((size_t)w * h * 3);
    row = xmalloc((size_t)w * nc);
    while (ci.output_scanline < ci.output_height) {
        int y = (int)ci.output_scanline;
        JSAMPROW r = row;
        jpeg_read_scanlines(&ci, &r, 1);
        uint8_t *o = rgb + (size_t)y * w * 3;
        for (int x = 0; x < w; x++) {
            const uint8_t *s = row + (size_t)x * nc;
            if (cmyk) /* Adobe writes CMYK inverted: value = (255-C)...(255-K) */
                for (int c = 0; c < 3; c++)
                    o[3 * x + c] = (uint8_t)((s[c] * s[3] + 127) / 255);
            else
                memcpy(o + 3 * x, s, 3);
        }
    }
    int orient = jpeg_orientation(&ci);
    jpeg_finish_decompress(&ci);
    jpeg_destroy_decompress(&ci);
    free(row);
    if (je.truncated) {
        free(rgb);
        return err_set(e, "cannot decode JPEG file '%s': %s", path, je.msg);
    }
    out->w = w;
    out->h = h;
    out->rgb = rgb;
    image_orient(out, orient);
    return 0;
}

int image_read(const char *path, rgb_image_t *im, err_t *e)
{
    memset(im, 0, sizeof *im);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return err_set(e, "cannot open '%s': %s", path, strerror(errno));
    uint8_t magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, fp);
    int rc;
    if (got == 8 && !png_sig_cmp(magic, 0, 8)) {
        fclose(fp);
        return read_png(path, im, e);
    }
    if (got >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff) {
        rewind(fp);
        rc = read_jpeg(path, fp, im, e);
    } else {
        rc = err_set(e, "'%s' is neither a PNG nor a JPEG file (by its first bytes)", path);
    }
    fclose(fp);
    return rc;
}

/* ---- orientation, crop, resize ------------------------------------------ */

void image_orient(rgb_image_t *im, int o)
{
    if (o < 2 || o > 8)
        return;
    int w = im->w, h = im->h, swap = o >= 5;
    int ow = swap ? h : w, oh = swap ? w : h;
    uint8_t *dst = xmalloc((size_t)w * h * 3);
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            int sx, sy; /* the stored pixel shown at (x, y) */
            switch (o) {
            case 2: sx = w - 1 - x; sy = y; break;
            case 3: sx = w - 1 - x; sy = h - 1 - y; break;
            case 4: sx = x; sy = h - 1 - y; break;
            case 5: sx = y; sy = x; break;
            case 6: sx = y; sy = h - 1 - x; break;
            case 7: sx = w - 1 - y; sy = h - 1 - x; break;
            default: sx = w - 1 - y; sy = x; break; /* 8 */
            }
            memcpy(dst + ((size_t)y * ow + x) * 3, im->rgb + ((size_t)sy * w + sx) * 3, 3);
        }
    free(im->rgb);
    im->rgb = dst;
    im->w = ow;
    im->h = oh;
}

/* Weights of the source pixels [i0, i1] an output cell [a, b) covers. */
static double overlap(double a, double b, int i) {
    double lo = a > i ? a : i, hi = b < i + 1 ? b : i + 1;
    return hi > lo ? hi - lo : 0;
}

void image_resize_planes(const rgb_image_t *im, int crop, int w, int h, uint8_t *dst)
{
    int x0 = 0, y0 = 0, sw = im->w, sh = im->h;
    if (crop) {
        int side = sw < sh ? sw : sh;
        x0 = (sw - side) / 2;
        y0 = (sh - side) / 2;
        sw = sh = side;
    }
    double fx = (double)sw / w, fy = (double)sh / h;
    for (int y = 0; y < h; y++) {
        double ya = y * fy, yb = (y + 1) * fy;
        for (int x = 0; x < w; x++) {
            double xa = x * fx, xb = (x + 1) * fx, acc[3] = {0, 0, 0}, wsum = 0;
            for (int sy = (int)ya; sy < sh && sy < yb; sy++) {
                double wy = overlap(ya, yb, sy);
                for (int sx = (int)xa; sx < sw && sx < xb; sx++) {
                    double wt = wy * overlap(xa, xb, sx);
                    const uint8_t *p = im->rgb + ((size_t)(y0 + sy) * im->w + x0 + sx) * 3;
                    for (int c = 0; c < 3; c++)
                        acc[c] += wt * p[c];
                    wsum += wt;
                }
            }
            for (int c = 0; c < 3; c++) {
                double v = wsum > 0 ? acc[c] / wsum + 0.5 : 0;
                dst[(size_t)c * w * h + (size_t)y * w + x] = (uint8_t)(v > 255 ? 255 : v);
            }
        }
    }
}

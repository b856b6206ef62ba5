/* image_decode.h - one picture file (PNG or JPEG) as the model's input.
 *
 * The format is told by the file's first bytes (a JPEG named .png is read
 * as JPEG). Every PNG colour type and bit depth is read as 8-bit RGB, an
 * alpha channel composited onto black in sRGB values, round(v * a / 255)
 * (what the folder reader does); a JPEG (greyscale, RGB or CMYK) through
 * libjpeg, its EXIF orientation (tag 0x0112) applied. The picture is then
 * optionally cropped to its central square and resized to the output size
 * with an area filter (each output pixel the mean of the input area it
 * covers, fractional pixels weighted).
 */
#ifndef MSCNN_IMAGE_DECODE_H
#define MSCNN_IMAGE_DECODE_H

#include <stdint.h>
#include "base/util.h"

/* An 8-bit RGB picture, interleaved (h, w, 3). */
typedef struct {
    int w, h;
    uint8_t *rgb;
} rgb_image_t;

void rgb_image_free(rgb_image_t *im);

/* Decodes path into *im. 0, or -1 with e naming the file and what is wrong
 * (unreadable, not PNG or JPEG, corrupt). */
int image_read(const char *path, rgb_image_t *im, err_t *e);

/* Rotates/flips im by EXIF orientation 1..8 (others: no change). */
void image_orient(rgb_image_t *im, int orientation);

/* The EXIF orientation in a JPEG APP1 payload ("Exif\0\0" + TIFF), or 1. */
int image_exif_orientation(const uint8_t *app1, size_t len);

/* The central square of im (crop != 0) or all of it, resized with the area
 * filter to w x h and written as R, G, B planes (3, h, w) into dst. */
void image_resize_planes(const rgb_image_t *im, int crop, int w, int h, uint8_t *dst);

#endif

/* test_image.c - data/image_decode.c: EXIF orientation parsing, the eight
 * orientations, the area-filter resize and the central crop. */
#include <string.h>

#include "data/image_decode.h"
#include "check.h"

static rgb_image_t make(int w, int h)
{
    rgb_image_t im = {w, h, xmalloc((size_t)w * h * 3)};
    for (int i = 0; i < w * h; i++)
        for (int c = 0; c < 3; c++)
            im.rgb[3 * i + c] = (uint8_t)(i * 3 + c);
    return im;
}

static int at(const rgb_image_t *im, int x, int y) { return im->rgb[3 * (y * im->w + x)]; }

static void test_exif(void)
{
    uint8_t le[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
                    1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
    CHECK(image_exif_orientation(le, sizeof le) == 6, "little-endian orientation 6");
    uint8_t be[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
                    0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 3, 0, 0, 0, 0, 0, 0};
    CHECK(image_exif_orientation(be, sizeof be) == 3, "big-endian orientation 3");
    CHECK(image_exif_orientation(be, 20) == 1, "a truncated IFD gives 1");
    uint8_t bad[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 0xff, 0xff, 0, 0};
    CHECK(image_exif_orientation(bad, sizeof bad) == 1, "an IFD offset past the end gives 1");
    CHECK(image_exif_orientation((const uint8_t *)"JFIF", 4) == 1, "no Exif: 1");
}

/* A 3x2 image: stored pixel (x, y) has red value (y*3 + x)*3. */
static void test_orient(void)
{
    rgb_image_t im = make(3, 2);
    image_orient(&im, 6); /* rotate 90 clockwise: 2x3, top row = left column bottom-up */
    CHECK(im.w == 2 && im.h == 3, "orientation 6 swaps the sides: %dx%d", im.w, im.h);
    CHECK(at(&im, 0, 0) == 9 && at(&im, 1, 0) == 0 && at(&im, 0, 2) == 15,
          "orientation 6 rotates clockwise: %d %d %d", at(&im, 0, 0), at(&im, 1, 0),
          at(&im, 0, 2));
    rgb_image_free(&im);
    im = make(3, 2);
    image_orient(&im, 3);
    CHECK(at(&im, 0, 0) == 15 && at(&im, 2, 1) == 0, "orientation 3 turns by 180");
    rgb_image_free(&im);
    im = make(3, 2);
    image_orient(&im, 8);
    CHECK(im.w == 2 && at(&im, 0, 0) == 6 && at(&im, 1, 2) == 9,
          "orientation 8 rotates counter-clockwise: %d %d", at(&im, 0, 0), at(&im, 1, 2));
    rgb_image_free(&im);
    im = make(3, 2);
    image_orient(&im, 2);
    CHECK(at(&im, 0, 0) == 6 && at(&im, 2, 0) == 0, "orientation 2 mirrors");
    rgb_image_free(&im);
}

static void test_resize(void)
{
    /* 4x4 to 2x2: each output the mean of a 2x2 block */
    rgb_image_t im = make(4, 4);
    uint8_t out[3 * 2 * 2];
    image_resize_planes(&im, 0, 2, 2, out);
    /* block (0,0): red values 0, 3, 12, 15 -> 7.5 -> 8 */
    CHECK(out[0] == 8, "area mean of the top-left block: %d", out[0]);
    CHECK(out[3] == (30 + 33 + 42 + 45 + 2) / 4, "bottom-right block: %d", out[3]);
    CHECK(out[4] == 9, "green plane follows: %d", out[4]);
    /* same size is a copy, in planes */
    uint8_t same[3 * 16];
    image_resize_planes(&im, 0, 4, 4, same);
    CHECK(same[5] == 15 && same[16 + 5] == 16, "same size: a plain copy");
    rgb_image_free(&im);
    /* 3x1 to 2x1: 1.5 pixels each, the middle one split in half */
    rgb_image_t r = {3, 1, xmalloc(9)};
    memset(r.rgb, 0, 9);
    r.rgb[0] = 0, r.rgb[3] = 90, r.rgb[6] = 180;
    uint8_t o2[6];
    image_resize_planes(&r, 0, 2, 1, o2);
    CHECK(o2[0] == 30 && o2[1] == 150, "fractional weights: %d %d", o2[0], o2[1]);
    /* centre crop of 3x1 is its middle pixel */
    uint8_t o1[3];
    image_resize_planes(&r, 1, 1, 1, o1);
    CHECK(o1[0] == 90, "central square: %d", o1[0]);
    rgb_image_free(&r);
}

int main(void)
{
    test_exif();
    test_orient();
    test_resize();
    return check_done("test_image");
}

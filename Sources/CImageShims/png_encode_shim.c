#include "loom_image_shims.h"

#include <stdio.h>
#include <string.h>
#include <png.h>

static void describe(png_image *image, int width, int height) {
    memset(image, 0, sizeof(*image));
    image->version = PNG_IMAGE_VERSION;
    image->width = (png_uint_32)width;
    image->height = (png_uint_32)height;
    image->format = PNG_FORMAT_RGB;
}

size_t loom_png_encode_bound(int width, int height) {
    png_image image;
    describe(&image, width, height);
    return (size_t)PNG_IMAGE_PNG_SIZE_MAX(image);
}

loom_image_status loom_png_encode_rgb(const unsigned char *pixels, int width, int height, unsigned char *out,
                                      size_t *out_size, char *message, size_t message_capacity) {
    png_image image;
    describe(&image, width, height);
    png_alloc_size_t size = (png_alloc_size_t)*out_size;
    int written = png_image_write_to_memory(&image, out, &size, 0, pixels, 0, NULL);
    if (!written) {
        snprintf(message, message_capacity, "%s", image.message[0] ? image.message : "libpng could not write the image");
        png_image_free(&image);
        return LOOM_IMAGE_CORRUPT;
    }
    *out_size = (size_t)size;
    return LOOM_IMAGE_OK;
}

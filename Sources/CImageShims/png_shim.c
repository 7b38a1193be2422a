#include "loom_image_shims.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <png.h>

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
    int truncated;
    char message[200];
} shim_source;

static void shim_read(png_structp png, png_bytep out, size_t length) {
    shim_source *source = (shim_source *)png_get_io_ptr(png);
    if (length > source->size - source->offset) {
        source->truncated = 1;
        png_error(png, "unexpected end of PNG data");
    }
    memcpy(out, source->data + source->offset, length);
    source->offset += length;
}

static void shim_error(png_structp png, png_const_charp text) {
    shim_source *source = (shim_source *)png_get_error_ptr(png);
    snprintf(source->message, sizeof(source->message), "%s", text);
    png_longjmp(png, 1);
}

static void shim_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static loom_image_status failure(const shim_source *source, char *message, size_t capacity) {
    snprintf(message, capacity, "%s", source->message);
    return source->truncated ? LOOM_IMAGE_TRUNCATED : LOOM_IMAGE_CORRUPT;
}

/* Sets the transforms that give Pillow's samples (see the header) and describes the result. */
static void configure(png_structp png, png_infop info_ptr, loom_image_info *info) {
    png_uint_32 width, height;
    int depth, color_type, interlace;
    png_get_IHDR(png, info_ptr, &width, &height, &depth, &color_type, &interlace, NULL, NULL);
    info->width = (int)width;
    info->height = (int)height;
    info->bytes_per_sample = 1;
    info->palette_entries = 0;
    switch (color_type) {
        case PNG_COLOR_TYPE_PALETTE: {
            png_colorp palette = NULL;
            int entries = 0;
            if (png_get_PLTE(png, info_ptr, &palette, &entries) == 0) entries = 0;
            if (entries > 256) entries = 256;
            for (int i = 0; i < entries; i++) {
                info->palette[3 * i + 0] = palette[i].red;
                info->palette[3 * i + 1] = palette[i].green;
                info->palette[3 * i + 2] = palette[i].blue;
            }
            info->palette_entries = entries;
            info->components = 1;
            png_set_packing(png);
            break;
        }
        case PNG_COLOR_TYPE_GRAY:
            info->components = 1;
            if (depth < 8) png_set_expand_gray_1_2_4_to_8(png);
            if (depth == 16) info->bytes_per_sample = 2;
            break;
        case PNG_COLOR_TYPE_GRAY_ALPHA:
            info->components = 1;
            png_set_strip_16(png);
            png_set_strip_alpha(png);
            break;
        default: /* RGB, RGB_ALPHA */
            info->components = 3;
            png_set_strip_16(png);
            png_set_strip_alpha(png);
            break;
    }
    if (interlace != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
}

static int create(png_structp *png, png_infop *info_ptr, shim_source *source,
                  const unsigned char *data, size_t size) {
    source->data = data;
    source->size = size;
    source->offset = 0;
    source->truncated = 0;
    source->message[0] = '\0';
    *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, source, shim_error, shim_warning);
    if (!*png) return 0;
    *info_ptr = png_create_info_struct(*png);
    if (!*info_ptr) {
        png_destroy_read_struct(png, NULL, NULL);
        return 0;
    }
    png_set_read_fn(*png, source, shim_read);
    /* Pillow checks no CRC from the image data on; the caller has checked the chunks before it. */
    png_set_crc_action(*png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    return 1;
}

loom_image_status loom_png_read_info(const unsigned char *data, size_t size, loom_image_info *info,
                                     char *message, size_t message_capacity) {
    png_structp png;
    png_infop info_ptr;
    shim_source source;
    memset(info, 0, sizeof(*info));
    if (!create(&png, &info_ptr, &source, data, size)) {
        snprintf(message, message_capacity, "out of memory creating the PNG reader");
        return LOOM_IMAGE_CORRUPT;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info_ptr, NULL);
        return failure(&source, message, message_capacity);
    }
    png_read_info(png, info_ptr);
    configure(png, info_ptr, info);
    png_destroy_read_struct(&png, &info_ptr, NULL);
    return LOOM_IMAGE_OK;
}

loom_image_status loom_png_decode(const unsigned char *data, size_t size, unsigned char *pixels,
                                  size_t pixels_size, char *message, size_t message_capacity) {
    png_structp png;
    png_infop info_ptr;
    shim_source source;
    loom_image_info info;
    if (!create(&png, &info_ptr, &source, data, size)) {
        snprintf(message, message_capacity, "out of memory creating the PNG reader");
        return LOOM_IMAGE_CORRUPT;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info_ptr, NULL);
        return failure(&source, message, message_capacity);
    }
    png_read_info(png, info_ptr);
    configure(png, info_ptr, &info);
    png_read_update_info(png, info_ptr);
    size_t row_bytes = png_get_rowbytes(png, info_ptr);
    size_t expected_row = (size_t)info.width * (size_t)info.components * (size_t)info.bytes_per_sample;
    if (row_bytes != expected_row || row_bytes * (size_t)info.height != pixels_size) {
        png_destroy_read_struct(&png, &info_ptr, NULL);
        snprintf(message, message_capacity, "PNG output size does not match its header");
        return LOOM_IMAGE_CORRUPT;
    }
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++) {
        for (int y = 0; y < info.height; y++) {
            png_read_row(png, pixels + row_bytes * (size_t)y, NULL);
        }
    }
    /* Like Pillow, the chunks after the image data are not read. */
    png_destroy_read_struct(&png, &info_ptr, NULL);
    return LOOM_IMAGE_OK;
}

#include "loom_image_shims.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    int truncated;
    char message[JMSG_LENGTH_MAX];
} shim_error;

static void shim_error_exit(j_common_ptr cinfo) {
    shim_error *error = (shim_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, error->message);
    longjmp(error->jump, 1);
}

/* Warnings are ignored, as Pillow ignores them, except running out of data: Pillow's suspending source reports
   that as a truncated file where libjpeg's memory source would pad the image with grey. */
static void shim_emit_message(j_common_ptr cinfo, int level) {
    shim_error *error = (shim_error *)cinfo->err;
    if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        error->truncated = 1;
        (*cinfo->err->format_message)(cinfo, error->message);
        longjmp(error->jump, 1);
    }
}

static void copy_message(char *out, size_t capacity, const char *text) {
    if (capacity == 0) return;
    strncpy(out, text, capacity - 1);
    out[capacity - 1] = '\0';
}

static loom_image_status failure(const shim_error *error, char *message, size_t capacity) {
    copy_message(message, capacity, error->message);
    return error->truncated ? LOOM_IMAGE_TRUNCATED : LOOM_IMAGE_CORRUPT;
}

static void start(struct jpeg_decompress_struct *cinfo, shim_error *error, const unsigned char *data, size_t size) {
    cinfo->err = jpeg_std_error(&error->manager);
    error->manager.error_exit = shim_error_exit;
    error->manager.emit_message = shim_emit_message;
    error->truncated = 0;
    error->message[0] = '\0';
    jpeg_create_decompress(cinfo);
    jpeg_mem_src(cinfo, data, (unsigned long)size);
}

static int supported_components(int components) {
    return components == 1 || components == 3 || components == 4;
}

loom_image_status loom_jpeg_read_info(const unsigned char *data, size_t size, loom_image_info *info,
                                      char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    shim_error error;
    memset(info, 0, sizeof(*info));
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return failure(&error, message, message_capacity);
    }
    start(&cinfo, &error, data, size);
    jpeg_read_header(&cinfo, TRUE);
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->components = cinfo.num_components;
    info->bytes_per_sample = 1;
    jpeg_destroy_decompress(&cinfo);
    if (!supported_components(info->components)) {
        snprintf(message, message_capacity, "JPEG with %d components is not supported", info->components);
        return LOOM_IMAGE_UNSUPPORTED;
    }
    return LOOM_IMAGE_OK;
}

loom_image_status loom_jpeg_decode(const unsigned char *data, size_t size, unsigned char *pixels,
                                   size_t pixels_size, char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    shim_error error;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return failure(&error, message, message_capacity);
    }
    start(&cinfo, &error, data, size);
    jpeg_read_header(&cinfo, TRUE);
    switch (cinfo.num_components) {
        case 1: cinfo.out_color_space = JCS_GRAYSCALE; break;
        case 3: cinfo.out_color_space = JCS_RGB; break;
        case 4: cinfo.out_color_space = JCS_CMYK; break;
        default:
            jpeg_destroy_decompress(&cinfo);
            snprintf(message, message_capacity, "JPEG with %d components is not supported", cinfo.num_components);
            return LOOM_IMAGE_UNSUPPORTED;
    }
    jpeg_start_decompress(&cinfo);
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if (row_bytes * cinfo.output_height != pixels_size) {
        jpeg_destroy_decompress(&cinfo);
        copy_message(message, message_capacity, "JPEG output size does not match its header");
        return LOOM_IMAGE_CORRUPT;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + row_bytes * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    /* Like Pillow, stop once every row is read: whatever follows the last scan (even a missing EOI) is not read. */
    jpeg_destroy_decompress(&cinfo);
    return LOOM_IMAGE_OK;
}

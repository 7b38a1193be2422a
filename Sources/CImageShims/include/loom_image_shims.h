#ifndef LOOM_IMAGE_SHIMS_H
#define LOOM_IMAGE_SHIMS_H

#include <stddef.h>

/// Outcome of a decode or encode call; on anything but `LOOM_IMAGE_OK` the message buffer holds the library's reason.
typedef enum {
    LOOM_IMAGE_OK = 0,
    /// The data ended before the image did.
    LOOM_IMAGE_TRUNCATED = 1,
    /// The library rejected the data.
    LOOM_IMAGE_CORRUPT = 2,
    /// Valid data of a kind Loom does not decode (for example a JPEG with 2 components).
    LOOM_IMAGE_UNSUPPORTED = 3,
} loom_image_status;

/// What a header describes, and the layout the matching decode call writes.
typedef struct {
    int width;
    int height;
    /// Samples per pixel written: JPEG 1 (gray), 3 (RGB) or 4 (CMYK as stored); PNG 1 (gray or palette index) or 3 (RGB).
    int components;
    /// 1, or 2 for 16-bit grayscale PNG (big-endian samples, kept whole because Pillow clips them).
    int bytes_per_sample;
    /// PNG: number of PLTE entries when the pixels are palette indices, else 0.
    int palette_entries;
    /// PNG: the PLTE entries as RGB triples.
    unsigned char palette[768];
} loom_image_info;

/// Reads a JPEG header.
loom_image_status loom_jpeg_read_info(const unsigned char *data, size_t size, loom_image_info *info,
                                      char *message, size_t message_capacity);

/// Decodes a JPEG into `pixels` (width * height * components bytes), components as stored: gray, RGB (converted
/// from YCbCr by libjpeg), or CMYK (YCCK converted to CMYK by libjpeg), with libjpeg's default (islow, fancy
/// upsampling) settings, as Pillow decodes.
loom_image_status loom_jpeg_decode(const unsigned char *data, size_t size, unsigned char *pixels,
                                   size_t pixels_size, char *message, size_t message_capacity);

/// Reads a PNG header.
loom_image_status loom_png_read_info(const unsigned char *data, size_t size, loom_image_info *info,
                                     char *message, size_t message_capacity);

/// Decodes a PNG into `pixels` (width * height * components * bytes_per_sample bytes): alpha stripped,
/// 16-bit samples reduced to their high byte except for grayscale, low-depth gray scaled to 8 bits,
/// palette images left as indices. Chunk CRCs are not checked (the caller checks those before the image data).
loom_image_status loom_png_decode(const unsigned char *data, size_t size, unsigned char *pixels,
                                  size_t pixels_size, char *message, size_t message_capacity);

/// The most bytes `loom_png_encode_rgb` can write for a `width` × `height` image (libpng's PNG_IMAGE_PNG_SIZE_MAX).
size_t loom_png_encode_bound(int width, int height);

/// Encodes 8-bit RGB `pixels` (width * height * 3 bytes, rows top to bottom) as a PNG through libpng's simplified
/// API: 8-bit RGB, no interlacing, no time stamp, so the same pixels always give the same bytes. `*out_size` holds the
/// capacity of `out` on entry and the bytes written on return.
loom_image_status loom_png_encode_rgb(const unsigned char *pixels, int width, int height, unsigned char *out,
                                      size_t *out_size, char *message, size_t message_capacity);

#endif

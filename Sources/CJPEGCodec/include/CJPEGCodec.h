#ifndef FLUOROBOX_CJPEGCODEC_H
#define FLUOROBOX_CJPEGCODEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What the JPEG header says, read without decoding the scans.
typedef struct fb_jpeg_info {
    int width;
    int height;
    int components;
    int data_precision;
    int progressive;
} fb_jpeg_info;

enum { FB_JPEG_MESSAGE_CAPACITY = 200 };

/// Reads the header of an in-memory JPEG. Returns 0 on success; on failure returns -1 and
/// leaves libjpeg's message in `message` (always NUL-terminated).
int fb_jpeg_read_info(const uint8_t *data, size_t length, fb_jpeg_info *info,
                      char message[FB_JPEG_MESSAGE_CAPACITY]);

/// Decodes an in-memory JPEG to 8-bit grayscale rows (libjpeg converts colour to luma).
/// `output` must hold width * height bytes. `warnings` receives libjpeg's count of corrupt-data
/// warnings (a truncated file decodes with warnings and grey fill). Returns 0 or -1 as above.
int fb_jpeg_decode_gray8(const uint8_t *data, size_t length, uint8_t *output,
                         size_t output_length, long *warnings,
                         char message[FB_JPEG_MESSAGE_CAPACITY]);

/// Encodes 8-bit samples (1 component: grayscale, 3: RGB) as a baseline JPEG in memory.
/// On success returns 0 and sets `*output` to a malloc'd buffer the caller frees with free().
int fb_jpeg_encode8(const uint8_t *samples, int width, int height, int components, int quality,
                    uint8_t **output, unsigned long *output_length,
                    char message[FB_JPEG_MESSAGE_CAPACITY]);

#ifdef __cplusplus
}
#endif

#endif

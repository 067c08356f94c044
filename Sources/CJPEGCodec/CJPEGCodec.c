// libjpeg's default error handler calls exit(); ours longjmps back here so a corrupt JPEG from a
// USB stick becomes an error message instead of ending the agent.
#include "CJPEGCodec.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <jpeglib.h>

typedef struct fb_error_manager {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    char *message;
} fb_error_manager;

static void fb_error_exit(j_common_ptr cinfo) {
    fb_error_manager *manager = (fb_error_manager *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    strncpy(manager->message, buffer, FB_JPEG_MESSAGE_CAPACITY - 1);
    manager->message[FB_JPEG_MESSAGE_CAPACITY - 1] = '\0';
    longjmp(manager->escape, 1);
}

static void fb_output_message(j_common_ptr cinfo) {
    // Warnings are counted by libjpeg in num_warnings; nothing is printed to stderr.
    (void)cinfo;
}

static struct jpeg_error_mgr *fb_errors(fb_error_manager *manager, char *message) {
    struct jpeg_error_mgr *base = jpeg_std_error(&manager->base);
    manager->base.error_exit = fb_error_exit;
    manager->base.output_message = fb_output_message;
    manager->message = message;
    message[0] = '\0';
    return base;
}

static void fb_prepare(struct jpeg_decompress_struct *cinfo, fb_error_manager *manager,
                       char *message) {
    memset(cinfo, 0, sizeof(*cinfo));
    cinfo->err = fb_errors(manager, message);
}

int fb_jpeg_read_info(const uint8_t *data, size_t length, fb_jpeg_info *info,
                      char message[FB_JPEG_MESSAGE_CAPACITY]) {
    struct jpeg_decompress_struct cinfo;
    fb_error_manager manager;
    fb_prepare(&cinfo, &manager, message);
    if (setjmp(manager.escape)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)length);
    jpeg_read_header(&cinfo, TRUE);
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->components = cinfo.num_components;
    info->data_precision = cinfo.data_precision;
    info->progressive = cinfo.progressive_mode ? 1 : 0;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int fb_jpeg_decode_gray8(const uint8_t *data, size_t length, uint8_t *output,
                         size_t output_length, long *warnings,
                         char message[FB_JPEG_MESSAGE_CAPACITY]) {
    struct jpeg_decompress_struct cinfo;
    fb_error_manager manager;
    fb_prepare(&cinfo, &manager, message);
    if (setjmp(manager.escape)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)length);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&cinfo);
    size_t row_bytes = (size_t)cinfo.output_width;
    if (cinfo.output_components != 1 ||
        output_length < row_bytes * (size_t)cinfo.output_height) {
        strncpy(message, "output buffer does not match the image size",
                FB_JPEG_MESSAGE_CAPACITY - 1);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = output + row_bytes * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    *warnings = manager.base.num_warnings;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int fb_jpeg_encode8(const uint8_t *samples, int width, int height, int components, int quality,
                    uint8_t **output, unsigned long *output_length,
                    char message[FB_JPEG_MESSAGE_CAPACITY]) {
    struct jpeg_compress_struct cinfo;
    fb_error_manager manager;
    unsigned char *buffer = NULL;
    unsigned long length = 0;
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = fb_errors(&manager, message);
    *output = NULL;
    *output_length = 0;
    if (setjmp(manager.escape)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &length);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t row_bytes = (size_t)width * (size_t)components;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(samples + row_bytes * cinfo.next_scanline);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *output = buffer;
    *output_length = length;
    return 0;
}

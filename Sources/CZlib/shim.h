#ifndef FLUOROBOX_CZLIB_SHIM_H
#define FLUOROBOX_CZLIB_SHIM_H
// zlib (zlib1g-dev): inflate and deflate for Deflated Explicit VR Little Endian data sets.
#include <zlib.h>

/// inflateInit2 is a macro in zlib.h, which Swift cannot call: -15 reads raw deflate (what
/// PS3.5 A.5 prescribes), 15 a stream with the zlib header that some writers add.
static inline int fb_inflate_init(z_streamp stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}
/// deflateInit2 is a macro too: -15 writes raw deflate, as PS3.5 A.5 prescribes.
static inline int fb_deflate_init(z_streamp stream, int level, int window_bits) {
    return deflateInit2(stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
}
#endif

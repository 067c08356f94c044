#ifndef FLUOROBOX_CFREETYPE_SHIM_H
#define FLUOROBOX_CFREETYPE_SHIM_H
// FreeType 2.12 (libfreetype-dev): anti-aliased glyphs for the overlay's legend.
#include <ft2build.h>
#include FT_FREETYPE_H
#endif

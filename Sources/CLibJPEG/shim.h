#ifndef FLUOROBOX_CLIBJPEG_SHIM_H
#define FLUOROBOX_CLIBJPEG_SHIM_H
// jpeglib.h needs FILE and size_t declared before it.
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>
#endif

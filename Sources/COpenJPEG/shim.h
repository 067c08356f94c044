#ifndef FLUOROBOX_COPENJPEG_SHIM_H
#define FLUOROBOX_COPENJPEG_SHIM_H
// OpenJPEG 2.5 (libopenjp2-7-dev): JPEG 2000 decoding.
#include <stdbool.h>
#include <stdint.h>
#include <openjpeg-2.5/openjpeg.h>
#endif

#ifndef FLUOROBOX_CCHARLS_SHIM_H
#define FLUOROBOX_CCHARLS_SHIM_H
// CharLS 2.4 (libcharls-dev): JPEG-LS decoding through its C API.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <charls/charls.h>
#endif

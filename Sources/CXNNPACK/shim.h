#ifndef FLUOROBOX_CXNNPACK_SHIM_H
#define FLUOROBOX_CXNNPACK_SHIM_H
#include <pthreadpool.h>
#include <xnnpack.h>
#endif

#ifndef FLUOROBOX_CLINUX_SHIM_H
#define FLUOROBOX_CLINUX_SHIM_H
// Linux-only calls Swift's Glibc module does not expose (they need _GNU_SOURCE).
#include <sys/syscall.h>
#include <unistd.h>

/// sync_file_range(2): start writeback of a file range without waiting for it.
static inline int fb_sync_file_range(int fd, long long offset, long long length, unsigned int flags) {
    return (int)syscall(SYS_sync_file_range, fd, offset, length, flags);
}

/// SYNC_FILE_RANGE_WRITE from <fcntl.h>.
static const unsigned int FB_SYNC_FILE_RANGE_WRITE = 2;
#endif

import Glibc

extension Posix {
    /// Cuts or extends a file to `length` bytes (a resumable upload drops a torn chunk).
    public static func truncate(_ fd: Int32, to length: Int64, path: String? = nil) throws(SystemCallError) {
        while Glibc.ftruncate(fd, off_t(length)) != 0 {
            let code = errno
            if code != EINTR { throw SystemCallError(code: code, call: "ftruncate", path: path) }
        }
    }

    /// Writes all `count` bytes at `offset`, looping over short writes.
    public static func pwriteAll(
        _ fd: Int32, from buffer: UnsafeRawPointer, count: Int, offset: Int64, path: String? = nil
    ) throws(SystemCallError) {
        var written = 0
        while written < count {
            let n = Glibc.pwrite(fd, buffer + written, count - written, off_t(offset) + off_t(written))
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SystemCallError(code: code, call: "pwrite", path: path)
            }
            if n == 0 { throw SystemCallError(code: EIO, call: "pwrite", path: path) }
            written += n
        }
    }
}

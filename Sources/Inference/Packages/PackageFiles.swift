import Foundation
import Glibc
import POSIXSupport

/// The file operations packages need, on POSIXSupport's typed system calls: bounded reads,
/// durable writes (fsync file, rename, fsync folder) and tree removal.
enum PackageFiles {
    /// Largest single file a package may hold (models of a few hundred MB are plausible).
    static let maximumFileBytes: Int64 = 2 << 30

    /// Reads a regular file (symbolic links are not followed) of at most `limit` bytes.
    static func read(_ path: String, limit: Int64 = maximumFileBytes) throws(SystemCallError) -> Data {
        let fd = try Posix.open(path, [.readOnly, .nonBlocking])
        defer { Posix.close(fd) }
        let status = try Posix.fileStatus(fd, path: path)
        guard status.isRegularFile else { throw SystemCallError(code: EINVAL, call: "read (not a regular file)", path: path) }
        guard status.size <= limit else { throw SystemCallError(code: EFBIG, call: "read (larger than \(limit) bytes)", path: path) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, Int(status.size)), alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        while filled < Int(status.size) {
            let n = try Posix.read(fd, into: buffer.baseAddress! + filled, count: Int(status.size) - filled, path: path)
            if n == 0 { break }
            filled += n
        }
        // A file that shrank while read gives what it held; the hash check then catches it.
        return Data(bytes: buffer.baseAddress!, count: filled)
    }

    /// Writes `bytes` to a new file at `path` and fsyncs it (the caller renames and fsyncs the folder).
    static func writeNew(_ path: String, _ bytes: Data, mode: mode_t = 0o644) throws(SystemCallError) {
        let fd = try Posix.open(path, [.writeOnly, .create, .exclusive], mode: mode)
        defer { Posix.close(fd) }
        let copy = [UInt8](bytes)
        if !copy.isEmpty {
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: copy.count, alignment: 1)
            defer { raw.deallocate() }
            raw.copyBytes(from: copy)
            try Posix.writeAll(fd, from: raw.baseAddress!, count: copy.count, path: path)
        }
        try Posix.fsync(fd, path: path)
    }

    /// Replaces `path` with `bytes` atomically (``Posix/replaceFile(_:with:mode:temporary:syncFile:syncDirectory:crashPoints:)``:
    /// temp file, fsync, rename, fsync folder). A crash at any point leaves the old file or the
    /// new one, never a mix; `written` and `renamed` name the steps for the crash tests.
    static func replace(
        _ path: String, with bytes: Data, written: StaticString, renamed: StaticString
    ) throws(SystemCallError) {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = folder + "/." + (path as NSString).lastPathComponent + ".tmp-\(Posix.currentProcessID)"
        // A copy, as in writeNew: Data.withUnsafeBytes would widen the typed error.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        try Posix.replaceFile(
            path, with: UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]), mode: 0o644, temporary: temporary,
            crashPoints: (written: written, renamed: renamed)
        )
    }

    /// Whether anything (file, folder or link) is at `path`.
    static func exists(_ path: String) -> Bool {
        (try? Posix.fileStatus(path, followLinks: false)) != nil
    }

    static func isDirectory(_ path: String) -> Bool {
        (try? Posix.fileStatus(path, followLinks: false))?.isDirectory == true
    }

    /// Removes a file or a folder tree without following symbolic links.
    static func removeTree(_ path: String) throws(SystemCallError) {
        let status: FileStatus
        do {
            status = try Posix.fileStatus(path, followLinks: false)
        } catch where error.isNotFound {
            return
        }
        if status.isDirectory {
            for name in try Posix.directoryEntries(path) {
                try removeTree(path + "/" + name)
            }
            try Posix.removeDirectory(path)
        } else {
            try Posix.unlink(path)
        }
    }
}

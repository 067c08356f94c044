import Foundation
import Glibc

extension FileHandle {
    /// A child process's log file: created when missing, written at its end, so a restarted child
    /// appends. Never the test runner's own stderr, which a child that outlived its test would
    /// hold open (`swift test` reads it to its end). The null device when the file cannot be
    /// opened: a log is no reason for a test to fail.
    public static func childLog(at path: String) -> FileHandle {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        return fd >= 0 ? FileHandle(fileDescriptor: fd, closeOnDealloc: true) : FileHandle.nullDevice
    }
}

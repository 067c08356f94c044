import Glibc

/// A failed system call, with what a technician needs to act: the call, the path and the reason.
///
/// Every errno in Fluorobox becomes one of these in ``Posix``; nothing else reads `errno`.
public struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The raw errno value.
    public let code: Int32
    /// The system call that failed, such as `open` or `fsync`.
    public let call: String
    /// The path it worked on, when there was one.
    public let path: String?

    public init(code: Int32, call: String, path: String? = nil) {
        self.code = code
        self.call = call
        self.path = path
    }

    /// The C library's text for the errno, such as "No space left on device".
    public var reason: String {
        String(cString: strerror(code))
    }

    /// The device or its quota is full (ENOSPC or EDQUOT).
    public var isOutOfSpace: Bool { code == ENOSPC || code == EDQUOT }
    /// The path does not exist (ENOENT).
    public var isNotFound: Bool { code == ENOENT }
    /// The path exists already (EEXIST).
    public var isAlreadyExisting: Bool { code == EEXIST }
    /// Permission was refused (EACCES or EPERM).
    public var isPermissionDenied: Bool { code == EACCES || code == EPERM }
    /// The file system is mounted read-only (EROFS).
    public var isReadOnlyFileSystem: Bool { code == EROFS }
    /// The call would block (EWOULDBLOCK/EAGAIN), e.g. a lock held elsewhere.
    public var wouldBlock: Bool { code == EWOULDBLOCK || code == EAGAIN }

    public var description: String {
        if let path {
            return "\(call)(\(path)): \(reason) (errno \(code))"
        }
        return "\(call): \(reason) (errno \(code))"
    }
}

import Glibc

/// An advisory `flock` on a lock file, shared between the processes that open the same data folder.
///
/// Each ``FileLock`` opens its own descriptor, so two locks in one process exclude each other just
/// as they would across processes. The lock is held only inside `withLock` scopes.
public final class FileLock: Sendable {
    public let path: String
    private let fd: Int32

    public init(path: String) throws(SystemCallError) {
        self.path = path
        fd = try Posix.open(path, [.readWrite, .create], mode: 0o640)
    }

    deinit {
        Posix.close(fd)
    }

    /// Runs `body` while holding the lock, waiting for it if another holder has it.
    public func withLock<T>(
        _ mode: Mode, _ body: () throws -> T
    ) throws -> T {
        _ = try Posix.flock(fd, mode.operation, wait: true, path: path)
        defer { _ = try? Posix.flock(fd, .unlock, wait: true, path: path) }
        return try body()
    }

    /// Takes the lock, waiting for other holders; release it with ``unlock()``.
    public func lock(_ mode: Mode) throws(SystemCallError) {
        _ = try Posix.flock(fd, mode.operation, wait: true, path: path)
    }

    /// Takes the lock without waiting; returns false when another holder has it.
    public func tryLock(_ mode: Mode) throws(SystemCallError) -> Bool {
        try Posix.flock(fd, mode.operation, wait: false, path: path)
    }

    public func unlock() {
        _ = try? Posix.flock(fd, .unlock, wait: true, path: path)
    }

    public enum Mode: Sendable {
        case shared, exclusive

        var operation: Posix.LockOperation {
            switch self {
            case .shared: .shared
            case .exclusive: .exclusive
            }
        }
    }
}

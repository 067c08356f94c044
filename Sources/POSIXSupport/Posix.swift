import CLinux
import Glibc

/// Thin throwing wrappers over the system calls Fluorobox needs for durable files.
///
/// This is the one place where errno is read and turned into ``SystemCallError``; EINTR is
/// retried here so no caller has to.
// `stat` and `statvfs` name both a struct and a function in Glibc; typed references pick the function.
private let systemStat: @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<stat>) -> Int32 = stat
private let systemLstat: @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<stat>) -> Int32 = lstat
private let systemFlock: @convention(c) (Int32, Int32) -> Int32 = flock
private let systemStatvfs: @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<statvfs>) -> Int32 = statvfs

public enum Posix {
    /// Open flags used by Fluorobox, spelled out so callers do not need Glibc.
    public struct OpenFlags: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let readOnly = OpenFlags(rawValue: O_RDONLY)
        public static let writeOnly = OpenFlags(rawValue: O_WRONLY)
        public static let readWrite = OpenFlags(rawValue: O_RDWR)
        public static let create = OpenFlags(rawValue: O_CREAT)
        public static let exclusive = OpenFlags(rawValue: O_EXCL)
        public static let truncate = OpenFlags(rawValue: O_TRUNC)
        public static let directory = OpenFlags(rawValue: O_DIRECTORY)
        public static let nonBlocking = OpenFlags(rawValue: O_NONBLOCK)
        public static let closeOnExec = OpenFlags(rawValue: O_CLOEXEC)
    }

    @inline(__always)
    private static func retrying<T: BinaryInteger>(
        _ call: String, path: String?, _ body: () -> T
    ) throws(SystemCallError) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemCallError(code: code, call: call, path: path)
        }
    }

    public static func open(
        _ path: String, _ flags: OpenFlags, mode: mode_t = 0o644
    ) throws(SystemCallError) -> Int32 {
        let flags = flags.union(.closeOnExec)
        return try retrying("open", path: path) { Glibc.open(path, flags.rawValue, mode) }
    }

    public static func close(_ fd: Int32) {
        // close() must not be retried on EINTR on Linux: the descriptor is gone either way.
        _ = Glibc.close(fd)
    }

    /// Reads up to `count` bytes; returns 0 at end of file.
    public static func read(
        _ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, path: String? = nil
    ) throws(SystemCallError) -> Int {
        try retrying("read", path: path) { Glibc.read(fd, buffer, count) }
    }

    /// Reads up to `count` bytes at `offset` without moving the file position.
    public static func pread(
        _ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, offset: Int64,
        path: String? = nil
    ) throws(SystemCallError) -> Int {
        try retrying("pread", path: path) { Glibc.pread(fd, buffer, count, off_t(offset)) }
    }

    /// Writes all `count` bytes, looping over short writes.
    public static func writeAll(
        _ fd: Int32, from buffer: UnsafeRawPointer, count: Int, path: String? = nil
    ) throws(SystemCallError) {
        var written = 0
        while written < count {
            let n = try retrying("write", path: path) {
                Glibc.write(fd, buffer + written, count - written)
            }
            if n == 0 {
                throw SystemCallError(code: EIO, call: "write", path: path)
            }
            written += n
        }
    }

    /// Asks the kernel to start writing a range to disk now, without waiting (sync_file_range
    /// with SYNC_FILE_RANGE_WRITE). The later fsync then finds most of the data already written.
    public static func startWriteback(_ fd: Int32, offset: Int64, length: Int64, path: String? = nil) throws(SystemCallError) {
        _ = try retrying("sync_file_range", path: path) {
            fb_sync_file_range(fd, offset, length, FB_SYNC_FILE_RANGE_WRITE)
        }
    }

    public static func fsync(_ fd: Int32, path: String? = nil) throws(SystemCallError) {
        _ = try retrying("fsync", path: path) { Glibc.fsync(fd) }
    }

    /// Opens a directory, fsyncs it so a rename or unlink inside it is durable, and closes it.
    public static func fsyncDirectory(_ path: String) throws(SystemCallError) {
        let fd = try open(path, [.readOnly, .directory])
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    public static func rename(_ from: String, _ to: String) throws(SystemCallError) {
        _ = try retrying("rename", path: "\(from) -> \(to)") { Glibc.rename(from, to) }
    }

    public static func unlink(_ path: String) throws(SystemCallError) {
        _ = try retrying("unlink", path: path) { Glibc.unlink(path) }
    }

    /// Removes an empty directory.
    public static func removeDirectory(_ path: String) throws(SystemCallError) {
        _ = try retrying("rmdir", path: path) { Glibc.rmdir(path) }
    }

    /// Creates a directory; an existing directory is not an error.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o750) throws(SystemCallError) {
        if Glibc.mkdir(path, mode) == 0 { return }
        let code = errno
        if code == EEXIST, (try? fileStatus(path))?.isDirectory == true { return }
        throw SystemCallError(code: code, call: "mkdir", path: path)
    }

    /// Creates a directory and its missing parents, fsyncing each parent that gained an entry.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o750) throws(SystemCallError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            let parent = prefix.isEmpty ? "/" : prefix
            prefix += "/" + component
            if (try? fileStatus(prefix))?.isDirectory == true { continue }
            try makeDirectory(prefix, mode: mode)
            try fsyncDirectory(parent)
        }
    }

    /// The file type and size of a path, without following a final symbolic link when asked.
    public static func fileStatus(_ path: String, followLinks: Bool = true) throws(SystemCallError) -> FileStatus {
        var info = stat()
        if followLinks {
            _ = try retrying("stat", path: path) { systemStat(path, &info) }
        } else {
            _ = try retrying("lstat", path: path) { systemLstat(path, &info) }
        }
        return FileStatus(info)
    }

    public static func fileStatus(_ fd: Int32, path: String? = nil) throws(SystemCallError) -> FileStatus {
        var info = stat()
        _ = try retrying("fstat", path: path) { Glibc.fstat(fd, &info) }
        return FileStatus(info)
    }

    /// Names in a directory, without "." and "..".
    public static func directoryEntries(_ path: String) throws(SystemCallError) -> [String] {
        guard let dir = opendir(path) else {
            throw SystemCallError(code: errno, call: "opendir", path: path)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw SystemCallError(code: errno, call: "readdir", path: path) }
                return names
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Space on the file system holding `path`.
    public static func fileSystemSpace(_ path: String) throws(SystemCallError) -> FileSystemSpace {
        var info = statvfs()
        _ = try retrying("statvfs", path: path) { systemStatvfs(path, &info) }
        let unit = UInt64(info.f_frsize == 0 ? info.f_bsize : info.f_frsize)
        return FileSystemSpace(
            totalBytes: UInt64(info.f_blocks) * unit,
            availableBytes: UInt64(info.f_bavail) * unit
        )
    }

    /// Applies or removes an advisory `flock`; returns false when `wait` is false and the lock is held elsewhere.
    public static func flock(
        _ fd: Int32, _ operation: LockOperation, wait: Bool, path: String? = nil
    ) throws(SystemCallError) -> Bool {
        var op: Int32
        switch operation {
        case .shared: op = LOCK_SH
        case .exclusive: op = LOCK_EX
        case .unlock: op = LOCK_UN
        }
        if !wait { op |= LOCK_NB }
        do {
            _ = try retrying("flock", path: path) { systemFlock(fd, op) }
            return true
        } catch let error where error.wouldBlock {
            return false
        }
    }

    /// Whether a process with this id exists (signal 0 probe).
    public static func processExists(_ pid: Int32) -> Bool {
        Glibc.kill(pid, 0) == 0 || errno == EPERM
    }

    public static var currentProcessID: Int32 { getpid() }

    /// `path` made absolute against the working directory, with "." components removed.
    public static func absolutePath(_ path: String) -> String {
        var base = ""
        if !path.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if getcwd(&buffer, buffer.count) != nil {
                base = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        var components: [Substring] = []
        for component in (base + "/" + path).split(separator: "/") where component != "." {
            components.append(component)
        }
        return "/" + components.joined(separator: "/")
    }

    public enum LockOperation: Sendable {
        case shared, exclusive, unlock
    }
}

/// The parts of `stat` Fluorobox looks at.
public struct FileStatus: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case regular, directory, symbolicLink, fifo, socket, characterDevice, blockDevice, unknown
    }

    public let kind: Kind
    public let size: Int64
    public let device: UInt64
    public let inode: UInt64
    /// Modification time in nanoseconds since 1970.
    public let modificationTimeNanoseconds: Int64
    /// Status change time in nanoseconds since 1970: unlike the modification time, no one can
    /// set it back, so it tells a file rewritten in place from the one before.
    public let changeTimeNanoseconds: Int64

    public var isDirectory: Bool { kind == .directory }
    public var isRegularFile: Bool { kind == .regular }

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        default: kind = .unknown
        }
        size = Int64(info.st_size)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        modificationTimeNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        changeTimeNanoseconds = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
    }
}

/// Total and available bytes of a file system (available as an unprivileged writer sees it).
public struct FileSystemSpace: Sendable, Hashable {
    public let totalBytes: UInt64
    public let availableBytes: UInt64

    public init(totalBytes: UInt64, availableBytes: UInt64) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
    }
}

import POSIXSupport

/// Bytes written to a temp file in `tmp/` and fsync'd, not yet filed under their final name.
///
/// While it exists it holds the data folder's intake lock in shared mode, so start-up recovery
/// in another process cannot take its temp file for an orphan. Hand it to
/// ``StudyStore/ingest(_:origin:unreadable:describe:)`` or call ``discard()``.
public final class StagedBlob: Sendable {
    /// Absolute path of the temp file.
    public let temporaryPath: String
    /// Hex SHA-256 of the bytes.
    public let sha256: String
    public let size: Int64
    let intakeLock: FileLock

    init(temporaryPath: String, sha256: String, size: Int64, intakeLock: FileLock) {
        self.temporaryPath = temporaryPath
        self.sha256 = sha256
        self.size = size
        self.intakeLock = intakeLock
    }

    /// Reads up to `count` leading bytes, e.g. to identify the content.
    public func readPrefix(_ count: Int) throws(SystemCallError) -> [UInt8] {
        let fd = try Posix.open(temporaryPath, .readOnly)
        defer { Posix.close(fd) }
        let wanted = Int(min(Int64(count), size))
        var buffer = [UInt8](repeating: 0, count: wanted)
        var filled = 0
        while filled < wanted {
            let outcome = buffer.withUnsafeMutableBytes { raw in
                Result { () throws(SystemCallError) in
                    try Posix.pread(fd, into: raw.baseAddress! + filled, count: wanted - filled, offset: Int64(filled), path: temporaryPath)
                }
            }
            let n = try outcome.get()
            if n == 0 { break }
            filled += n
        }
        return filled == wanted ? buffer : Array(buffer.prefix(filled))
    }

    /// Reads all the bytes.
    public func readAll() throws(SystemCallError) -> [UInt8] {
        try readPrefix(Int(size))
    }

    /// Removes the temp file and releases the intake lock.
    public func discard() {
        try? Posix.unlink(temporaryPath)
        intakeLock.unlock()
    }
}

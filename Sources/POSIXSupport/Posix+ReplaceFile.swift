import Glibc

extension Posix {
    /// Replaces `path` with `bytes` so that a crash leaves the old file or the new one, never a
    /// part: written to `temporary` (default `path.tmp`) with `mode`, fsync'd, renamed over
    /// `path`, and the folder fsync'd when `syncDirectory` is set. The temporary file is removed
    /// when any step fails.
    ///
    /// `syncFile: false` (which implies no folder fsync either) is for views the box rewrites
    /// often and can do without after a power cut (run/*.json status files): readers still never
    /// see a partial file. `crashPoints` names the steps after the write and after the rename
    /// for the crash tests (``CrashPoint``).
    public static func replaceFile(
        _ path: String, with bytes: UnsafeRawBufferPointer, mode: mode_t, temporary: String? = nil,
        syncFile: Bool = true, syncDirectory: Bool = true,
        crashPoints: (written: StaticString, renamed: StaticString)? = nil
    ) throws(SystemCallError) {
        let temporary = temporary ?? path + ".tmp"
        do throws(SystemCallError) {
            let fd = try open(temporary, [.writeOnly, .create, .truncate], mode: mode)
            do throws(SystemCallError) {
                if let base = bytes.baseAddress, bytes.count > 0 { try writeAll(fd, from: base, count: bytes.count, path: temporary) }
                if syncFile { try fsync(fd, path: temporary) }
            } catch {
                close(fd)
                throw error
            }
            close(fd)
            if let crashPoints { CrashPoint.reached(crashPoints.written) }
            try rename(temporary, path)
            if let crashPoints { CrashPoint.reached(crashPoints.renamed) }
            if syncFile && syncDirectory {
                let folder = path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
                try fsyncDirectory(folder)
            }
        } catch {
            try? unlink(temporary)
            throw error
        }
    }
}

import POSIXSupport
import Synchronization

/// The SHA-256 of the files the hub serves from its folders (model packages, OS bundles),
/// hashed once per version of a file: catalog polls, downloads and console views ask about the
/// same files of tens or hundreds of megabytes again and again.
///
/// A version is the file's device, inode, size, modification and change times. The change time
/// cannot be set back (`touch -d` sets it to now), so a file rewritten in place, even to the
/// same size and modification time, is hashed anew.
final class FileDigestCache: Sendable {
    /// The one cache of the process: the key is the path and its version, so hubs of one test
    /// process share it safely.
    static let shared = FileDigestCache()

    struct Version: Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var changed: Int64

        init(_ status: FileStatus) {
            (device, inode, size) = (status.device, status.inode, status.size)
            (modified, changed) = (status.modificationTimeNanoseconds, status.changeTimeNanoseconds)
        }
    }

    /// Beyond this many files it starts afresh (a folder's files are a few dozen).
    static let capacity = 4096

    private struct Entry {
        var version: Version
        var sha256: String
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let hashed = Atomic(0)

    /// How many times a file was read whole (tests count hits by it).
    var filesHashed: Int { hashed.load(ordering: .relaxed) }

    /// `path`'s size and SHA-256; nil when it is not a regular file. Blocking: call it off the
    /// event loop. A file that changes while it is read is not remembered.
    func digest(of path: String) throws(SystemCallError) -> (size: Int64, sha256: String)? {
        guard let before = try? Posix.fileStatus(path), before.isRegularFile else { return nil }
        let version = Version(before)
        if let entry = entries.withLock({ $0[path] }), entry.version == version {
            return (before.size, entry.sha256)
        }
        let sha256 = try SHA256Hex.string(ofFileAt: path)
        hashed.add(1, ordering: .relaxed)
        if let after = try? Posix.fileStatus(path), Version(after) == version {
            entries.withLock { entries in
                if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
                entries[path] = Entry(version: version, sha256: sha256)
            }
        }
        return (before.size, sha256)
    }
}

import Foundation
import FluoroboxTestSupport
import Glibc
@testable import PlatformHub
import POSIXSupport
import Testing

/// The hub hashes a served file once per version of it, and never answers with an old hash for a
/// file rewritten in place, even when its size and modification time are set back.
@Suite("File digest cache")
struct FileDigestCacheTests {
    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Sets the file's modification time back to `status`'s, as `touch -d` would.
    static func setModificationTime(of path: String, as status: FileStatus) {
        let nanoseconds = status.modificationTimeNanoseconds
        let time = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var times = [time, time]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }

    @Test("one read per version; a same-size rewrite with its old modification time is hashed anew")
    func hashesEachVersionOnce() throws {
        let folder = TemporaryDirectory("digest-cache")
        let path = folder.path + "/model-a.fbx"
        try Self.write("first version of the package", to: path)
        let cache = FileDigestCache()

        let first = try #require(try cache.digest(of: path))
        #expect(first.sha256 == SHA256Hex.string(of: Array("first version of the package".utf8)))
        #expect(first.size == 28)
        #expect(try cache.digest(of: path)?.sha256 == first.sha256)
        #expect(try PinnedFile("model-a.fbx", in: folder.path).sha256 == first.sha256)
        #expect(cache.filesHashed == 1)

        // Same size, modification time put back: only the change time tells.
        let before = try Posix.fileStatus(path)
        usleep(20_000)
        try Self.write("other version of the package", to: path)
        Self.setModificationTime(of: path, as: before)
        let after = try Posix.fileStatus(path)
        #expect(after.size == before.size && after.modificationTimeNanoseconds == before.modificationTimeNanoseconds)
        let second = try #require(try cache.digest(of: path))
        #expect(second.sha256 == SHA256Hex.string(of: Array("other version of the package".utf8)))
        #expect(cache.filesHashed == 2)

        // Not a regular file, or gone: nil, not a stale answer.
        #expect(try cache.digest(of: folder.path) == nil)
        try FileManager.default.removeItem(atPath: path)
        #expect(try cache.digest(of: path) == nil)
    }
}

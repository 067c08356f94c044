import Crypto
import Glibc
import POSIXSupport

/// A folder on shared storage as the image archive: each instance is written to
/// `<folder>/<device>/<key>.dcm` through a temporary file that is fsync'd and renamed, then the
/// folder is fsync'd. Keys hold only letters, digits and `.:_-`, so the name needs no escaping
/// (`:` is fine on the Linux file systems a region mounts: NFS, CephFS, ext4).
public struct FolderArchive: ArchiveTarget {
    public let folder: String

    public init(folder: String) throws(ArchiveError) {
        do {
            try Posix.makeDirectories(folder)
        } catch {
            throw ArchiveError(.configuration, "the archive folder \(folder) cannot be made: \(error)")
        }
        self.folder = folder
    }

    public var name: String { "folder \(folder)" }

    public func archive(_ instance: ArchiveInstance, deadline: ContinuousClock.Instant) async throws(ArchiveError) -> String {
        let relative = instance.device + "/" + instance.key + ".dcm"
        let folder = folder
        do {
            return try await BlockingIO.run {
                try Self.write(instance, folder: folder, relative: relative, deadline: deadline)
            }
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(.unreachable, "writing \(relative) into \(folder): \(error)")
        }
    }

    public func shutdown() async {}

    /// Blocking: runs on a thread of its own.
    private static func write(
        _ instance: ArchiveInstance, folder: String, relative: String, deadline: ContinuousClock.Instant
    ) throws -> String {
        let directory = folder + "/" + instance.device
        let target = folder + "/" + relative
        try Posix.makeDirectories(directory)
        if (try? Posix.fileStatus(target)) != nil {
            // Sent before (a worker that died before confirming, or a retry): the same bytes
            // are a success, other bytes under the name are not this hub's to overwrite.
            let held = try SHA256Hex.string(ofFileAt: target)
            guard held == instance.sha256 else {
                throw ArchiveError(.refused, "\(target) already holds other bytes (SHA-256 \(held), this instance \(instance.sha256))")
            }
            return relative
        }
        // Unique per process and attempt: two replicas never share a temporary file.
        let temporary = directory + "/.\(instance.key).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        do {
            let copied = try copy(from: instance.path, to: temporary)
            guard copied == instance.sha256 else {
                throw ArchiveError(.stagedBytesMissing, "\(instance.path) hashes to \(copied), the item says \(instance.sha256)")
            }
            // Past the lease another worker may own the row: leave the rename to it.
            guard ContinuousClock.now < deadline else {
                throw ArchiveError(.unreachable, "writing \(relative) outlasted the claim's lease")
            }
            try Posix.rename(temporary, target)
            try Posix.fsyncDirectory(directory)
        } catch {
            try? Posix.unlink(temporary)
            throw error
        }
        return relative
    }

    /// Copies in 1 MiB pieces, fsyncs, and returns the SHA-256 of what was copied.
    private static func copy(from source: String, to destination: String) throws -> String {
        let input: Int32
        do {
            input = try Posix.open(source, [.readOnly])
        } catch {
            throw ArchiveError(.stagedBytesMissing, "the staged file \(source) cannot be read: \(error)")
        }
        defer { Posix.close(input) }
        let output = try Posix.open(destination, [.writeOnly, .create, .exclusive], mode: 0o644)
        defer { Posix.close(output) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try Posix.read(input, into: buffer.baseAddress!, count: buffer.count, path: source)
            if count == 0 { break }
            let piece = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            hasher.update(bufferPointer: piece)
            try Posix.writeAll(output, from: piece.baseAddress!, count: count, path: destination)
        }
        try Posix.fsync(output, path: destination)
        return SHA256Hex.string(hasher.finalize())
    }
}

import Crypto
import Hummingbird
import NIOCore
import POSIXSupport

/// The part file of one upload: a chunk's body is written at its offset and fsync'd before the
/// store records the new offset. Shared by both stores; the caller holds the upload's lock.
struct StagedPart {
    let path: String

    /// What one written chunk holds.
    struct Written {
        /// The offset after the chunk.
        var end: Int64
        var sha256: String
    }

    /// Truncates the file to `offset` (bytes past it are from a chunk never recorded: a cut, or
    /// a replica killed mid-chunk), writes `body` from there and fsyncs. On a cut the bytes
    /// read are reported through `lost` and the error rethrown.
    static func write(
        path: String, offset: Int64, length: Int64, body: RequestBody, lost: (Int64) async -> Void
    ) async throws -> Written {
        let fd: Int32
        do {
            fd = try Posix.open(path, [.writeOnly, .create])
            try Posix.truncate(fd, to: offset, path: path)
        } catch {
            throw HubError(.storage, "opening \(path): \(error)")
        }
        var position = offset
        var hasher = SHA256()
        do {
            for try await buffer in body {
                guard Int64(buffer.readableBytes) <= length - position else {
                    throw HubError(.badRequest, "the chunk runs past Upload-Length \(length)")
                }
                let start = position
                try buffer.withUnsafeReadableBytes { bytes in
                    hasher.update(bufferPointer: bytes)
                    try Posix.pwriteAll(fd, from: bytes.baseAddress!, count: bytes.count, offset: start, path: path)
                }
                position += Int64(buffer.readableBytes)
            }
        } catch {
            Posix.close(fd)
            await lost(position - offset)
            throw error
        }
        do {
            try await BlockingIO.run { try Posix.fsync(fd, path: path) }
            Posix.close(fd)
        } catch {
            Posix.close(fd)
            throw HubError(.storage, "fsync \(path): \(error)")
        }
        return Written(end: position, sha256: SHA256Hex.string(hasher.finalize()))
    }

    /// The file's size, 0 when it is missing.
    static func size(_ path: String) -> Int64 {
        (try? Posix.fileStatus(path))?.size ?? 0
    }
}

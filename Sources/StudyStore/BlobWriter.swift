import Crypto
import Dispatch
import POSIXSupport

/// Writes incoming bytes to a temp file while hashing them, then fsyncs: the first step of the
/// durability promise. Network receivers append chunks as they arrive; file intake uses
/// ``copy(from:chunkObserver:)``.
public final class BlobWriter {
    public let temporaryPath: String
    private var fd: Int32
    private let hasher = ChunkHasher()
    private var written: Int64 = 0
    private let directory: DataDirectory
    private var finished = false

    /// Opens a new temp file under the data folder's `tmp/` and locks it (flock, exclusive) so
    /// start-up recovery in another process leaves it alone while it is written.
    ///
    /// The data folder's intake lock is taken only by ``finish()``: a sender that trickles an
    /// instance over minutes must not keep eviction (which takes that lock exclusively) waiting.
    init(directory: DataDirectory) throws(StoreError) {
        self.directory = directory
        temporaryPath = directory.temporaryPath + "/" + Self.uniqueName()
        do {
            fd = try Posix.open(temporaryPath, [.writeOnly, .create, .exclusive], mode: 0o640)
        } catch {
            throw StoreError.fileSystem(error, while: "creating a temp file")
        }
        do {
            // A fresh file nobody else has opened by name yet: the lock is free. (Recovery could
            // only take it in the instant between open and flock; the rename in ingest then
            // fails with a clear error and nothing was acknowledged.)
            _ = try Posix.flock(fd, .exclusive, wait: false, path: temporaryPath)
        } catch {
            Posix.close(fd)
            try? Posix.unlink(temporaryPath)
            throw StoreError.fileSystem(error, while: "locking \(temporaryPath)")
        }
    }

    deinit {
        if !finished { abandon() }
    }

    /// Bytes appended so far.
    public var byteCount: Int64 { written }

    public func append(_ bytes: UnsafeRawBufferPointer) throws(StoreError) {
        guard !bytes.isEmpty else { return }
        hasher.update(bytes)
        try write(bytes)
    }

    /// Writes a chunk and starts its writeback; hashing is the caller's business.
    private func write(_ bytes: UnsafeRawBufferPointer) throws(StoreError) {
        do {
            try Posix.writeAll(fd, from: bytes.baseAddress!, count: bytes.count, path: temporaryPath)
            // Overlap the disk writes with receiving and hashing the rest, so the final fsync
            // waits only for the tail.
            try Posix.startWriteback(fd, offset: written, length: Int64(bytes.count), path: temporaryPath)
        } catch {
            throw StoreError.fileSystem(error, while: "writing \(temporaryPath)")
        }
        written += Int64(bytes.count)
    }

    public func append(_ bytes: [UInt8]) throws(StoreError) {
        let outcome = bytes.withUnsafeBytes { raw in Result { () throws(StoreError) in try append(raw) } }
        try outcome.get()
    }

    /// Copies a regular file, refusing one that changes size or modification time while read.
    ///
    /// `chunkObserver` is called after every chunk with the bytes copied so far (tests use it to
    /// change the source mid-read).
    public func copy(from path: String, chunkObserver: ((Int64) -> Void)? = nil) throws(StoreError) {
        let source: Int32
        do {
            source = try Posix.open(path, [.readOnly, .nonBlocking])
        } catch {
            throw StoreError(.sourceUnreadable, "\(path): \(error.reason)", underlying: error)
        }
        defer { Posix.close(source) }
        let before: FileStatus
        do {
            before = try Posix.fileStatus(source, path: path)
        } catch {
            throw StoreError(.sourceUnreadable, "\(path): \(error.reason)", underlying: error)
        }
        guard before.isRegularFile else {
            throw StoreError(.sourceNotRegularFile, "\(path) is a \(before.kind), not a regular file")
        }
        guard before.size > 0 else {
            throw StoreError(.sourceEmpty, "\(path) is empty (0 bytes)")
        }
        // Two buffers: while one chunk is hashed on the hasher's queue, the next is read and
        // written here, so hashing costs no wall time on a box with two cores.
        let chunkSize = 1 << 20
        let buffers = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64) }
        let hashed = (0..<2).map { _ in DispatchSemaphore(value: 1) }
        defer {
            for (buffer, done) in zip(buffers, hashed) {
                done.wait()
                // Back to its initial value: libdispatch traps on freeing a semaphore below it.
                done.signal()
                buffer.deallocate()
            }
        }
        var copied: Int64 = 0
        var index = 0
        while true {
            hashed[index].wait()
            let buffer = buffers[index]
            let n: Int
            do {
                n = try Posix.read(source, into: buffer.baseAddress!, count: chunkSize, path: path)
            } catch {
                hashed[index].signal()
                throw StoreError(.sourceUnreadable, "\(path): read failed after \(copied) bytes: \(error.reason)", underlying: error)
            }
            if n == 0 {
                hashed[index].signal()
                break
            }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hasher.updateLater(chunk, then: hashed[index])
            try write(chunk)
            copied += Int64(n)
            chunkObserver?(copied)
            index ^= 1
        }
        let after = try? Posix.fileStatus(source, path: path)
        guard copied == before.size, after?.size == before.size,
              after?.modificationTimeNanoseconds == before.modificationTimeNanoseconds else {
            throw StoreError(
                .sourceChanged,
                "\(path) was \(before.size) bytes when opened, \(copied) were read and it is now \(after.map { String($0.size) } ?? "gone"); it was probably still being written or was removed"
            )
        }
    }

    /// Fsyncs and closes the temp file, then holds the data folder's intake lock (shared) until
    /// the staged bytes are filed or discarded; the bytes are now safe on disk under a temp name.
    public func finish() throws(StoreError) -> StagedBlob {
        precondition(!finished, "finish() called twice")
        do {
            try Posix.fsync(fd, path: temporaryPath)
        } catch {
            abandon()
            throw StoreError.fileSystem(error, while: "fsync of \(temporaryPath)")
        }
        // Taken before the temp file's own lock goes with its descriptor, so recovery (which
        // holds the intake lock exclusively) never sees the file unlocked and unclaimed.
        let intakeLock: FileLock
        do {
            intakeLock = try FileLock(path: directory.intakeLockPath)
            try intakeLock.lock(.shared)
        } catch {
            abandon()
            throw StoreError.fileSystem(error, while: "taking the intake lock")
        }
        Posix.close(fd)
        finished = true
        CrashPoint.reached("after-temp-fsync")
        return StagedBlob(
            temporaryPath: temporaryPath, sha256: hasher.finalize(), size: written,
            intakeLock: intakeLock
        )
    }

    /// Drops the partial file (and with its descriptor, its lock).
    public func abandon() {
        guard !finished else { return }
        finished = true
        Posix.close(fd)
        try? Posix.unlink(temporaryPath)
    }

    private static func uniqueName() -> String {
        var generator = SystemRandomNumberGenerator()
        let random = String(generator.next() as UInt64, radix: 16)
        return "\(Posix.currentProcessID)-\(random).part"
    }
}

/// SHA-256 fed on a serial queue, so hashing one chunk can overlap writing the next.
///
/// `@unchecked Sendable`: the digest state is touched only on `queue`, which is serial.
final class ChunkHasher: @unchecked Sendable {
    private var state = SHA256()
    private let queue = DispatchQueue(label: "fluorobox.blob-hash", qos: .userInitiated)

    /// Hashes `bytes` now, after any chunks queued before.
    func update(_ bytes: UnsafeRawBufferPointer) {
        queue.sync { state.update(bufferPointer: bytes) }
    }

    /// Hashes `bytes` on the queue and signals `done`; the caller keeps the buffer alive and
    /// unchanged until then.
    func updateLater(_ bytes: UnsafeRawBufferPointer, then done: DispatchSemaphore) {
        nonisolated(unsafe) let chunk = bytes
        queue.async {
            self.state.update(bufferPointer: chunk)
            done.signal()
        }
    }

    /// The hex digest of everything queued so far.
    func finalize() -> String {
        queue.sync { SHA256Hex.string(state.finalize()) }
    }
}

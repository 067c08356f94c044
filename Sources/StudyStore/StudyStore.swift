import Foundation
import GRDB
import Logging
import POSIXSupport
import Synchronization

/// The box's durable study store: SQLite (WAL, synchronous=FULL) for metadata and queues, and
/// content-named blob files.
///
/// Several processes may open the same data folder (the agent and `fluorobox import`): SQLite
/// serialises their transactions and the intake lock file orders blob writes against recovery
/// and eviction. Within a process all state lives in the database and the file system, so the
/// store is a plain `Sendable` class rather than an actor; only the soft-limit warning state is
/// held here, behind a mutex.
public final class StudyStore: Sendable {
    public let configuration: StoreConfiguration
    let database: DatabasePool
    let logger: Logger
    let storageLevel = Mutex(StorageLevel.normal)
    /// Set when recovery found the database damaged: intake is refused until a person acts.
    let intakeSuspension = Mutex<String?>(nil)

    public var directory: DataDirectory { configuration.dataDirectory }

    private init(configuration: StoreConfiguration, database: DatabasePool, logger: Logger) {
        self.configuration = configuration
        self.database = database
        self.logger = logger
    }

    /// Opens (and with `createIfMissing`, creates) the store and brings its schema up to date.
    ///
    /// This does not run start-up recovery; the agent calls ``recover()`` once it owns the folder.
    public static func open(
        _ configuration: StoreConfiguration, logger: Logger, createIfMissing: Bool = true
    ) throws(StoreError) -> StudyStore {
        let directory = configuration.dataDirectory
        if !createIfMissing {
            guard (try? Posix.fileStatus(directory.databasePath))?.isRegularFile == true else {
                throw StoreError(.fileSystem, "no Fluorobox store at \(directory.path) (expected \(directory.databasePath))")
            }
        }
        do {
            try directory.create()
        } catch {
            throw StoreError.fileSystem(error, while: "creating the data folder \(directory.path)")
        }
        var grdb = Configuration()
        grdb.busyMode = .timeout(configuration.busyTimeoutSeconds)
        grdb.label = "fluorobox.store"
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: directory.databasePath, configuration: grdb)
            // DatabasePool sets synchronous=NORMAL on its writer when it enables WAL; the promise
            // needs every commit on disk before it is acknowledged.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            try StoreMigrations.migrator.migrate(pool)
        } catch {
            throw StoreError.database(error, while: "opening \(directory.databasePath)")
        }
        return StudyStore(configuration: configuration, database: pool, logger: logger)
    }

    /// Refuses all further intake with `reason` (the store failed its integrity check).
    public func suspendIntake(reason: String) {
        intakeSuspension.withLock { $0 = reason }
    }

    /// Why intake is refused regardless of space, if it is.
    public var intakeSuspendedReason: String? {
        intakeSuspension.withLock { $0 }
    }

    /// Starts a temp file for bytes that arrive in pieces (network receivers).
    public func makeBlobWriter() throws(StoreError) -> BlobWriter {
        try BlobWriter(directory: directory)
    }

    /// The durability promise: every intake path calls this, and the receipt it returns is the
    /// acknowledgement.
    ///
    /// 1. Refuses early when the disk is at its hard limit (after trying eviction).
    /// 2. Stages the bytes in `tmp/` and fsyncs them.
    /// 3. Asks `describe` what the bytes are; unreadable content is discarded or quarantined.
    /// 4. Renames the file to `blobs/xx/<sha256>` and fsyncs the shard folder.
    /// 5. Commits one transaction with the study, the instance, its outbox items, its pending
    ///    analyses and an audit event.
    ///
    /// Same bytes again return the existing instance; the same SOP Instance UID with different
    /// bytes keeps both and records the conflict.
    public func ingest(
        _ input: IntakeInput,
        origin: IntakeOrigin,
        unreadable: UnreadableContentPolicy = .discard,
        describe: @escaping @Sendable (StagedBlob) throws -> InstanceDescription
    ) async throws -> IntakeReceipt {
        try await BlockingIO.run {
            try self.ingestBlocking(input, origin: origin, unreadable: unreadable, describe: describe)
        }
    }

    /// ``ingest(_:origin:unreadable:describe:)`` for callers already off the cooperative pool.
    public func ingestBlocking(
        _ input: IntakeInput,
        origin: IntakeOrigin,
        unreadable: UnreadableContentPolicy = .discard,
        describe: (StagedBlob) throws -> InstanceDescription
    ) throws -> IntakeReceipt {
        let staged: StagedBlob
        do {
            staged = try stage(input)
        } catch let stored as AlreadyStored {
            logger.info("intake acknowledged", metadata: ["outcome": "duplicate", "source": "\(origin.source)", "sha256": "\(stored.receipt.sha256)"])
            return stored.receipt
        }
        let description: InstanceDescription
        do {
            description = try describe(staged)
        } catch {
            switch unreadable {
            case .discard:
                staged.discard()
                throw StoreError(.unrecognisedContent, "\(origin.detail ?? origin.source.rawValue): \(error)", underlying: error)
            case .quarantine:
                let kept = quarantine(staged, reason: "\(error)", origin: origin)
                throw StoreError(.unrecognisedContent, "\(origin.detail ?? origin.source.rawValue): \(error)", quarantinedAs: kept, underlying: error)
            }
        }
        defer { staged.intakeLock.unlock() }
        let relativePath = DataDirectory.relativeBlobPath(sha256: staged.sha256)
        do {
            try Posix.rename(staged.temporaryPath, directory.absolute(relativePath))
            CrashPoint.reached("after-rename")
            try Posix.fsyncDirectory(directory.absolute(String(relativePath.prefix(9))))
            CrashPoint.reached("after-directory-fsync")
        } catch {
            try? Posix.unlink(staged.temporaryPath)
            throw StoreError.fileSystem(error, while: "filing \(relativePath)")
        }
        let receipt: IntakeReceipt
        do {
            receipt = try commitInstance(staged: staged, blobPath: relativePath, description: description, origin: origin)
        } catch {
            staged.intakeLock.unlock()
            removeUnreferencedBlob(sha256: staged.sha256, relativePath: relativePath)
            throw error
        }
        CrashPoint.reached("after-commit")
        logger.info(
            "intake acknowledged",
            metadata: [
                "outcome": "\(receipt.outcome.rawValue)", "source": "\(origin.source)",
                "sop_instance_uid": "\(receipt.sopInstanceUID)", "sha256": "\(receipt.sha256)",
                "bytes": "\(receipt.size)",
            ]
        )
        return receipt
    }

    private func stage(_ input: IntakeInput) throws -> StagedBlob {
        switch input {
        case .staged(let staged):
            return staged
        case .bytes(let bytes):
            try admit(incomingBytes: Int64(bytes.count)) { SHA256Hex.string(of: bytes) }
            let writer = try makeBlobWriter()
            try writer.append(bytes)
            return try writer.finish()
        case .file(let path, let observer):
            let size: Int64
            do {
                size = try Posix.fileStatus(path).size
            } catch {
                throw StoreError(.sourceUnreadable, "\(path): \(error.reason)", underlying: error)
            }
            try admit(incomingBytes: size) { try SHA256Hex.string(ofFileAt: path) }
            let writer = try makeBlobWriter()
            do {
                try writer.copy(from: path, chunkObserver: observer)
            } catch {
                writer.abandon()
                throw error
            }
            return try writer.finish()
        }
    }

    /// Waits until no intake is between staging and commit (in any process), then holds them off.
    func takeExclusiveIntakeLock(for purpose: String) throws(StoreError) -> FileLock {
        do {
            let lock = try FileLock(path: directory.intakeLockPath)
            try lock.lock(.exclusive)
            return lock
        } catch {
            throw StoreError.fileSystem(error, while: "taking the intake lock for \(purpose)")
        }
    }

    /// Runs `body` in a write transaction, translating SQLite failures into ``StoreError``.
    func write<T>(_ action: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        try Self.translatingFailures(action) { try database.write(body) }
    }

    func read<T>(_ action: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        try Self.translatingFailures(action) { try database.read(body) }
    }

    /// A ``StoreError`` thrown inside passes as it is; anything else is a database failure.
    private static func translatingFailures<T>(_ action: String, _ access: () throws -> T) throws(StoreError) -> T {
        do {
            return try access()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(error, while: action)
        }
    }
}

extension StoreError {
    /// Wraps a database failure; a full disk and a damaged file get their own codes.
    static func database(_ error: any Error, while action: String) -> StoreError {
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_FULL:
                return StoreError(.insufficientStorage, "\(action): the database file system is full", underlying: error)
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return StoreError(.storeDamaged, "\(action): \(error.message ?? "\(error)")", underlying: error)
            default:
                break
            }
        }
        return StoreError(.database, "\(action): \(error)", underlying: error)
    }
}

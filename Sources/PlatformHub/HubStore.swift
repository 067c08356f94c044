import Crypto
import Foundation
import GRDB
import POSIXSupport

/// The hub's single-machine store (``HubStoring``): SQLite (WAL, synchronous=FULL) and instance files named by SHA-256.
///
/// Like the box, the hub answers only after the bytes were fsync'd and the transaction naming
/// them committed, so an answer is a promise the device may act on (mark the item sent).
public final class HubStore: Sendable {
    public let directory: String
    let database: DatabasePool

    public init(directory: String) throws(HubError) {
        self.directory = directory
        do {
            for folder in [directory, directory + "/uploads", directory + "/items"] {
                try Posix.makeDirectories(folder)
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            database = try DatabasePool(path: directory + "/hub.sqlite", configuration: configuration)
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(database)
        } catch {
            throw HubError(.storage, "opening the hub store in \(directory): \(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-hub") { db in
            try db.create(table: "item") { t in
                t.primaryKey("key", .text)
                t.column("kind", .text).notNull()
                t.column("device", .text).notNull()
                t.column("sha256", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("path", .text)
                t.column("body", .blob)
                t.column("receivedAt", .datetime).notNull()
            }
            try db.create(table: "upload") { t in
                t.primaryKey("key", .text)
                t.column("device", .text).notNull()
                t.column("length", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("offset", .integer).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("bytesReceived", .integer).notNull()
            }
            try db.create(table: "resend") { t in
                t.primaryKey("key", .text)
                t.column("bytes", .integer).notNull()
            }
            try db.create(table: "device") { t in
                t.primaryKey("id", .text)
                t.column("version", .text)
                t.column("lastSeenAt", .datetime).notNull()
            }
        }
        // Keys live per device: box-B may use the key box-A uses without conflict, and neither
        // sees the other's. The v1 rows keep the device they were written by.
        migrator.registerMigration("v2-keys-per-device") { db in
            try db.create(table: "itemByDevice") { t in
                t.column("device", .text).notNull()
                t.column("key", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("sha256", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("path", .text)
                t.column("body", .blob)
                t.column("receivedAt", .datetime).notNull()
                t.primaryKey(["device", "key"])
            }
            try db.execute(sql: """
                INSERT INTO itemByDevice (device, key, kind, sha256, size, path, body, receivedAt)
                SELECT device, key, kind, sha256, size, path, body, receivedAt FROM item ORDER BY rowid
                """)
            try db.create(table: "uploadByDevice") { t in
                t.column("device", .text).notNull()
                t.column("key", .text).notNull()
                t.column("length", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("offset", .integer).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("bytesReceived", .integer).notNull()
                t.primaryKey(["device", "key"])
            }
            // Part files of v1 uploads are named by the key alone; those uploads start over.
            try db.create(table: "resendByDevice") { t in
                t.column("device", .text).notNull()
                t.column("key", .text).notNull()
                t.column("bytes", .integer).notNull()
                t.primaryKey(["device", "key"])
            }
            try db.execute(sql: """
                INSERT INTO resendByDevice (device, key, bytes)
                SELECT item.device, resend.key, resend.bytes FROM resend JOIN item ON item.key = resend.key
                """)
            for table in ["item", "upload", "resend"] {
                try db.drop(table: table)
                try db.rename(table: table + "ByDevice", to: table)
            }
        }
        registerEnrolmentMigration(&migrator)
        registerHeartbeatsMigration(&migrator)
        registerInstitutionMigration(&migrator)
        registerConsoleMigration(&migrator)
        registerOSAssignmentMigration(&migrator)
        registerModelAssignmentMigration(&migrator)
        registerModelRolloutMigration(&migrator)
        registerModelAssignmentRoleMigration(&migrator)
        registerScreeningListMigration(&migrator)
        return migrator
    }

    func run<T>(_ action: String, _ body: (Database) throws -> T) throws(HubError) -> T {
        do {
            return try database.write(body)
        } catch let error as HubError {
            throw error
        } catch {
            throw HubError(.storage, "\(action): \(error)")
        }
    }

    // MARK: Documents

    /// Stores a JSON document under `device`'s `key`, in the transaction that checks the device's
    /// credential. Returns false when the same content was already held.
    func blockingPutDocument(key: String, kind: String, device: String, serial: String?, document: DocumentBody) throws(HubError) -> Bool {
        let sha = document.sha256
        return try run("storing \(key)") { db in
            try Self.credential(db, device: device)?.check(device: device, serial: serial)
            if let existing = try HubItem.fetchOne(db, key: Self.rowKey(device, key)) {
                guard existing.sha256 == sha else {
                    throw HubError(.conflict, "\(key) is held with SHA-256 \(existing.sha256), this body has \(sha)")
                }
                return false
            }
            try HubItem(
                key: key, kind: kind, device: device, sha256: sha, size: Int64(document.bytes.count), path: nil,
                body: Data(document.bytes), receivedAt: Date()
            ).insert(db)
            return true
        }
    }

    // MARK: Instance uploads

    /// The primary key of an item or upload row.
    static func rowKey(_ device: String, _ key: String) -> [String: (any DatabaseValueConvertible)?] {
        ["device": device, "key": key]
    }

    public typealias UploadState = HubUploadState

    func blockingUploadState(device: String, key: String) throws(HubError) -> UploadState {
        try run("reading \(key)") { db in
            if let item = try HubItem.fetchOne(db, key: Self.rowKey(device, key)) {
                return .complete(size: item.size, sha256: item.sha256)
            }
            let upload = try HubUpload.fetchOne(db, key: Self.rowKey(device, key))
            return .partial(offset: upload?.offset ?? 0, length: upload?.length, sha256: upload?.sha256)
        }
    }

    func partPath(device: String, key: String) -> String {
        // Neither device ids nor keys contain "/", so the pair is unambiguous.
        directory + "/uploads/" + SHA256Hex.string(of: Array("\(device)/\(key)".utf8)) + ".part"
    }

    /// What an upload of `device`'s `key` may do: continue from the record returned, or nothing
    /// because the hub already holds exactly these bytes (nil). Different bytes held or being
    /// uploaded under the key are a conflict.
    func beginChunk(key: String, device: String, offset: Int64, length: Int64, sha256: String) throws(HubError) -> HubUpload? {
        try run("starting a chunk of \(key)") { db in
            if let held = try HubItem.fetchOne(db, key: Self.rowKey(device, key)) {
                guard held.size == length, held.sha256 == sha256 else {
                    throw HubError(.conflict, "\(key) is held with length \(held.size) and SHA-256 \(held.sha256)")
                }
                return nil
            }
            let upload = try HubUpload.fetchOne(db, key: Self.rowKey(device, key)) ?? HubUpload(
                key: key, device: device, length: length, sha256: sha256, offset: 0, startedAt: Date(), bytesReceived: 0
            )
            guard upload.length == length, upload.sha256 == sha256 else {
                throw HubError(.conflict, "\(key) is being uploaded with length \(upload.length) and SHA-256 \(upload.sha256)")
            }
            guard upload.offset == offset else {
                throw HubError(.offsetMismatch, "\(key): the hub holds \(upload.offset) bytes, the chunk starts at \(offset)")
            }
            try upload.save(db)
            return upload
        }
    }

    /// Records that bytes up to `offset` are on disk (the part file was fsync'd first).
    func commitChunk(device: String, key: String, offset: Int64, received: Int64) throws(HubError) {
        try run("committing a chunk of \(key)") { db in
            try db.execute(
                sql: "UPDATE upload SET offset = ?, bytesReceived = bytesReceived + ? WHERE device = ? AND key = ?",
                arguments: [offset, received, device, key]
            )
        }
    }

    /// Counts bytes of a chunk that did not arrive whole (the connection was cut).
    func recordLostBytes(device: String, key: String, received: Int64) {
        _ = try? run("counting lost bytes of \(key)") { db in
            try db.execute(
                sql: "UPDATE upload SET bytesReceived = bytesReceived + ? WHERE device = ? AND key = ?",
                arguments: [received, device, key]
            )
        }
    }

    /// The last chunk arrived: checks the digest, files the bytes and records the item.
    func completeUpload(_ upload: HubUpload) throws(HubError) {
        let part = partPath(device: upload.device, key: upload.key)
        let digest: String
        do {
            digest = try SHA256Hex.string(ofFileAt: part)
        } catch {
            throw HubError(.storage, "reading \(part): \(error)")
        }
        guard digest == upload.sha256 else {
            // Start over: the bytes held are not the bytes announced.
            _ = try? run("resetting \(upload.key)") { db in try HubUpload.deleteOne(db, key: Self.rowKey(upload.device, upload.key)) }
            try? Posix.unlink(part)
            throw HubError(.digestMismatch, "\(upload.key): received bytes hash to \(digest), announced \(upload.sha256)")
        }
        let relative = "items/" + upload.sha256
        do {
            try Posix.rename(part, directory + "/" + relative)
            try Posix.fsyncDirectory(directory + "/items")
        } catch {
            throw HubError(.storage, "filing \(relative): \(error)")
        }
        try run("recording \(upload.key)") { db in
            try HubItem(
                key: upload.key, kind: "instance", device: upload.device, sha256: upload.sha256, size: upload.length,
                path: relative, body: nil, receivedAt: Date()
            ).insert(db, onConflict: .ignore)
            let fresh = try HubUpload.fetchOne(db, key: Self.rowKey(upload.device, upload.key))
            let resent = max(0, (fresh?.bytesReceived ?? upload.length) - upload.length)
            try db.execute(
                sql: "INSERT OR REPLACE INTO resend (device, key, bytes) VALUES (?, ?, ?)",
                arguments: [upload.device, upload.key, resent]
            )
            try HubUpload.deleteOne(db, key: Self.rowKey(upload.device, upload.key))
        }
    }

    // MARK: Devices and listing

    func blockingRecordHello(device: String, version: String?) throws(HubError) {
        try run("recording \(device)") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO device (id, version, lastSeenAt) VALUES (?, ?, ?)",
                arguments: [device, version, Date()]
            )
        }
    }

    /// Every item (the operator's `fluorobox-hub list`), or one device's (`GET /v1/items`).
    func blockingList(device: String?) throws(HubError) -> [HubListing] {
        try run("listing") { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT item.key, kind, item.device, sha256, size, receivedAt, COALESCE(resend.bytes, 0) AS resent
                FROM item LEFT JOIN resend ON resend.device = item.device AND resend.key = item.key
                WHERE ? IS NULL OR item.device = ?
                ORDER BY item.rowid
                """, arguments: [device, device])
            return rows.map { row in
                HubListing(
                    key: row["key"], kind: row["kind"], device: row["device"], sha256: row["sha256"],
                    size: row["size"], receivedAt: row["receivedAt"], bytesResent: row["resent"]
                )
            }
        }
    }
}

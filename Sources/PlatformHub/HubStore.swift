import Crypto
import Foundation
import GRDB
import POSIXSupport

/// The hub's durable store: SQLite (WAL, synchronous=FULL) and instance files named by SHA-256.
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

    /// Stores a JSON document under `key`. Returns false when the same content was already held.
    public func putDocument(key: String, kind: String, device: String, body: [UInt8]) throws(HubError) -> Bool {
        let sha = SHA256.hash(data: body).hex
        return try run("storing \(key)") { db in
            if let existing = try HubItem.fetchOne(db, key: key) {
                guard existing.sha256 == sha else {
                    throw HubError(.conflict, "\(key) is held with SHA-256 \(existing.sha256), this body has \(sha)")
                }
                return false
            }
            try HubItem(
                key: key, kind: kind, device: device, sha256: sha, size: Int64(body.count), path: nil,
                body: Data(body), receivedAt: Date()
            ).insert(db)
            return true
        }
    }

    // MARK: Instance uploads

    /// Where an upload stands: complete (held), in progress at an offset, or unknown (0).
    public enum UploadState: Sendable, Equatable {
        case complete(size: Int64)
        case partial(offset: Int64)
    }

    public func uploadState(key: String) throws(HubError) -> UploadState {
        try run("reading \(key)") { db in
            if let item = try HubItem.fetchOne(db, key: key) { return .complete(size: item.size) }
            return .partial(offset: try HubUpload.fetchOne(db, key: key)?.offset ?? 0)
        }
    }

    func partPath(key: String) -> String {
        directory + "/uploads/" + SHA256.hash(data: Array(key.utf8)).hex + ".part"
    }

    /// Starts or continues an upload at `offset`; returns the record to append to.
    func beginChunk(key: String, device: String, offset: Int64, length: Int64, sha256: String) throws(HubError) -> HubUpload {
        try run("starting a chunk of \(key)") { db in
            var upload = try HubUpload.fetchOne(db, key: key) ?? HubUpload(
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
    func commitChunk(key: String, offset: Int64, received: Int64) throws(HubError) {
        try run("committing a chunk of \(key)") { db in
            try db.execute(
                sql: "UPDATE upload SET offset = ?, bytesReceived = bytesReceived + ? WHERE key = ?",
                arguments: [offset, received, key]
            )
        }
    }

    /// Counts bytes of a chunk that did not arrive whole (the connection was cut).
    func recordLostBytes(key: String, received: Int64) {
        _ = try? run("counting lost bytes of \(key)") { db in
            try db.execute(sql: "UPDATE upload SET bytesReceived = bytesReceived + ? WHERE key = ?", arguments: [received, key])
        }
    }

    /// The last chunk arrived: checks the digest, files the bytes and records the item.
    func completeUpload(_ upload: HubUpload) throws(HubError) {
        let part = partPath(key: upload.key)
        let digest: String
        do {
            digest = try Self.sha256(ofFileAt: part)
        } catch {
            throw HubError(.storage, "reading \(part): \(error)")
        }
        guard digest == upload.sha256 else {
            // Start over: the bytes held are not the bytes announced.
            _ = try? run("resetting \(upload.key)") { db in try HubUpload.deleteOne(db, key: upload.key) }
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
            let fresh = try HubUpload.fetchOne(db, key: upload.key)
            let resent = max(0, (fresh?.bytesReceived ?? upload.length) - upload.length)
            try db.execute(sql: "INSERT OR REPLACE INTO resend (key, bytes) VALUES (?, ?)", arguments: [upload.key, resent])
            try HubUpload.deleteOne(db, key: upload.key)
        }
    }

    static func sha256(ofFileAt path: String) throws -> String {
        let fd = try Posix.open(path, .readOnly)
        defer { Posix.close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try Posix.read(fd, into: $0.baseAddress!, count: $0.count, path: path) }
            if count == 0 { break }
            hasher.update(data: buffer[0..<count])
        }
        return hasher.finalize().hex
    }

    // MARK: Devices and listing

    public func recordHello(device: String, version: String?) throws(HubError) {
        try run("recording \(device)") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO device (id, version, lastSeenAt) VALUES (?, ?, ?)",
                arguments: [device, version, Date()]
            )
        }
    }

    public func list() throws(HubError) -> [HubListing] {
        try run("listing") { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT item.key, kind, device, sha256, size, receivedAt, COALESCE(resend.bytes, 0) AS resent
                FROM item LEFT JOIN resend ON resend.key = item.key ORDER BY item.rowid
                """)
            return rows.map { row in
                HubListing(
                    key: row["key"], kind: row["kind"], device: row["device"], sha256: row["sha256"],
                    size: row["size"], receivedAt: row["receivedAt"], bytesResent: row["resent"]
                )
            }
        }
    }
}

extension Digest {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

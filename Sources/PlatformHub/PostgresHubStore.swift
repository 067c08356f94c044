import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import POSIXSupport
import PostgresNIO
import ServiceLifecycle
import _ConnectionPoolModule

/// The region's store (``HubStoring``): PostgreSQL for everything the hub knows, and a staging
/// folder every replica shares for instance bytes.
///
/// Any replica answers any request. A chunk is written only while its transaction holds the
/// upload's row (`SELECT … FOR UPDATE`), so two replicas never interleave one upload, and the
/// offset moves in the same commit that follows the part file's fsync. A replica killed
/// mid-chunk drops its connection; PostgreSQL rolls its transaction back and releases the row,
/// the offset stays where the last acknowledged chunk left it, and bytes written past it are
/// cut off by the next chunk (whichever replica takes it).
public final class PostgresHubStore: Sendable {
    public let settings: Settings
    let client: PostgresClient
    /// One connection of its own for `GET /v1/health`: a pool busy with streaming chunks must not
    /// make a replica that reaches its database look like one that does not.
    let healthClient: PostgresClient
    let logger: Logger

    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        var health = settings.clientConfiguration
        health.options.maximumConnections = 1
        healthClient = PostgresClient(configuration: health, backgroundLogger: logger)
    }

    var uploadsFolder: String { settings.staging + "/uploads" }
    var itemsFolder: String { settings.staging + "/items" }

    func partPath(device: String, key: String) -> String {
        // Neither device ids nor keys contain "/", so the pair is unambiguous.
        uploadsFolder + "/" + SHA256Hex.string(of: Array("\(device)/\(key)".utf8)) + ".part"
    }

    // MARK: Transactions

    /// Runs `body` in one transaction on one pooled connection: committed when it returns,
    /// rolled back when it throws. PostgreSQL's errors become `HubError`s.
    func transaction<T: Sendable>(
        _ action: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(HubError) -> T {
        let logger = logger
        return try await withConnection(action) { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// One statement in its own (auto-committed) transaction; its rows are read before the
    /// connection goes back to the pool.
    func statement(_ action: String, _ query: PostgresQuery) async throws(HubError) -> AsyncThrowingStream<PostgresRow, any Error> {
        let logger = logger
        let rows = try await withConnection(action) { connection in
            try await connection.query(query, logger: logger).collect()
        }
        return AsyncThrowingStream { continuation in
            for row in rows { continuation.yield(row) }
            continuation.finish()
        }
    }

    /// One prepared statement (``StoreDocumentStatement`` and the other hot ones) in its own
    /// (auto-committed) transaction: PostgresNIO prepares it on a connection the first time that
    /// connection runs it, and after that sends only its name and bindings.
    func prepared<Statement: PostgresPreparedStatement>(
        _ action: String, _ statement: Statement
    ) async throws(HubError) -> [Statement.Row] where Statement.Row: Sendable {
        let logger = logger
        return try await withConnection(action) { connection in
            var rows: [Statement.Row] = []
            for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
            return rows
        }
    }

    /// Runs `body` on a pooled connection, waiting at most `settings.connectionWait` for one.
    /// While PostgreSQL cannot be reached, PostgresNIO's pool queues every request (for a
    /// minute, until its circuit breaker opens): without this bound a replica whose database
    /// is down or restarting holds each request that long instead of answering 503 at once.
    func withConnection<T: Sendable>(
        _ action: String, from pool: PostgresClient? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(HubError) -> T {
        let client = pool ?? client
        let wait = settings.connectionWait
        let deadline = ConnectionLeaseDeadline()
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        guard deadline.lease() else { throw HubError(.unavailable, "\(action): no database connection within \(wait)") }
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: wait)
                    if deadline.expire() { throw HubError(.unavailable, "\(action): no database connection within \(wait)") }
                    return nil
                }
                while let finished = try await group.next() {
                    if let value = finished {
                        group.cancelAll()
                        return value
                    }
                }
                throw HubError(.storage, "\(action): the connection's task ended without a result")
            }
        } catch {
            throw Self.hubError(action, error)
        }
    }

    static func hubError(_ action: String, _ error: any Error) -> HubError {
        if let error = error as? HubError { return error }
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.commitError {
            return hubError(action, inner)
        }
        // The pool's circuit breaker: no connection could be made for a while; the box retries.
        if let error = error as? ConnectionPoolError, error == .connectionCreationCircuitBreakerTripped {
            return HubError(.unavailable, "\(action): PostgreSQL cannot be reached")
        }
        guard let error = error as? PSQLError else {
            return HubError(.storage, "\(action): \(String(reflecting: error))")
        }
        if let state = error.serverInfo?[.sqlState] {
            let message = error.serverInfo?[.message] ?? ""
            // lock_not_available: another replica's chunk of this upload held the row too long.
            if state == "55P03" { return HubError(.busy, "\(action): \(message)") }
            // unique_violation: another request made the same entry at the same moment (its row
            // was not yet committed when this one looked); the constraint decided, as a 409.
            if state == "23505" {
                let constraint = error.serverInfo?[.constraintName].map { " (\($0))" } ?? ""
                return HubError(.conflict, "\(action): another request made a conflicting entry at the same moment\(constraint)")
            }
            // Class 57 (operator intervention: shutdown, admin_shutdown) and 08 (connection).
            if state.hasPrefix("57") || state.hasPrefix("08") { return HubError(.unavailable, "\(action): \(message) (SQLSTATE \(state))") }
            return HubError(.storage, "\(action): \(message) (SQLSTATE \(state))")
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown:
            return HubError(.unavailable, "\(action): \(error.code)\(error.underlying.map { ": \($0)" } ?? "")")
        default:
            return HubError(.storage, "\(action): \(String(reflecting: error))")
        }
    }
}

extension PostgresHubStore: HubStoring {
    public var services: [any Service] { [client, healthClient] }

    public func prepare() async throws(HubError) {
        do {
            try Posix.makeDirectories(uploadsFolder)
            try Posix.makeDirectories(itemsFolder)
        } catch {
            throw HubError(.storage, "making the staging folder \(settings.staging): \(error)")
        }
        try await migrate()
    }

    public func prepareSchema() async throws(HubError) {
        try await migrate()
    }

    /// A round trip on the health connection, within the same wait as any request's for a
    /// connection. Whatever stops it (no connection, a server shutting down) means this replica
    /// cannot serve now.
    public func checkAvailable() async throws(HubError) {
        let logger = logger
        do throws(HubError) {
            try await withConnection("checking the database", from: healthClient) { connection in
                _ = try await connection.query("SELECT 1", logger: logger).collect()
            }
        } catch where error.code != .unavailable {
            throw HubError(.unavailable, error.detail)
        }
    }

    /// One round trip (``StoreDocumentStatement``); the credential read back says why a
    /// refused device is refused in the same words as every other refusal.
    public func putDocument(key: String, kind: String, device: String, serial: String?, document: DocumentBody) async throws(HubError) -> Bool {
        let storing = StoreDocumentStatement(device: device, key: key, kind: kind, document: document, serial: serial)
        guard let row = try await prepared("storing \(key)", storing).first else {
            throw HubError(.storage, "storing \(key): the statement returned no row")
        }
        try DeviceCredential(certificateSerial: row.certificateSerial, revokedAt: row.revokedAt, revokedReason: row.revokedReason)
            .check(device: device, serial: serial)
        if row.id != nil { return true }
        // Not inserted: held before this statement began, or committed by another replica since
        // (then only a fresh read sees it).
        let heldSHA: String
        if let snapshotSHA = row.heldSHA256 {
            heldSHA = snapshotSHA
        } else {
            let held = try await statement("reading \(key)", "SELECT sha256 FROM item WHERE device = \(device) AND key = \(key)")
            guard let sha = try await Self.collect("reading \(key)", held.decode(String.self)).first else {
                throw HubError(.storage, "\(key) was neither stored nor found")
            }
            heldSHA = sha
        }
        guard heldSHA == document.sha256 else {
            throw HubError(.conflict, "\(key) is held with SHA-256 \(heldSHA), this body has \(document.sha256)")
        }
        return false
    }

    public func uploadState(device: String, key: String) async throws(HubError) -> HubUploadState {
        let items = try await statement("reading \(key)", "SELECT size, sha256 FROM item WHERE device = \(device) AND key = \(key)")
        if let (size, sha) = try await Self.collect("reading \(key)", items.decode((Int64, String).self)).first {
            return .complete(size: size, sha256: sha)
        }
        let uploads = try await statement("reading \(key)", """
            SELECT staged_bytes, length, sha256 FROM upload WHERE device = \(device) AND key = \(key) AND state = 'receiving'
            """)
        if let (offset, length, sha) = try await Self.collect("reading \(key)", uploads.decode((Int64, Int64, String).self)).first {
            return .partial(offset: offset, length: length, sha256: sha)
        }
        return .partial(offset: 0, length: nil, sha256: nil)
    }

    public func recordHello(device: String, version: String?) async throws(HubError) {
        _ = try await statement("recording \(device)", """
            INSERT INTO device (id, version, last_seen_at) VALUES (\(device), \(version), now())
            ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, last_seen_at = EXCLUDED.last_seen_at
            """)
    }

    public func list(device: String?) async throws(HubError) -> [HubListing] {
        let rows = try await statement("listing", """
            SELECT key, kind, device, sha256, size, received_at, bytes_resent FROM item
            WHERE \(device)::text IS NULL OR device = \(device)
            ORDER BY id
            """)
        return try await Self.collect("listing", rows.decode((String, String, String, String, Int64, Date, Int64).self)).map {
            HubListing(key: $0.0, kind: $0.1, device: $0.2, sha256: $0.3, size: $0.4, receivedAt: $0.5, bytesResent: $0.6)
        }
    }

    static func collect<S: AsyncSequence>(_ action: String, _ sequence: S) async throws(HubError) -> [S.Element] {
        do {
            var elements: [S.Element] = []
            for try await element in sequence { elements.append(element) }
            return elements
        } catch {
            throw hubError(action, error)
        }
    }
}

import FluoroboxTestSupport
import Foundation
@testable import PlatformHub
import PostgresNIO
import StudyStore
import Testing

/// The hot statements the hub prepares once per connection (a document PUT, a heartbeat, the
/// credential read), against a real PostgreSQL 15.
@Suite(.enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")), .serialized)
struct PreparedStatementTests {
    /// One hot statement: its SQL, its parameters' types and arguments to plan it with.
    struct Hot: Sendable {
        let name: String
        let sql: String
        let types: [PostgresDataType]
        let arguments: String
    }

    static let hot = [
        Hot(name: "document PUT", sql: StoreDocumentStatement.sql, types: StoreDocumentStatement.bindingDataTypes,
            arguments: #"'box-a', 'result:plan', 'result', 'digest', 2, '\x7b7d', 'serial-2'"#),
        Hot(name: "heartbeat", sql: RecordHeartbeatStatement.sql, types: RecordHeartbeatStatement.bindingDataTypes,
            arguments: "'box-a', 'serial-2', '1.0', now(), '{}'"),
    ]

    @Test("the credential rule stays inlined in the prepared statements' custom and generic plans")
    func credentialRuleIsInlinedInPreparedPlans() async throws {
        let server = try await PostgresServer.start("pg-prepared-plan")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        try await StoreHarness.with(1, url: url, staging: staging.path) { _ in }
        for statement in Self.hot {
            // Custom: planned for the values of one call; generic: the plan PostgreSQL caches for a
            // prepared statement after five calls and runs for every call after them.
            for mode in ["force_custom_plan", "force_generic_plan"] {
                let types = statement.types.map { $0.knownSQLName ?? "?" }.joined(separator: ", ")
                let plan = try await server.sql("""
                    PREPARE hot(\(types)) AS \(statement.sql);
                    SET plan_cache_mode = \(mode);
                    EXPLAIN (VERBOSE, COSTS OFF) EXECUTE hot(\(statement.arguments))
                    """, database: "hub")
                // Not inlined, the rule is a function call per credential row, its own plan each time.
                #expect(!plan.contains("credential_refused"), "\(statement.name), \(mode):\n\(plan)")
                #expect(plan.contains("revoked_at IS NOT NULL"), "\(statement.name), \(mode): the rule is not in the plan:\n\(plan)")
            }
        }
        try await server.stop()
    }

    @Test("a device revoked or re-enrolled after its connection cached the plans is refused at its next call, and nothing is stored")
    func cachedPlansSeeRevocationAtOnce() async throws {
        let server = try await PostgresServer.start("pg-prepared-revoke")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        // One connection, so every call below runs on the connection whose prepared statements are read at the end.
        try await StoreHarness.with(1, url: url, staging: staging.path, connections: 1) { stores in
            let store = stores[0]
            try await server.sql("""
                INSERT INTO enrolment_token (token_sha256, device, expires_at) VALUES ('t1', 'box-p', now() + interval '1 day');
                INSERT INTO device_certificate (serial, device, not_after, token_sha256) VALUES ('serial-1', 'box-p', now() + interval '1 day', 't1');
                INSERT INTO device_credential (device, certificate_serial, enrolled_at) VALUES ('box-p', 'serial-1', now())
                """, database: "hub")
            let heartbeat = DeviceHeartbeat(
                sentAt: Date(), agentVersion: "1.0", uptimeSeconds: 1, models: [], backlog: [], freeDiskBytes: 1,
                daysOfCapacity: nil, clockSkewSeconds: nil, errors: []
            )
            // More calls than PostgreSQL's five before it caches a generic plan.
            for index in 0..<12 {
                #expect(try await store.putDocument(
                    key: "result:\(index)", kind: "result", device: "box-p", serial: "serial-1", document: DocumentBody(Array("{\"n\":\(index)}".utf8))
                ))
                try await store.recordHeartbeat(device: "box-p", serial: "serial-1", heartbeat: heartbeat, document: heartbeat.encoded())
                try await store.checkCredential(device: "box-p", serial: "serial-1")
            }
            // The same key and bytes again: held (200), from the statement's snapshot.
            #expect(try await store.putDocument(
                key: "result:0", kind: "result", device: "box-p", serial: "serial-1", document: DocumentBody(Array("{\"n\":0}".utf8))
            ) == false)
            // Other bytes under a held key: a conflict.
            await #expect(throws: HubError.self) {
                _ = try await store.putDocument(
                    key: "result:0", kind: "result", device: "box-p", serial: "serial-1", document: DocumentBody(Array("{}".utf8))
                )
            }

            // A later enrolment replaced the certificate: the old one is refused everywhere.
            try await server.sql("""
                INSERT INTO enrolment_token (token_sha256, device, expires_at) VALUES ('t2', 'box-p', now() + interval '1 day');
                INSERT INTO device_certificate (serial, device, not_after, token_sha256) VALUES ('serial-2', 'box-p', now() + interval '1 day', 't2');
                UPDATE device_credential SET certificate_serial = 'serial-2' WHERE device = 'box-p'
                """, database: "hub")
            for _ in 0..<4 {
                let replaced = await #expect(throws: HubError.self) {
                    _ = try await store.putDocument(
                        key: "result:replaced", kind: "result", device: "box-p", serial: "serial-1", document: DocumentBody(Array("{}".utf8))
                    )
                }
                #expect(replaced?.code == .forbidden && replaced?.detail.contains("replaced") == true, "\(String(describing: replaced))")
                await #expect(throws: HubError.self) {
                    try await store.recordHeartbeat(device: "box-p", serial: "serial-1", heartbeat: heartbeat, document: heartbeat.encoded())
                }
                await #expect(throws: HubError.self) { try await store.checkCredential(device: "box-p", serial: "serial-1") }
            }
            #expect(try await store.putDocument(
                key: "result:current", kind: "result", device: "box-p", serial: "serial-2", document: DocumentBody(Array("{}".utf8))
            ))

            // Revoked: refused whatever certificate it shows.
            #expect(try await store.revoke(device: "box-p", reason: "stolen", by: "cli:test"))
            for _ in 0..<4 {
                let revoked = await #expect(throws: HubError.self) {
                    _ = try await store.putDocument(
                        key: "result:revoked", kind: "result", device: "box-p", serial: "serial-2", document: DocumentBody(Array("{}".utf8))
                    )
                }
                #expect(revoked?.code == .forbidden && revoked?.detail.contains("stolen") == true, "\(String(describing: revoked))")
                await #expect(throws: HubError.self) {
                    try await store.recordHeartbeat(device: "box-p", serial: "serial-2", heartbeat: heartbeat, document: heartbeat.encoded())
                }
            }
            // Prepared once on the connection, by name: not parsed and planned again per call.
            let prepared = try await store.withConnection("reading prepared statements") { connection in
                try await connection.query("SELECT name FROM pg_prepared_statements ORDER BY name", logger: quietLogger).collect()
                    .map { try $0.decode(String.self) }
            }
            #expect(prepared == ["fluorobox_credential", "fluorobox_record_heartbeat", "fluorobox_store_document"])
        }
        #expect(try await server.sql("SELECT count(*) FROM item WHERE key IN ('result:replaced', 'result:revoked')", database: "hub") == "0")
        #expect(try await server.sql("SELECT count(*) FROM item WHERE device = 'box-p'", database: "hub") == "13")
        #expect(try await server.sql("SELECT count(*) FROM device_heartbeat WHERE device = 'box-p'", database: "hub") == "12")
        try await server.stop()
    }
}

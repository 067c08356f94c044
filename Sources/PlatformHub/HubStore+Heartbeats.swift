import Foundation
import GRDB
import StudyStore

extension HubStore {
    /// The single-machine twin of PostgreSQL's migration 4 (heartbeats): the history alone, as
    /// one process on a small site reads the latest per device cheaply by its index.
    static func registerHeartbeatsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-heartbeats") { db in
            try db.create(table: "heartbeat") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("device", .text).notNull()
                t.column("receivedAt", .datetime).notNull()
                t.column("sentAt", .datetime).notNull()
                t.column("body", .text).notNull()
            }
            try db.create(index: "heartbeatByDevice", on: "heartbeat", columns: ["device", "id"])
        }
    }

    public func recordHeartbeat(device: String, serial: String?, heartbeat: DeviceHeartbeat, document: [UInt8]) async throws(HubError) {
        let json = String(decoding: document, as: UTF8.self)
        try await blocking {
            try self.run("recording \(device)'s heartbeat") { db in
                try Self.credential(db, device: device)?.check(device: device, serial: serial)
                let now = Date()
                try db.execute(
                    sql: "INSERT OR REPLACE INTO device (id, version, lastSeenAt) VALUES (?, ?, ?)",
                    arguments: [device, heartbeat.agentVersion, now]
                )
                try db.execute(
                    sql: "INSERT INTO heartbeat (device, receivedAt, sentAt, body) VALUES (?, ?, ?, ?)",
                    arguments: [device, now, heartbeat.sentAt, json]
                )
                try db.execute(sql: """
                    DELETE FROM heartbeat WHERE device = ? AND id <= (
                        SELECT id FROM heartbeat WHERE device = ? ORDER BY id DESC LIMIT 1 OFFSET ?
                    )
                    """, arguments: [device, device, HubHeartbeat.historyPerDevice])
            }
        }
    }

    public func latestHeartbeats() async throws(HubError) -> [String: HubHeartbeat] {
        let rows = try await blocking {
            try self.run("reading heartbeats") { db in
                try Row.fetchAll(db, sql: """
                    SELECT device, receivedAt, body FROM heartbeat WHERE id IN (SELECT MAX(id) FROM heartbeat GROUP BY device)
                    """).map { (device: $0["device"] as String, receivedAt: $0["receivedAt"] as Date, body: $0["body"] as String) }
            }
        }
        var latest: [String: HubHeartbeat] = [:]
        let decoder = DeviceHeartbeat.decoder
        for row in rows {
            latest[row.device] = try HubHeartbeat.decode(device: row.device, receivedAt: row.receivedAt, json: row.body, decoder: decoder)
        }
        return latest
    }

    public func heartbeats(device: String, limit: Int) async throws(HubError) -> [HubHeartbeat] {
        let rows = try await blocking {
            try self.run("reading \(device)'s heartbeats") { db in
                try Row.fetchAll(
                    db, sql: "SELECT receivedAt, body FROM heartbeat WHERE device = ? ORDER BY id DESC LIMIT ?", arguments: [device, limit]
                ).map { (receivedAt: $0["receivedAt"] as Date, body: $0["body"] as String) }
            }
        }
        var heartbeats: [HubHeartbeat] = []
        let decoder = DeviceHeartbeat.decoder
        for row in rows { heartbeats.append(try HubHeartbeat.decode(device: device, receivedAt: row.receivedAt, json: row.body, decoder: decoder)) }
        return heartbeats
    }
}

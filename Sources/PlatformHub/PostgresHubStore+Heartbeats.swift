import Foundation
import Logging
import PostgresNIO
import StudyStore

extension PostgresHubStore {
    /// Migration 4: each device's heartbeats, a bounded history and the latest by primary key
    /// (what `device list` reads for hundreds of boxes without scanning the history). Bodies are
    /// jsonb so an operator can query them in SQL.
    static let heartbeatsMigration = Migration(version: 4, name: "heartbeats", statements: [
        """
        CREATE TABLE device_heartbeat (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            device text NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            sent_at timestamptz NOT NULL,
            body jsonb NOT NULL
        )
        """,
        "CREATE INDEX device_heartbeat_device ON device_heartbeat (device, id)",
        """
        CREATE TABLE device_last_heartbeat (
            device text PRIMARY KEY,
            heartbeat_id bigint NOT NULL,
            received_at timestamptz NOT NULL,
            body jsonb NOT NULL
        )
        """,
    ])

    public func recordHeartbeat(device: String, heartbeat: DeviceHeartbeat, document: [UInt8]) async throws(HubError) {
        let logger = logger
        let json = String(decoding: document, as: UTF8.self)
        let keep = HubHeartbeat.historyPerDevice
        try await transaction("recording \(device)'s heartbeat") { connection in
            try await connection.query("""
                INSERT INTO device (id, version, last_seen_at) VALUES (\(device), \(heartbeat.agentVersion), now())
                ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, last_seen_at = EXCLUDED.last_seen_at
                """, logger: logger)
            let inserted = try await connection.query("""
                INSERT INTO device_heartbeat (device, sent_at, body) VALUES (\(device), \(heartbeat.sentAt), \(json)::jsonb)
                RETURNING id
                """, logger: logger)
            guard let id = try await Self.collect("recording \(device)'s heartbeat", inserted.decode(Int64.self)).first else {
                throw HubError(.storage, "the heartbeat of \(device) was not inserted")
            }
            // Of two heartbeats committing at once on two replicas, the later one stays latest.
            try await connection.query("""
                INSERT INTO device_last_heartbeat (device, heartbeat_id, received_at, body) VALUES (\(device), \(id), now(), \(json)::jsonb)
                ON CONFLICT (device) DO UPDATE SET heartbeat_id = EXCLUDED.heartbeat_id, received_at = EXCLUDED.received_at, body = EXCLUDED.body
                WHERE device_last_heartbeat.heartbeat_id < EXCLUDED.heartbeat_id
                """, logger: logger)
            try await connection.query("""
                DELETE FROM device_heartbeat WHERE device = \(device) AND id <= (
                    SELECT id FROM device_heartbeat WHERE device = \(device) ORDER BY id DESC OFFSET \(keep) LIMIT 1
                )
                """, logger: logger)
        }
    }

    public func latestHeartbeats() async throws(HubError) -> [String: HubHeartbeat] {
        let rows = try await statement("reading heartbeats", "SELECT device, received_at, body::text FROM device_last_heartbeat")
        var latest: [String: HubHeartbeat] = [:]
        let decoder = DeviceHeartbeat.decoder
        for (device, receivedAt, json) in try await Self.collect("reading heartbeats", rows.decode((String, Date, String).self)) {
            latest[device] = try HubHeartbeat.decode(device: device, receivedAt: receivedAt, json: json, decoder: decoder)
        }
        return latest
    }

    public func heartbeats(device: String, limit: Int) async throws(HubError) -> [HubHeartbeat] {
        let rows = try await statement("reading \(device)'s heartbeats", """
            SELECT received_at, body::text FROM device_heartbeat WHERE device = \(device) ORDER BY id DESC LIMIT \(limit)
            """)
        var heartbeats: [HubHeartbeat] = []
        let decoder = DeviceHeartbeat.decoder
        for (receivedAt, json) in try await Self.collect("reading \(device)'s heartbeats", rows.decode((Date, String).self)) {
            heartbeats.append(try HubHeartbeat.decode(device: device, receivedAt: receivedAt, json: json, decoder: decoder))
        }
        return heartbeats
    }
}

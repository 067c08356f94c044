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

    /// One statement, so one round trip and one transaction: the credential rule
    /// (`credential_refused`), the device's version and last contact, the heartbeat, the latest
    /// pointer and the history's bound. Its sub-statements share one snapshot, so the pruning
    /// does not see the heartbeat being inserted: it keeps `historyPerDevice - 1` older ones.
    public func recordHeartbeat(device: String, serial: String?, heartbeat: DeviceHeartbeat, document: [UInt8]) async throws(HubError) {
        let json = String(decoding: document, as: UTF8.self)
        let olderKept = HubHeartbeat.historyPerDevice - 1
        let rows = try await statement("recording \(device)'s heartbeat", """
            WITH admitted AS (
                SELECT 1 WHERE NOT EXISTS (
                    SELECT 1 FROM device_credential AS held
                    WHERE held.device = \(device) AND credential_refused(held.revoked_at, held.certificate_serial, \(serial)::text)
                )
            ), seen AS (
                INSERT INTO device (id, version, last_seen_at) SELECT \(device), \(heartbeat.agentVersion), now() FROM admitted
                ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, last_seen_at = EXCLUDED.last_seen_at
            ), inserted AS (
                INSERT INTO device_heartbeat (device, sent_at, body) SELECT \(device), \(heartbeat.sentAt), \(json)::jsonb FROM admitted
                RETURNING id
            ), latest AS (
                -- Of two heartbeats committing at once on two replicas, the later one stays latest.
                INSERT INTO device_last_heartbeat (device, heartbeat_id, received_at, body)
                SELECT \(device), id, now(), \(json)::jsonb FROM inserted
                ON CONFLICT (device) DO UPDATE SET heartbeat_id = EXCLUDED.heartbeat_id, received_at = EXCLUDED.received_at, body = EXCLUDED.body
                WHERE device_last_heartbeat.heartbeat_id < EXCLUDED.heartbeat_id
            ), pruned AS (
                DELETE FROM device_heartbeat WHERE device = \(device) AND EXISTS (SELECT 1 FROM admitted) AND id <= (
                    SELECT id FROM device_heartbeat WHERE device = \(device) ORDER BY id DESC OFFSET \(olderKept) LIMIT 1
                )
            )
            SELECT (SELECT id FROM inserted), credential.certificate_serial, credential.revoked_at, credential.revoked_reason
            FROM (SELECT 1) AS one LEFT JOIN device_credential AS credential ON credential.device = \(device)
            """)
        guard let (id, certificateSerial, revokedAt, reason) = try await Self.collect(
            "recording \(device)'s heartbeat", rows.decode((Int64?, String?, Date?, String?).self)
        ).first else {
            throw HubError(.storage, "recording \(device)'s heartbeat: the statement returned no row")
        }
        try DeviceCredential(certificateSerial: certificateSerial, revokedAt: revokedAt, revokedReason: reason).check(device: device, serial: serial)
        guard id != nil else { throw HubError(.storage, "the heartbeat of \(device) was not inserted") }
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

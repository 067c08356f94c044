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

    /// One statement (``RecordHeartbeatStatement``); the credential read back says why a refused
    /// device is refused.
    public func recordHeartbeat(device: String, serial: String?, heartbeat: DeviceHeartbeat, document: [UInt8]) async throws(HubError) {
        let recording = RecordHeartbeatStatement(
            device: device, serial: serial, agentVersion: heartbeat.agentVersion, sentAt: heartbeat.sentAt,
            json: String(decoding: document, as: UTF8.self)
        )
        guard let row = try await prepared("recording \(device)'s heartbeat", recording).first else {
            throw HubError(.storage, "recording \(device)'s heartbeat: the statement returned no row")
        }
        try DeviceCredential(certificateSerial: row.certificateSerial, revokedAt: row.revokedAt, revokedReason: row.revokedReason)
            .check(device: device, serial: serial)
        guard row.id != nil else { throw HubError(.storage, "the heartbeat of \(device) was not inserted") }
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

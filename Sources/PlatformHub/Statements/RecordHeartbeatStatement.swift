import Foundation
import PostgresNIO

/// ``PostgresHubStore/recordHeartbeat(device:serial:heartbeat:document:)``'s one statement, so
/// one round trip and one transaction: the credential rule (`credential_refused`), the device's
/// version and last contact, the heartbeat, the latest pointer and the history's bound. Its
/// sub-statements share one snapshot, so the pruning does not see the heartbeat being inserted:
/// it keeps `historyPerDevice - 1` older ones. Prepared once per connection.
struct RecordHeartbeatStatement: PostgresPreparedStatement {
    static let name = "fluorobox_record_heartbeat"
    // $1 device, $2 the presented certificate's serial, $3 agent version, $4 sent at, $5 the
    // heartbeat's canonical JSON (bound as text: jsonb's binary form has a version byte).
    static let sql = """
        WITH admitted AS (
            SELECT 1 WHERE NOT EXISTS (
                SELECT 1 FROM device_credential AS held
                WHERE held.device = $1 AND credential_refused(held.revoked_at, held.certificate_serial, $2)
            )
        ), seen AS (
            INSERT INTO device (id, version, last_seen_at) SELECT $1, $3, now() FROM admitted
            ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, last_seen_at = EXCLUDED.last_seen_at
        ), inserted AS (
            INSERT INTO device_heartbeat (device, sent_at, body) SELECT $1, $4, $5::jsonb FROM admitted
            RETURNING id
        ), latest AS (
            -- Of two heartbeats committing at once on two replicas, the later one stays latest.
            INSERT INTO device_last_heartbeat (device, heartbeat_id, received_at, body)
            SELECT $1, id, now(), $5::jsonb FROM inserted
            ON CONFLICT (device) DO UPDATE SET heartbeat_id = EXCLUDED.heartbeat_id, received_at = EXCLUDED.received_at, body = EXCLUDED.body
            WHERE device_last_heartbeat.heartbeat_id < EXCLUDED.heartbeat_id
        ), pruned AS (
            DELETE FROM device_heartbeat WHERE device = $1 AND EXISTS (SELECT 1 FROM admitted) AND id <= (
                SELECT id FROM device_heartbeat WHERE device = $1 ORDER BY id DESC OFFSET \(HubHeartbeat.historyPerDevice - 1) LIMIT 1
            )
        )
        SELECT (SELECT id FROM inserted), credential.certificate_serial, credential.revoked_at, credential.revoked_reason
        FROM (SELECT 1) AS one LEFT JOIN device_credential AS credential ON credential.device = $1
        """
    static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .timestamptz, .text]

    /// The heartbeat's id (nil: not recorded) and the device's credential row (all nil: no row).
    typealias Row = (id: Int64?, certificateSerial: String?, revokedAt: Date?, revokedReason: String?)

    var device: String
    var serial: String?
    var agentVersion: String
    var sentAt: Date
    var json: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(device)
        bindings.append(serial)
        bindings.append(agentVersion)
        bindings.append(sentAt)
        bindings.append(json)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode((Int64?, String?, Date?, String?).self)
    }
}

import Foundation
import NIOCore
import PostgresNIO

/// ``PostgresHubStore/putDocument(key:kind:device:serial:document:)``'s one round trip: the
/// credential check, the insert and, for a key already held, the held digest. The insert's
/// condition is ``DeviceCredential/check(device:serial:)``'s rule in SQL (`credential_refused`,
/// which PostgreSQL inlines: migration 7), so a revoked device or a replaced certificate stores
/// nothing; the credential read back then says why. The held digest comes from the statement's
/// snapshot, taken before the insert.
///
/// Prepared once per connection: parsing and planning this statement on every call cost
/// PostgreSQL more than executing it.
struct StoreDocumentStatement: PostgresPreparedStatement {
    static let name = "fluorobox_store_document"
    // $1 device, $2 key, $3 kind, $4 sha256, $5 size, $6 body, $7 the presented certificate's serial.
    static let sql = """
        WITH inserted AS (
            INSERT INTO item (device, key, kind, sha256, size, body)
            SELECT $1, $2, $3, $4, $5, $6
            WHERE NOT EXISTS (
                SELECT 1 FROM device_credential AS held
                WHERE held.device = $1 AND credential_refused(held.revoked_at, held.certificate_serial, $7)
            )
            ON CONFLICT (device, key) DO NOTHING
            RETURNING id
        )
        SELECT (SELECT id FROM inserted), (SELECT sha256 FROM item WHERE device = $1 AND key = $2),
               credential.certificate_serial, credential.revoked_at, credential.revoked_reason
        FROM (SELECT 1) AS one LEFT JOIN device_credential AS credential ON credential.device = $1
        """
    static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .text, .int8, .bytea, .text]

    /// The new row's id (nil: not inserted), the digest held under the key before this statement
    /// (nil: none), and the device's credential row (all nil: no row).
    typealias Row = (id: Int64?, heldSHA256: String?, certificateSerial: String?, revokedAt: Date?, revokedReason: String?)

    var device: String
    var key: String
    var kind: String
    var document: DocumentBody
    var serial: String?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 7)
        bindings.append(device)
        bindings.append(key)
        bindings.append(kind)
        bindings.append(document.sha256)
        bindings.append(Int64(document.bytes.count))
        bindings.append(ByteBuffer(bytes: document.bytes))
        bindings.append(serial)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode((Int64?, String?, String?, Date?, String?).self)
    }
}

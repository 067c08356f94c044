import Foundation
import PostgresNIO

/// A device's credential row, read by primary key on every device request that writes nothing
/// (``PostgresHubStore/checkCredential(device:serial:)``). Prepared once per connection.
struct CredentialStatement: PostgresPreparedStatement {
    static let name = "fluorobox_credential"
    static let sql = "SELECT certificate_serial, revoked_at, revoked_reason FROM device_credential WHERE device = $1"
    static let bindingDataTypes: [PostgresDataType] = [.text]

    typealias Row = DeviceCredential

    var device: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(device)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (serial, revokedAt, reason) = try row.decode((String?, Date?, String?).self)
        return DeviceCredential(certificateSerial: serial, revokedAt: revokedAt, revokedReason: reason)
    }
}

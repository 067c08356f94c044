import Foundation
import GRDB

extension HubStore {
    /// Summed in SQL (bodies are BLOBs holding JSON text, read as text); `total` is a float, so
    /// a lying box's huge count caps at about Int64's largest instead of failing the sum.
    public func doctorVerdicts(model: String, version: String, devices: [String], fromDay: String) async throws(HubError) -> (agree: Int, disagree: Int) {
        try await blocking {
            try self.run("summing doctors' verdicts on \(model)@\(version)") { db in
                let deviceList = String(decoding: try JSONEncoder().encode(devices), as: UTF8.self)
                let row = try Row.fetchOne(db, sql: """
                    SELECT CAST(min(total(max(json_extract(b, '$.doctorAgree'), 0)), 9.2e18) AS INTEGER) AS agree,
                           CAST(min(total(max(json_extract(b, '$.doctorDisagree'), 0)), 9.2e18) AS INTEGER) AS disagree
                    FROM (SELECT CAST(body AS TEXT) AS b FROM item
                          WHERE kind = 'report' AND device IN (SELECT value FROM json_each(?)) AND json_valid(CAST(body AS TEXT)))
                    WHERE json_extract(b, '$.model') = ? AND json_extract(b, '$.version') = ? AND json_extract(b, '$.day') >= ?
                    """, arguments: [deviceList, model, version, fromDay])
                return (agree: row?["agree"] ?? 0, disagree: row?["disagree"] ?? 0)
            }
        }
    }
}

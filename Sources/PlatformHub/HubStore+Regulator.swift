import Foundation
import GRDB

extension HubStore {
    /// The single-machine twin of PostgreSQL's migration 5 (device-institution).
    static func registerInstitutionMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-device-institution") { db in
            try db.create(table: "deviceInstitution") { t in
                t.primaryKey("device", .text)
                t.column("region", .text).notNull()
                t.column("name", .text).notNull()
                t.column("taxID", .text)
                t.column("oid", .text)
                t.column("updatedAt", .datetime).notNull()
                t.check(sql: "taxID IS NOT NULL OR oid IS NOT NULL")
            }
        }
    }

    public func setInstitution(_ institution: DeviceInstitution, device: String) async throws(HubError) {
        try institution.validate()
        try await blocking {
            try self.run("recording \(device)'s institution") { db in
                try db.execute(sql: """
                    INSERT INTO deviceInstitution (device, region, name, taxID, oid, updatedAt) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (device) DO UPDATE SET region = excluded.region, name = excluded.name, taxID = excluded.taxID,
                        oid = excluded.oid, updatedAt = excluded.updatedAt
                    """, arguments: [device, institution.region, institution.name, institution.taxID, institution.oid, Date()])
            }
        }
    }

    public func institutions() async throws(HubError) -> [String: DeviceInstitution] {
        try await blocking {
            try self.run("reading institutions") { db in
                var institutions: [String: DeviceInstitution] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT device, region, name, taxID, oid FROM deviceInstitution") {
                    institutions[row["device"]] = DeviceInstitution(region: row["region"], name: row["name"], taxID: row["taxID"], oid: row["oid"])
                }
                return institutions
            }
        }
    }

    /// Bodies are BLOBs holding JSON text: read as text, since SQLite 3.45 takes a BLOB argument
    /// of its JSON functions for its binary JSONB.
    public func dailyReports(from: String, to: String) async throws(HubError) -> [RegulatorReport.DailyReport] {
        try await blocking {
            try self.run("reading post-market reports") { db in
                try Row.fetchAll(db, sql: """
                    SELECT device, body FROM item
                    WHERE kind = 'report' AND json_valid(CAST(body AS TEXT)) AND json_extract(CAST(body AS TEXT), '$.day') BETWEEN ? AND ?
                    """, arguments: [from, to]).map { RegulatorReport.DailyReport(device: $0["device"], body: Array($0["body"] as Data)) }
            }
        }
    }
}

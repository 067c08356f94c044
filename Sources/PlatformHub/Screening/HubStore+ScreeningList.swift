import Foundation
import GRDB

extension HubStore {
    /// The single-machine twin of PostgreSQL's migration 12 (screening-list). The accession is
    /// made from the row id after the insert, in the same transaction.
    static func registerScreeningListMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v12-screening-list") { db in
            try db.create(table: "screeningEntry") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("accessionNumber", .text).unique()
                t.column("institution", .text).notNull()
                t.column("patientID", .text).notNull()
                t.column("patientName", .text).notNull()
                t.column("birthDate", .text).notNull()
                t.column("sex", .text).notNull().check(sql: "sex IN ('M', 'F', 'O')")
                t.column("dueDate", .text).notNull()
                t.column("note", .text)
                t.column("importedBy", .text).notNull()
                t.column("importedAt", .datetime).notNull()
                t.uniqueKey(["institution", "patientID", "dueDate"])
            }
        }
    }

    public func importScreeningList(
        _ entries: [ScreeningEntry], institution: String, file: String?, by actor: String, at: Date
    ) async throws(HubError) -> ScreeningImport {
        try await blocking {
            try self.run("importing the screening list of \(institution)") { db in
                var stored: [ScreeningEntry] = []
                var added = 0
                for var entry in entries {
                    let held = try String.fetchOne(db, sql: """
                        SELECT accessionNumber FROM screeningEntry WHERE institution = ? AND patientID = ? AND dueDate = ?
                        """, arguments: [institution, entry.patientID, entry.dueDate])
                    if let held {
                        try db.execute(sql: """
                            UPDATE screeningEntry SET patientName = ?, birthDate = ?, sex = ?, note = ? WHERE accessionNumber = ?
                            """, arguments: [entry.patientName, entry.birthDate, entry.sex, entry.note, held])
                        entry.accessionNumber = held
                    } else {
                        try db.execute(sql: """
                            INSERT INTO screeningEntry (institution, patientID, patientName, birthDate, sex, dueDate, note, importedBy, importedAt)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """, arguments: [institution, entry.patientID, entry.patientName, entry.birthDate, entry.sex, entry.dueDate, entry.note, actor, at])
                        let accession = ScreeningEntry.accession(sequence: db.lastInsertedRowID)
                        try db.execute(sql: "UPDATE screeningEntry SET accessionNumber = ? WHERE id = ?", arguments: [accession, db.lastInsertedRowID])
                        entry.accessionNumber = accession
                        added += 1
                    }
                    entry.institution = institution
                    stored.append(entry)
                }
                let outcome = ScreeningImport(entries: stored, added: added)
                try Self.insertAudit(outcome.auditEntry(institution: institution, file: file, by: actor, at: at), db)
                return outcome
            }
        }
    }

    public func screeningList(institution: String) async throws(HubError) -> [ScreeningEntry] {
        try await blocking {
            try self.run("reading the screening list of \(institution)") { db in
                try Self.screeningEntries(db, where: "institution = ?", [institution])
            }
        }
    }

    public func screeningList(device: String) async throws(HubError) -> [ScreeningEntry] {
        try await blocking {
            try self.run("reading \(device)'s screening list") { db in
                // One read: the institution and its entries as of one moment.
                guard let row = try Row.fetchOne(db, sql: "SELECT taxID, oid FROM deviceInstitution WHERE device = ?", arguments: [device]) else {
                    return []
                }
                let ids = [row["taxID"], row["oid"]].compactMap { $0 as String? }
                return try Self.screeningEntries(db, where: "institution IN (?, ?)", [ids.first, ids.last])
            }
        }
    }

    public func removeScreeningEntry(accessionNumber: String, by actor: String, at: Date) async throws(HubError) -> ScreeningEntry? {
        try await blocking {
            try self.run("removing screening entry \(accessionNumber)") { db in
                guard let entry = try Self.screeningEntries(db, where: "accessionNumber = ?", [accessionNumber]).first else { return nil }
                try db.execute(sql: "DELETE FROM screeningEntry WHERE accessionNumber = ?", arguments: [accessionNumber])
                try Self.insertAudit(entry.removalAuditEntry(by: actor, at: at), db)
                return entry
            }
        }
    }

    private static func screeningEntries(_ db: Database, where condition: String, _ arguments: [(any DatabaseValueConvertible)?]) throws -> [ScreeningEntry] {
        try Row.fetchAll(db, sql: """
            SELECT institution, accessionNumber, patientID, patientName, birthDate, sex, dueDate, note FROM screeningEntry
            WHERE \(condition) ORDER BY dueDate, accessionNumber
            """, arguments: StatementArguments(arguments)).map {
            ScreeningEntry(
                institution: $0["institution"], accessionNumber: $0["accessionNumber"], patientID: $0["patientID"],
                patientName: $0["patientName"], birthDate: $0["birthDate"], sex: $0["sex"], dueDate: $0["dueDate"], note: $0["note"])
        }
    }
}

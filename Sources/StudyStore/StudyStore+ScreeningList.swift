import Foundation
import GRDB

extension StudyStore {
    /// The ETag of the screening list the store holds (nil before the first one arrived).
    public func screeningListETag() throws(StoreError) -> String? {
        try read("reading the screening list's version") { db in
            try String.fetchOne(db, sql: "SELECT eTag FROM screeningList WHERE id = 1")
        }
    }

    /// Replaces the screening list with `entries` (version `eTag`) in one transaction: rows not
    /// yet linked are the new list exactly; a linked row keeps its link and stays, listed or not.
    /// A linked entry the list still holds keeps its link (the hub does not know of it).
    public func replaceScreeningList(_ entries: [ScreeningEntryRecord], eTag: String, at now: Date = Date()) throws(StoreError) {
        try write("replacing the screening list") { db in
            try db.execute(sql: "DELETE FROM screeningEntry WHERE linkedAt IS NULL")
            try db.execute(sql: "UPDATE screeningEntry SET listed = 0")
            for var entry in entries {
                entry.listed = true
                entry.receivedAt = now
                if var held = try ScreeningEntryRecord.fetchOne(db, key: entry.accessionNumber) {
                    // Linked already: the link stays; the details are the list's.
                    entry.linkedInstanceID = held.linkedInstanceID
                    entry.linkedAt = held.linkedAt
                    held = entry
                    try held.update(db)
                } else {
                    try entry.insert(db)
                }
            }
            try db.execute(sql: """
                INSERT INTO screeningList (id, eTag, entries, receivedAt) VALUES (1, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET eTag = excluded.eTag, entries = excluded.entries, receivedAt = excluded.receivedAt
                """, arguments: [eTag, entries.count, now])
        }
    }

    /// The screening entries on the modality worklist: listed, not linked, due on or before
    /// `dueBy` (YYYYMMDD), by due date then accession.
    public func openScreeningEntries(dueBy: String) throws(StoreError) -> [ScreeningEntryRecord] {
        try read("reading the screening list") { db in
            try ScreeningEntryRecord
                .filter(ScreeningEntryRecord.Columns.listed == true && ScreeningEntryRecord.Columns.linkedAt == nil
                    && ScreeningEntryRecord.Columns.dueDate <= dueBy)
                .order(ScreeningEntryRecord.Columns.dueDate, ScreeningEntryRecord.Columns.accessionNumber)
                .fetchAll(db)
        }
    }

    /// Every screening entry the store holds (listed or linked), by due date then accession.
    public func screeningEntries() throws(StoreError) -> [ScreeningEntryRecord] {
        try read("reading the screening list") { db in
            try ScreeningEntryRecord.order(ScreeningEntryRecord.Columns.dueDate, ScreeningEntryRecord.Columns.accessionNumber).fetchAll(db)
        }
    }

    /// Inside the intake transaction: the listed, unlinked screening entry whose accession the
    /// new instance carries is linked to it and leaves the worklist. true when one was.
    func linkScreeningEntry(_ db: Database, accessionNumber: String, instanceID: Int64, at now: Date) throws -> Bool {
        guard var entry = try ScreeningEntryRecord
            .filter(ScreeningEntryRecord.Columns.accessionNumber == accessionNumber && ScreeningEntryRecord.Columns.linkedAt == nil)
            .fetchOne(db) else { return false }
        entry.linkedInstanceID = instanceID
        entry.linkedAt = now
        try entry.update(db)
        var event = AuditEventRecord(
            kind: "screening.linked", severity: .info, instanceID: instanceID,
            message: "instance arrived with accession \(accessionNumber): linked to the screening entry of patient \(entry.patientID) due \(entry.dueDate)",
            details: ["accessionNumber": accessionNumber, "dueDate": entry.dueDate]
        )
        try event.insert(db)
        return true
    }
}

import Foundation
import GRDB

extension StudyStore {
    /// The open modality worklist items: registrations with an accession, not cancelled, not
    /// yet linked to an instance, registered at or after `since` (older ones drop off), oldest first.
    public func openWorklistItems(registeredSince since: Date) throws(StoreError) -> [RegistrationRecord] {
        try read("reading the modality worklist") { db in
            try RegistrationRecord
                .filter(RegistrationRecord.Columns.accessionNumber != nil && RegistrationRecord.Columns.cancelledAt == nil
                    && RegistrationRecord.Columns.linkedInstanceID == nil && RegistrationRecord.Columns.registeredAt >= since)
                .order(RegistrationRecord.Columns.id)
                .fetchAll(db)
        }
    }

    /// Inside the intake transaction: the open worklist item (a registration or a screening
    /// entry) whose Accession Number the new instance carries is linked to it (the item is
    /// done). Any source counts: the modality took the patient from the worklist, or a USB
    /// capture carried its registration's accession.
    func linkWorklistItem(_ db: Database, accessionNumber: String?, instanceID: Int64, at now: Date) throws {
        guard let accession = accessionNumber?.trimmingCharacters(in: .whitespaces), !accession.isEmpty else { return }
        // A screening entry's accession is the hub's, a registration's the box's: never both.
        if try linkScreeningEntry(db, accessionNumber: accession, instanceID: instanceID, at: now) { return }
        guard var record = try RegistrationRecord
                .filter(RegistrationRecord.Columns.accessionNumber == accession && RegistrationRecord.Columns.cancelledAt == nil
                    && RegistrationRecord.Columns.linkedInstanceID == nil)
                .fetchOne(db) else { return }
        record.linkedInstanceID = instanceID
        record.linkedAt = now
        try record.update(db)
        var event = AuditEventRecord(
            kind: "registration.linked", severity: .info, instanceID: instanceID,
            message: "instance arrived with accession \(accession): linked to registration \(record.id ?? 0)",
            details: ["registrationID": String(record.id ?? 0), "accessionNumber": accession]
        )
        try event.insert(db)
    }
}

import Foundation
import GRDB

extension StudyStore {
    /// Registers the patient for the next capture and puts them on the worklist under a new
    /// Accession Number. An earlier registration not yet claimed by a capture is superseded as
    /// the next capture's patient (the operator moved on) but stays on the worklist.
    @discardableResult
    public func register(_ registration: RegistrationRecord) throws(StoreError) -> RegistrationRecord {
        try write("registering the next patient") { db in
            let now = Date()
            try db.execute(
                sql: "UPDATE registration SET supersededAt = ? WHERE consumedAt IS NULL AND cancelledAt IS NULL AND supersededAt IS NULL AND claimedSOPInstanceUID IS NULL",
                arguments: [now]
            )
            var record = registration
            try record.insert(db)
            record.accessionNumber = Self.accessionNumber(registrationID: record.id!)
            try record.update(db)
            var event = AuditEventRecord(
                kind: "registration.added", severity: .info,
                message: "next patient registered: \(record.patientID ?? "no ID") \(record.patientName ?? ""), accession \(record.accessionNumber!)",
                details: ["registrationID": String(record.id ?? 0)]
            )
            try event.insert(db)
            return record
        }
    }

    /// The box's Accession Number of a registration: unique on this box (the row's number), at
    /// most 16 characters as SH allows.
    static func accessionNumber(registrationID: Int64) -> String {
        "FB" + String(format: "%08lld", registrationID)
    }

    /// The registration the next capture will use, if any.
    public func pendingRegistration() throws(StoreError) -> RegistrationRecord? {
        try read("reading the pending registration") { db in
            try RegistrationRecord
                .filter(Self.isNextCapture)
                .order(RegistrationRecord.Columns.id.desc)
                .fetchOne(db)
        }
    }

    /// Waiting for the next USB capture: not used, cancelled or superseded.
    static var isNextCapture: SQLExpression { RegistrationRecord.Columns.consumedAt == nil && RegistrationRecord.Columns.cancelledAt == nil
        && RegistrationRecord.Columns.supersededAt == nil }

    /// Cancels the pending registration (and so its worklist item); returns whether there was one.
    @discardableResult
    public func cancelPendingRegistration() throws(StoreError) -> Bool {
        try write("cancelling the pending registration") { db in
            try db.execute(
                sql: "UPDATE registration SET cancelledAt = ? WHERE consumedAt IS NULL AND cancelledAt IS NULL AND supersededAt IS NULL",
                arguments: [Date()]
            )
            return db.changesCount > 0
        }
    }

    /// Cancels one registration, pending or superseded, so its worklist item is gone; one
    /// already used by a capture or linked to an instance stays. Returns whether it was cancelled.
    @discardableResult
    public func cancelRegistration(id: Int64) throws(StoreError) -> Bool {
        try write("cancelling registration \(id)") { db in
            try db.execute(
                sql: "UPDATE registration SET cancelledAt = ? WHERE id = ? AND consumedAt IS NULL AND cancelledAt IS NULL AND linkedInstanceID IS NULL",
                arguments: [Date(), id]
            )
            guard db.changesCount > 0 else { return false }
            var event = AuditEventRecord(
                kind: "registration.cancelled", severity: .info,
                message: "registration \(id) cancelled; its worklist item is withdrawn", details: ["registrationID": String(id)]
            )
            try event.insert(db)
            return true
        }
    }

    /// Marks the pending registration as used by the capture `sopInstanceUID` before that
    /// capture is stored, so a crash in between can be settled by ``settleRegistrations()``.
    public func claimPendingRegistration(for sopInstanceUID: String) throws(StoreError) -> RegistrationRecord? {
        try write("claiming the pending registration") { db in
            guard var record = try RegistrationRecord
                .filter(Self.isNextCapture)
                .order(RegistrationRecord.Columns.id.desc)
                .fetchOne(db) else { return nil }
            record.claimedSOPInstanceUID = sopInstanceUID
            try record.update(db)
            return record
        }
    }

    /// The capture holding the claim is durable: the registration is used up.
    public func consumeRegistration(id: Int64, instanceID: Int64) throws(StoreError) {
        try write("consuming the registration") { db in
            try db.execute(sql: "UPDATE registration SET consumedAt = ? WHERE id = ?", arguments: [Date(), id])
            var event = AuditEventRecord(
                kind: "registration.used", severity: .info, instanceID: instanceID,
                message: "registration \(id) used for a USB capture", details: ["registrationID": String(id)]
            )
            try event.insert(db)
        }
    }

    /// After a crash: a claim whose instance was stored is consumed; a claim whose instance never
    /// became durable is released for the next capture. Returns how many were settled.
    @discardableResult
    public func settleRegistrations() throws(StoreError) -> Int {
        try write("settling registration claims") { db in
            let claimed = try RegistrationRecord
                .filter(RegistrationRecord.Columns.consumedAt == nil && RegistrationRecord.Columns.claimedSOPInstanceUID != nil)
                .fetchAll(db)
            for var record in claimed {
                let stored = try InstanceRecord.filter(InstanceRecord.Columns.sopInstanceUID == record.claimedSOPInstanceUID!).fetchCount(db) > 0
                if stored { record.consumedAt = Date() } else { record.claimedSOPInstanceUID = nil }
                try record.update(db)
            }
            return claimed.count
        }
    }

    /// Registrations, newest first.
    public func registrations(limit: Int = 20) throws(StoreError) -> [RegistrationRecord] {
        try read("listing registrations") { db in
            try RegistrationRecord.order(RegistrationRecord.Columns.id.desc).limit(limit).fetchAll(db)
        }
    }
}

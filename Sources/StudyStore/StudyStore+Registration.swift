import Foundation
import GRDB

extension StudyStore {
    /// Registers the patient for the next capture; an earlier pending registration is cancelled
    /// (the operator corrected it).
    @discardableResult
    public func register(_ registration: RegistrationRecord) throws(StoreError) -> RegistrationRecord {
        try write("registering the next patient") { db in
            let now = Date()
            try db.execute(
                sql: "UPDATE registration SET cancelledAt = ? WHERE consumedAt IS NULL AND cancelledAt IS NULL AND claimedSOPInstanceUID IS NULL",
                arguments: [now]
            )
            var record = registration
            try record.insert(db)
            var event = AuditEventRecord(
                kind: "registration.added", severity: .info,
                message: "next patient registered: \(record.patientID ?? "no ID") \(record.patientName ?? "")",
                details: ["registrationID": String(record.id ?? 0)]
            )
            try event.insert(db)
            return record
        }
    }

    /// The registration the next capture will use, if any.
    public func pendingRegistration() throws(StoreError) -> RegistrationRecord? {
        try read("reading the pending registration") { db in
            try RegistrationRecord
                .filter(RegistrationRecord.Columns.consumedAt == nil && RegistrationRecord.Columns.cancelledAt == nil)
                .order(RegistrationRecord.Columns.id.desc)
                .fetchOne(db)
        }
    }

    /// Cancels the pending registration; returns whether there was one.
    @discardableResult
    public func cancelPendingRegistration() throws(StoreError) -> Bool {
        try write("cancelling the pending registration") { db in
            try db.execute(sql: "UPDATE registration SET cancelledAt = ? WHERE consumedAt IS NULL AND cancelledAt IS NULL", arguments: [Date()])
            return db.changesCount > 0
        }
    }

    /// Marks the pending registration as used by the capture `sopInstanceUID` before that
    /// capture is stored, so a crash in between can be settled by ``settleRegistrations()``.
    public func claimPendingRegistration(for sopInstanceUID: String) throws(StoreError) -> RegistrationRecord? {
        try write("claiming the pending registration") { db in
            guard var record = try RegistrationRecord
                .filter(RegistrationRecord.Columns.consumedAt == nil && RegistrationRecord.Columns.cancelledAt == nil)
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

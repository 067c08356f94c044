import Foundation
import GRDB
import POSIXSupport

extension StudyStore {
    /// The transaction of the promise: study, instance, outbox items, analyses and audit event
    /// commit together or not at all.
    func commitInstance(
        staged: StagedBlob, blobPath: String, description: InstanceDescription, origin: IntakeOrigin
    ) throws(StoreError) -> IntakeReceipt {
        let destinations = configuration.destinations
        return try write("recording instance \(description.sopInstanceUID)") { db in
            let now = Date()
            if var existing = try InstanceRecord.filter(InstanceRecord.Columns.sha256 == staged.sha256).fetchOne(db) {
                if existing.blobState != .present {
                    // The bytes came back after eviction or loss: the file is on disk again.
                    let previous = existing.blobState
                    existing.blobState = .present
                    existing.evictedAt = nil
                    try existing.update(db)
                    var event = AuditEventRecord(
                        kind: "instance.blob-restored", severity: .info, instanceID: existing.id,
                        message: "blob of instance \(existing.sopInstanceUID) received again (was \(previous.rawValue))",
                        details: ["source": origin.source.rawValue, "sha256": staged.sha256]
                    )
                    try event.insert(db)
                }
                let study = try StudyRecord.fetchOne(db, key: existing.studyID)
                return IntakeReceipt(
                    outcome: .duplicate, instanceID: existing.id!, studyID: existing.studyID,
                    sopInstanceUID: existing.sopInstanceUID,
                    studyInstanceUID: study?.studyInstanceUID ?? description.studyInstanceUID,
                    sha256: existing.sha256, size: existing.size
                )
            }

            var study = try StudyRecord.filter(StudyRecord.Columns.studyInstanceUID == description.studyInstanceUID).fetchOne(db)
            // A Study Instance UID that already belongs to another patient: a modality reusing
            // UIDs or a hostile sender. The instance is filed in that study (the UID says so) but
            // flagged and shown, never merged silently into another patient's record.
            var conflictingPatientID: String?
            if let existing = study, let known = existing.patientID, !known.isEmpty,
               let incoming = description.patientID, !incoming.isEmpty, incoming != known {
                conflictingPatientID = incoming
            }
            if study == nil {
                var created = StudyRecord(
                    id: nil, studyInstanceUID: description.studyInstanceUID,
                    uidGenerated: description.uidsGenerated, patientID: description.patientID,
                    patientName: description.patientName, patientBirthDate: description.patientBirthDate,
                    patientSex: description.patientSex, studyDate: description.studyDate,
                    studyTime: description.studyTime, accessionNumber: description.accessionNumber,
                    modality: description.modality, studyDescription: description.studyDescription,
                    createdAt: now, updatedAt: now
                )
                try created.insert(db)
                study = created
            } else {
                study!.updatedAt = now
                try study!.update(db)
            }
            let studyID = study!.id!

            let sameUID = try InstanceRecord
                .filter(InstanceRecord.Columns.sopInstanceUID == description.sopInstanceUID)
                .fetchAll(db)
            var instance = InstanceRecord(
                id: nil, studyID: studyID, sopInstanceUID: description.sopInstanceUID,
                sopClassUID: description.sopClassUID, seriesInstanceUID: description.seriesInstanceUID,
                uidGenerated: description.uidsGenerated, sha256: staged.sha256, size: staged.size,
                blobPath: blobPath, blobState: .present, format: description.format,
                transferSyntaxUID: description.transferSyntaxUID, source: origin.source,
                sourceDetail: origin.detail, uidConflict: !sameUID.isEmpty, conflictingPatientID: conflictingPatientID,
                modality: description.modality, seriesNumber: description.seriesNumber,
                instanceNumber: description.instanceNumber, receivedAt: now, evictedAt: nil
            )
            try instance.insert(db)
            let instanceID = instance.id!
            if let conflictingPatientID {
                var conflict = AuditEventRecord(
                    kind: "instance.patient-conflict", severity: .warning, instanceID: instanceID,
                    message: "instance \(description.sopInstanceUID) names Patient ID \(conflictingPatientID), but its study "
                        + "\(description.studyInstanceUID) belongs to another Patient ID; filed there and flagged for a person to check",
                    details: ["sha256": staged.sha256, "studyInstanceUID": description.studyInstanceUID]
                )
                try conflict.insert(db)
            }

            for var other in sameUID where !other.uidConflict {
                other.uidConflict = true
                try other.update(db)
            }
            if !sameUID.isEmpty {
                var conflict = AuditEventRecord(
                    kind: "instance.uid-conflict", severity: .warning, instanceID: instanceID,
                    message: "SOP Instance UID \(description.sopInstanceUID) arrived again with different bytes; both copies are kept",
                    details: [
                        "sha256": staged.sha256,
                        "otherSHA256": sameUID.map(\.sha256).joined(separator: ","),
                    ]
                )
                try conflict.insert(db)
            }

            let key = OutboxItemRecord.instanceKey(sopInstanceUID: description.sopInstanceUID, sha256: staged.sha256)
            for destination in destinations {
                var item = OutboxItemRecord(
                    id: nil, destination: destination, kind: .instance, idempotencyKey: key,
                    priority: .image, instanceID: instanceID, resultID: nil, payloadBytes: staged.size,
                    state: .queued, attempts: 0, nextAttemptAt: now, lastError: nil, rejectedReason: nil,
                    createdAt: now, sentAt: nil
                )
                try item.insert(db, onConflict: .ignore)
            }
            for task in origin.analyses {
                var analysis = AnalysisRecord(
                    id: nil, instanceID: instanceID, task: task, modelID: nil, modelVersion: nil,
                    status: .pending, attempts: 0, queuedAt: now, startedAt: nil, finishedAt: nil, error: nil
                )
                try analysis.insert(db)
            }
            try linkWorklistItem(db, accessionNumber: description.accessionNumber, instanceID: instanceID, at: now)
            var stored = AuditEventRecord(
                kind: "instance.stored", severity: .info, instanceID: instanceID,
                message: "stored \(description.format.rawValue) instance \(description.sopInstanceUID) from \(origin.source.rawValue)",
                details: ["sha256": staged.sha256, "bytes": String(staged.size), "source": origin.source.rawValue]
            )
            try stored.insert(db)
            return IntakeReceipt(
                outcome: sameUID.isEmpty ? .stored : .storedWithUIDConflict, instanceID: instanceID,
                studyID: studyID, sopInstanceUID: description.sopInstanceUID,
                studyInstanceUID: description.studyInstanceUID, sha256: staged.sha256, size: staged.size
            )
        }
    }

    /// After a failed commit, removes a just-filed blob that no row names (nothing was
    /// acknowledged for it). The caller has released its own share of the intake lock.
    ///
    /// Another intake of the same bytes may have renamed its copy onto the same name and be
    /// about to commit and acknowledge: every intake holds the intake lock shared from staging
    /// to commit, so the blob goes only when the lock can be had exclusively at once (no intake
    /// in flight) and no row names it. Otherwise it stays, and start-up recovery, which holds
    /// the lock exclusively, takes it as an orphan. When the database cannot be read, recovery
    /// decides too.
    func removeUnreferencedBlob(sha256: String, relativePath: String) {
        guard let lock = try? FileLock(path: directory.intakeLockPath), (try? lock.tryLock(.exclusive)) == true else {
            logger.notice("a blob whose commit failed is left for start-up recovery: another intake is in flight", metadata: ["sha256": "\(sha256)"])
            return
        }
        defer { lock.unlock() }
        guard let referenced = try? database.read({ db in
            try InstanceRecord.filter(InstanceRecord.Columns.sha256 == sha256).fetchCount(db) > 0
        }), !referenced else { return }
        try? Posix.unlink(directory.absolute(relativePath))
        try? Posix.fsyncDirectory(directory.absolute(String(relativePath.prefix(9))))
    }

    /// Moves staged bytes into `quarantine/` and records why. Returns the relative path, or nil
    /// when even that failed (the temp file then stays for recovery to report).
    func quarantine(_ staged: StagedBlob, reason: String, origin: IntakeOrigin) -> String? {
        defer { staged.intakeLock.unlock() }
        let relative = "quarantine/" + Self.quarantineName(sha256: staged.sha256)
        do {
            try Posix.rename(staged.temporaryPath, directory.absolute(relative))
            try Posix.fsyncDirectory(directory.quarantinePath)
        } catch {
            logger.error("could not quarantine unreadable bytes", metadata: ["error": "\(error)", "temp": "\(staged.temporaryPath)"])
            return nil
        }
        try? database.write { db in
            var event = AuditEventRecord(
                kind: "intake.quarantined", severity: .error,
                message: "unreadable content from \(origin.source.rawValue) kept in \(relative): \(reason)",
                details: ["path": relative, "sha256": staged.sha256, "source": origin.source.rawValue, "detail": origin.detail ?? ""]
            )
            try event.insert(db)
        }
        logger.error("unreadable content quarantined", metadata: ["path": "\(relative)", "reason": "\(reason)"])
        do {
            try enforceQuarantineBounds()
        } catch {
            logger.error("cannot keep quarantine within its bounds", metadata: ["error": "\(error)"])
        }
        return relative
    }

    /// "20261123T101500Z-<sha256>": sorts by time, never collides for different bytes.
    static func quarantineName(sha256: String, at date: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ v: Int?) -> String { String(format: "%02d", v ?? 0) }
        return "\(c.year ?? 0)\(two(c.month))\(two(c.day))T\(two(c.hour))\(two(c.minute))\(two(c.second))Z-\(sha256)"
    }
}

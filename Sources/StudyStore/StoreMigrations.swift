import GRDB

/// The schema, as an append-only list of migrations.
///
/// A migration that has shipped is never edited: boxes in the field already ran it. Change the
/// schema by appending a new one.
enum StoreMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-foundation") { db in
            try db.create(table: "study") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("studyInstanceUID", .text).notNull().unique()
                t.column("uidGenerated", .boolean).notNull()
                t.column("patientID", .text)
                t.column("patientName", .text)
                t.column("patientBirthDate", .text)
                t.column("patientSex", .text)
                t.column("studyDate", .text)
                t.column("studyTime", .text)
                t.column("accessionNumber", .text)
                t.column("modality", .text)
                t.column("studyDescription", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "instance") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("studyID", .integer).notNull().indexed().references("study", onDelete: .restrict)
                t.column("sopInstanceUID", .text).notNull().indexed()
                t.column("sopClassUID", .text)
                t.column("seriesInstanceUID", .text)
                t.column("uidGenerated", .boolean).notNull()
                t.column("sha256", .text).notNull().unique()
                t.column("size", .integer).notNull()
                t.column("blobPath", .text).notNull()
                t.column("blobState", .text).notNull()
                    .check(sql: "blobState IN ('present', 'evicted', 'missing')")
                t.column("format", .text).notNull()
                t.column("transferSyntaxUID", .text)
                t.column("source", .text).notNull()
                t.column("sourceDetail", .text)
                t.column("uidConflict", .boolean).notNull().defaults(to: false)
                t.column("receivedAt", .datetime).notNull()
                t.column("evictedAt", .datetime)
            }
            try db.create(index: "instance_on_blobState_receivedAt", on: "instance", columns: ["blobState", "receivedAt"])
            try db.create(table: "analysis") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("instanceID", .integer).notNull().indexed().references("instance", onDelete: .restrict)
                t.column("task", .text).notNull()
                t.column("modelID", .text)
                t.column("modelVersion", .text)
                t.column("status", .text).notNull()
                    .check(sql: "status IN ('pending', 'running', 'done', 'failed', 'skipped')")
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("queuedAt", .datetime).notNull()
                t.column("startedAt", .datetime)
                t.column("finishedAt", .datetime)
                t.column("error", .text)
            }
            try db.create(index: "analysis_on_status", on: "analysis", columns: ["status"])
            try db.create(table: "result") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("analysisID", .integer).notNull().unique().references("analysis", onDelete: .restrict)
                t.column("instanceID", .integer).notNull().indexed().references("instance", onDelete: .restrict)
                t.column("flagged", .boolean).notNull()
                t.column("qualityVerdict", .text)
                t.column("report", .text).notNull()
                t.column("resultHash", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "outboxItem") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("destination", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("idempotencyKey", .text).notNull()
                t.column("priority", .integer).notNull()
                t.column("instanceID", .integer).indexed().references("instance", onDelete: .restrict)
                t.column("resultID", .integer).indexed().references("result", onDelete: .restrict)
                t.column("payloadBytes", .integer).notNull()
                t.column("state", .text).notNull()
                    .check(sql: "state IN ('queued', 'sending', 'sent', 'rejected')")
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("lastError", .text)
                t.column("rejectedReason", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("sentAt", .datetime)
                t.uniqueKey(["destination", "idempotencyKey"])
            }
            try db.create(
                index: "outboxItem_on_drain_order", on: "outboxItem",
                columns: ["destination", "state", "priority", "nextAttemptAt"]
            )
            try db.create(table: "auditEvent") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .datetime).notNull().indexed()
                t.column("kind", .text).notNull().indexed()
                t.column("severity", .text).notNull()
                t.column("instanceID", .integer).indexed().references("instance", onDelete: .setNull)
                t.column("message", .text).notNull()
                t.column("details", .text)
            }
        }
        migrator.registerMigration("v2-registration") { db in
            // The patient the operator registered for the next capture (USB intake has no DICOM
            // header to carry it), and which instance it went to.
            try db.create(table: "registration") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("patientID", .text)
                t.column("patientName", .text)
                t.column("patientBirthDate", .text)
                t.column("patientSex", .text)
                t.column("worklistNote", .text)
                t.column("registeredAt", .datetime).notNull()
                t.column("claimedSOPInstanceUID", .text)
                t.column("consumedAt", .datetime)
                t.column("cancelledAt", .datetime)
            }
        }
        migrator.registerMigration("v3-analysis") { db in
            // The overlay Secondary Capture a result produced, stored as an instance of its own.
            try db.alter(table: "result") { t in
                t.add(column: "overlayInstanceID", .integer).references("instance", onDelete: .restrict)
            }
            try db.create(index: "analysis_on_status_queuedAt", on: "analysis", columns: ["status", "queuedAt"])
        }
        migrator.registerMigration("v4-panel") { db in
            // A doctor's verdict on a study's result, recorded in the panel and queued for the
            // platform (outbox kind "feedback", linked by outboxItem.feedbackID).
            try db.create(table: "feedback") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("studyID", .integer).notNull().indexed().references("study", onDelete: .restrict)
                t.column("resultID", .integer).indexed().references("result", onDelete: .restrict)
                t.column("verdict", .text).notNull()
                    .check(sql: "verdict IN ('agree', 'disagree', 'missed')")
                t.column("comment", .text)
                t.column("role", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.alter(table: "outboxItem") { t in
                t.add(column: "feedbackID", .integer).references("feedback", onDelete: .restrict)
            }
        }
        migrator.registerMigration("v5-sync") { db in
            // Self-contained JSON documents sync delivers (post-market reports, model update
            // outcomes): the outbox row carries the bytes.
            try db.alter(table: "outboxItem") { t in
                t.add(column: "document", .blob)
            }
        }
        migrator.registerMigration("v6-hardening") { db in
            // A technician's dismissal of an analysis that failed for good (it stays failed,
            // no longer listed as needing a person), and the Patient ID an instance carried when
            // its Study Instance UID already belonged to another patient.
            try db.alter(table: "analysis") { t in
                t.add(column: "dismissedAt", .datetime)
                t.add(column: "dismissedBy", .text)
            }
            try db.alter(table: "instance") { t in
                t.add(column: "conflictingPatientID", .text)
            }
        }
        migrator.registerMigration("v7-storage-commitment") { db in
            // A modality's storage commitment request (N-ACTION), kept from the moment it is
            // accepted until its report is acknowledged, so a report owed survives a restart and
            // a modality that is down. `references` is the request's JSON list of SOP class and
            // instance UIDs; whether each is held is decided when the report is sent.
            try db.create(table: "storageCommitment") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("transactionUID", .text).notNull().unique()
                t.column("callingAETitle", .text).notNull()
                t.column("references", .text).notNull()
                t.column("state", .text).notNull()
                    .check(sql: "state IN ('pending', 'reported')")
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("lastError", .text)
                t.column("eventTypeID", .integer)
                t.column("receivedAt", .datetime).notNull()
                t.column("reportedAt", .datetime)
            }
            try db.create(index: "storageCommitment_on_state_nextAttemptAt", on: "storageCommitment", columns: ["state", "nextAttemptAt"])
        }
        migrator.registerMigration("v8-query-keys") { db in
            // Query/retrieve keys of the instance itself (a study holds the modality's images,
            // the box's Secondary Capture overlays and its SRs, each with its own modality and
            // series). Rows already stored get them from their blobs by the backfill, which
            // looks for queryKeysRead = 0; rows that are not readable DICOM need nothing read.
            try db.alter(table: "instance") { t in
                t.add(column: "modality", .text)
                t.add(column: "seriesNumber", .text)
                t.add(column: "instanceNumber", .text)
                t.add(column: "queryKeysRead", .boolean).notNull().defaults(to: true)
            }
            try db.execute(sql: "UPDATE instance SET queryKeysRead = 0 WHERE format = 'dicom' AND blobState = 'present'")
            try db.create(index: "instance_on_seriesInstanceUID", on: "instance", columns: ["seriesInstanceUID"])
        }
        migrator.registerMigration("v9-dimse-commitment") { db in
            // A `dimse` destination's storage commitment: an item stays `queued` (not due until
            // `nextAttemptAt`, when it is sent again) while the receiver's report on the
            // transaction is awaited; `confirmation` says how a sent item was confirmed
            // (`storage-commitment` or `c-store`; NULL for destinations that confirm one way).
            try db.alter(table: "outboxItem") { t in
                t.add(column: "commitmentTransactionUID", .text)
                t.add(column: "commitmentRequestedAt", .datetime)
                t.add(column: "confirmation", .text)
            }
            try db.create(index: "outboxItem_on_commitmentTransactionUID", on: "outboxItem", columns: ["commitmentTransactionUID"])
        }
        migrator.registerMigration("v10-worklist") { db in
            // Every registration is also a modality worklist item under a box-made Accession
            // Number. Registering again no longer cancels the earlier one (it stays on the
            // worklist): it is only `supersededAt` as the next USB capture's patient. An instance
            // arriving with the accession is `linkedInstanceID`, and the item leaves the worklist.
            try db.alter(table: "registration") { t in
                t.add(column: "accessionNumber", .text)
                t.add(column: "supersededAt", .datetime)
                t.add(column: "linkedInstanceID", .integer).references("instance", onDelete: .setNull)
                t.add(column: "linkedAt", .datetime)
            }
            try db.create(index: "registration_on_accessionNumber", on: "registration", columns: ["accessionNumber"], unique: true)
        }
        migrator.registerMigration("v11-shadow-runs") { db in
            // A shadow package's reading of an image the active package read: kept apart from
            // `result` (which the panel, the worklist and the outbox read) so it is never shown
            // to the clinic nor sent as a result. `findings` is JSON: per finding the shadow's
            // probability, threshold and flag beside the active model's flag, for the agreement.
            try db.create(table: "shadowRun") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("analysisID", .integer).notNull().references("analysis", onDelete: .restrict)
                t.column("instanceID", .integer).notNull().indexed().references("instance", onDelete: .restrict)
                t.column("task", .text).notNull()
                t.column("activeModelID", .text).notNull()
                t.column("activeModelVersion", .text).notNull()
                t.column("shadowModelID", .text).notNull()
                t.column("shadowModelVersion", .text).notNull()
                t.column("shadowPackageSHA256", .text).notNull()
                t.column("status", .text).notNull()
                    .check(sql: "status IN ('done', 'failed')")
                t.column("flagged", .boolean)
                t.column("findings", .text)
                t.column("milliseconds", .double)
                t.column("error", .text)
                t.column("ranAt", .datetime).notNull().indexed()
                t.uniqueKey(["analysisID", "shadowPackageSHA256"])
            }
        }
        migrator.registerMigration("v12-screening-list") { db in
            // The people due for screening the platform lists for the box's institution: worklist
            // items under the hub's accessions. A new list replaces the unlinked rows in one
            // transaction; a linked row stays (its image points at it). `screeningList` holds
            // the ETag of the list the rows are, so the box's poll is answered 304 while it holds.
            try db.create(table: "screeningEntry") { t in
                t.primaryKey("accessionNumber", .text)
                t.column("patientID", .text).notNull()
                t.column("patientName", .text).notNull()
                t.column("birthDate", .text).notNull()
                t.column("sex", .text).notNull()
                t.column("dueDate", .text).notNull()
                t.column("note", .text)
                t.column("listed", .boolean).notNull()
                t.column("receivedAt", .datetime).notNull()
                t.column("linkedInstanceID", .integer).references("instance", onDelete: .setNull)
                t.column("linkedAt", .datetime)
            }
            try db.create(table: "screeningList") { t in
                t.primaryKey("id", .integer).check(sql: "id = 1")
                t.column("eTag", .text).notNull()
                t.column("entries", .integer).notNull()
                t.column("receivedAt", .datetime).notNull()
            }
        }
        return migrator
    }
}

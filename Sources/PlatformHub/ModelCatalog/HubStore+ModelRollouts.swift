import Foundation
import GRDB

extension HubStore {
    /// The single-machine twin of PostgreSQL's migration 10 (model-rollout).
    static func registerModelRolloutMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10-model-rollout") { db in
            try db.create(table: "modelRollout") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("assignmentID", .integer).notNull()
                t.column("file", .text).notNull()
                t.column("sha256", .text).notNull()
                t.column("replacesAssignmentID", .integer)
                t.column("replacesFile", .text)
                t.column("replacesSHA256", .text)
                t.column("stages", .text).notNull()
                t.column("installFailurePercent", .double).notNull()
                t.column("referenceFailurePercent", .double).notNull()
                t.column("disagreePercent", .double).notNull()
                t.column("minimumReviewed", .integer).notNull()
                t.column("state", .text).notNull().check(sql: "state IN ('running', 'halted', 'completed', 'aborted', 'rolled-back')")
                t.column("stage", .integer).notNull()
                t.column("reason", .text)
                t.column("countingSince", .datetime).notNull()
                t.column("createdBy", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("changedBy", .text).notNull()
                t.column("changedAt", .datetime).notNull()
                t.column("revision", .integer).notNull().defaults(to: 0)
            }
            try db.execute(sql: "CREATE UNIQUE INDEX modelRolloutOpen ON modelRollout (assignmentID) WHERE state IN ('running', 'halted')")
        }
    }

    public func startRollout(_ rollout: ModelRollout) async throws(HubError) -> ModelRollout {
        try await blocking {
            try self.run("starting a rollout of \(rollout.file)") { db in
                guard try String.fetchOne(db, sql: "SELECT sha256 FROM modelAssignment WHERE id = ?", arguments: [rollout.assignmentID]) == rollout.sha256 else {
                    throw HubError(.conflict, "model assignment \(rollout.assignmentID) is gone or was re-pinned since it was read; start the rollout again")
                }
                if let held = try Int64.fetchOne(
                    db, sql: "SELECT id FROM modelRollout WHERE assignmentID = ? AND state IN ('running', 'halted')", arguments: [rollout.assignmentID]) {
                    throw HubError(.conflict, "rollout \(held) of this assignment is still running or halted: abort, roll back or finish it first")
                }
                let t = rollout.thresholds
                try db.execute(sql: """
                    INSERT INTO modelRollout (assignmentID, file, sha256, replacesAssignmentID, replacesFile, replacesSHA256, stages,
                        installFailurePercent, referenceFailurePercent, disagreePercent, minimumReviewed, state, stage, reason,
                        countingSince, createdBy, createdAt, changedBy, changedAt, revision)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        rollout.assignmentID, rollout.file, rollout.sha256, rollout.replaces?.assignmentID, rollout.replaces?.file,
                        rollout.replaces?.sha256, PostgresHubStore.stagesText(rollout.stages), t.installFailurePercent,
                        t.referenceFailurePercent, t.disagreePercent, t.minimumReviewed, rollout.state.rawValue, rollout.stage,
                        rollout.reason, rollout.countingSince, rollout.createdBy, rollout.createdAt, rollout.changedBy, rollout.changedAt,
                        rollout.revision,
                    ])
                var stored = rollout
                stored.id = db.lastInsertedRowID
                try Self.insertAudit(stored.auditEntry(ConsoleAuditEntry.Action.rolloutStarted), db)
                return stored
            }
        }
    }

    public func modelRollouts() async throws(HubError) -> [ModelRollout] {
        try await blocking {
            try self.run("reading model rollouts") { db in
                try Row.fetchAll(db, sql: "SELECT * FROM modelRollout ORDER BY id").map { row in
                    let stateText: String = row["state"]
                    guard let state = ModelRollout.State(rawValue: stateText) else { throw HubError(.storage, "a rollout in the unknown state \(stateText)") }
                    let replacedID: Int64? = row["replacesAssignmentID"]
                    let replacedFile: String? = row["replacesFile"]
                    let replacedSHA: String? = row["replacesSHA256"]
                    let stages: String = row["stages"]
                    return ModelRollout(
                        id: row["id"], assignmentID: row["assignmentID"], file: row["file"], sha256: row["sha256"],
                        replaces: replacedID.flatMap { id in replacedFile.flatMap { file in replacedSHA.map { .init(assignmentID: id, file: file, sha256: $0) } } },
                        stages: stages.split(separator: ",").compactMap { Int($0) },
                        thresholds: .init(
                            installFailurePercent: row["installFailurePercent"], referenceFailurePercent: row["referenceFailurePercent"],
                            disagreePercent: row["disagreePercent"], minimumReviewed: row["minimumReviewed"]),
                        state: state, stage: row["stage"], reason: row["reason"], countingSince: row["countingSince"], createdBy: row["createdBy"],
                        createdAt: row["createdAt"], changedBy: row["changedBy"], changedAt: row["changedAt"], revision: row["revision"])
                }
            }
        }
    }

    public func updateRollout(_ rollout: ModelRollout, action: String) async throws(HubError) -> Bool {
        try await blocking {
            try self.run("changing rollout \(rollout.id)") { db in
                try db.execute(sql: """
                    UPDATE modelRollout SET state = ?, stage = ?, reason = ?, countingSince = ?, changedBy = ?, changedAt = ?, revision = ?
                    WHERE id = ? AND revision = ?
                    """, arguments: [
                        rollout.state.rawValue, rollout.stage, rollout.reason, rollout.countingSince, rollout.changedBy, rollout.changedAt,
                        rollout.revision, rollout.id, rollout.revision - 1,
                    ])
                guard db.changesCount == 1 else { return false }
                try Self.insertAudit(rollout.auditEntry(action), db)
                return true
            }
        }
    }

    /// Bodies are BLOBs holding JSON text: read as text (see ``dailyReports(from:to:)``).
    public func modelUpdateReports(sha256: String, device: String?) async throws(HubError) -> [ModelUpdateReport] {
        try await blocking {
            try self.run("reading model-update reports of \(sha256)") { db in
                try Row.fetchAll(db, sql: """
                    SELECT device, body, receivedAt FROM item
                    WHERE kind = 'model-update' AND (? IS NULL OR device = ?) AND json_valid(CAST(body AS TEXT))
                      AND json_extract(CAST(body AS TEXT), '$.sha256') = ?
                    """, arguments: [device, device, sha256]).compactMap {
                    ModelUpdateReport(device: $0["device"], body: Array($0["body"] as Data), receivedAt: $0["receivedAt"])
                }
            }
        }
    }

    public func revokedDevices() async throws(HubError) -> Set<String> {
        try await blocking {
            try self.run("reading revoked devices") { db in
                Set(try String.fetchAll(db, sql: "SELECT device FROM deviceCredential WHERE revokedAt IS NOT NULL"))
            }
        }
    }
}

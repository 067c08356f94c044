import Foundation
import PostgresNIO

extension PostgresHubStore {
    /// Migration 10: staged rollouts of model assignments. At most one running or halted rollout
    /// per assignment (a partial unique index); `revision` lets replicas that evaluate at once
    /// write one change (``ModelRollout/revision``).
    static let modelRolloutMigration = Migration(version: 10, name: "model-rollout", statements: [
        """
        CREATE TABLE model_rollout (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            assignment_id bigint NOT NULL,
            file text NOT NULL,
            sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
            replaces_assignment_id bigint,
            replaces_file text,
            replaces_sha256 text CHECK (replaces_sha256 ~ '^[0-9a-f]{64}$'),
            stages text NOT NULL,
            install_failure_percent double precision NOT NULL CHECK (install_failure_percent BETWEEN 0 AND 100),
            reference_failure_percent double precision NOT NULL CHECK (reference_failure_percent BETWEEN 0 AND 100),
            disagree_percent double precision NOT NULL CHECK (disagree_percent BETWEEN 0 AND 100),
            minimum_reviewed integer NOT NULL CHECK (minimum_reviewed >= 0),
            state text NOT NULL CONSTRAINT model_rollout_state CHECK (state IN ('running', 'halted', 'completed', 'aborted', 'rolled-back')),
            stage integer NOT NULL CHECK (stage >= 0),
            reason text,
            counting_since timestamptz NOT NULL,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL,
            changed_by text NOT NULL,
            changed_at timestamptz NOT NULL,
            revision bigint NOT NULL DEFAULT 0,
            CONSTRAINT model_rollout_replaces CHECK ((replaces_assignment_id IS NULL) = (replaces_file IS NULL) AND (replaces_file IS NULL) = (replaces_sha256 IS NULL))
        )
        """,
        "CREATE UNIQUE INDEX model_rollout_open ON model_rollout (assignment_id) WHERE state IN ('running', 'halted')",
    ])

    private static let rolloutColumns = """
        id, assignment_id, file, sha256, replaces_assignment_id, replaces_file, replaces_sha256, stages, install_failure_percent,
        reference_failure_percent, disagree_percent, minimum_reviewed, state, stage, reason, counting_since, created_by, created_at,
        changed_by, changed_at, revision
        """

    public func startRollout(_ rollout: ModelRollout) async throws(HubError) -> ModelRollout {
        let logger = logger
        let action = "starting a rollout of \(rollout.file)"
        return try await transaction(action) { connection in
            // The assignment, locked against a re-pin or take-back, as the rollout pins it.
            let pinned = try await connection.query(
                "SELECT sha256 FROM model_assignment WHERE id = \(rollout.assignmentID) FOR SHARE", logger: logger)
            guard try await Self.collect(action, pinned.decode(String.self)).first == rollout.sha256 else {
                throw HubError(.conflict, "model assignment \(rollout.assignmentID) is gone or was re-pinned since it was read; start the rollout again")
            }
            let open = try await connection.query(
                "SELECT id FROM model_rollout WHERE assignment_id = \(rollout.assignmentID) AND state IN ('running', 'halted')", logger: logger)
            if let held = try await Self.collect(action, open.decode(Int64.self)).first {
                throw HubError(.conflict, "rollout \(held) of this assignment is still running or halted: abort, roll back or finish it first")
            }
            let t = rollout.thresholds
            let rows = try await connection.query("""
                INSERT INTO model_rollout (assignment_id, file, sha256, replaces_assignment_id, replaces_file, replaces_sha256, stages,
                    install_failure_percent, reference_failure_percent, disagree_percent, minimum_reviewed, state, stage, reason,
                    counting_since, created_by, created_at, changed_by, changed_at, revision)
                VALUES (\(rollout.assignmentID), \(rollout.file), \(rollout.sha256), \(rollout.replaces?.assignmentID), \(rollout.replaces?.file),
                    \(rollout.replaces?.sha256), \(Self.stagesText(rollout.stages)), \(t.installFailurePercent), \(t.referenceFailurePercent),
                    \(t.disagreePercent), \(t.minimumReviewed), \(rollout.state.rawValue), \(rollout.stage), \(rollout.reason),
                    \(rollout.countingSince), \(rollout.createdBy), \(rollout.createdAt), \(rollout.changedBy), \(rollout.changedAt), \(rollout.revision))
                RETURNING id
                """, logger: logger)
            var stored = rollout
            for try await id in rows.decode(Int64.self) { stored.id = id }
            guard stored.id != 0 else { throw HubError(.storage, "\(action): the database returned no id") }
            try await Self.insertAudit(stored.auditEntry(ConsoleAuditEntry.Action.rolloutStarted), connection: connection, logger: logger)
            return stored
        }
    }

    public func modelRollouts() async throws(HubError) -> [ModelRollout] {
        let action = "reading model rollouts"
        let rows = try await statement(action, "SELECT \(unescaped: Self.rolloutColumns) FROM model_rollout ORDER BY id")
        var rollouts: [ModelRollout] = []
        for row in try await Self.collect(action, rows) {
            do {
                rollouts.append(try Self.rollout(row))
            } catch let error as HubError {
                throw error
            } catch {
                throw HubError(.storage, "\(action): \(error)")
            }
        }
        return rollouts
    }

    public func updateRollout(_ rollout: ModelRollout, action: String) async throws(HubError) -> Bool {
        let logger = logger
        return try await transaction("changing rollout \(rollout.id)") { connection in
            // Only over the revision the change was decided on: of two replicas, one writes.
            let rows = try await connection.query("""
                UPDATE model_rollout SET state = \(rollout.state.rawValue), stage = \(rollout.stage), reason = \(rollout.reason),
                    counting_since = \(rollout.countingSince), changed_by = \(rollout.changedBy), changed_at = \(rollout.changedAt),
                    revision = \(rollout.revision)
                WHERE id = \(rollout.id) AND revision = \(rollout.revision - 1)
                RETURNING id
                """, logger: logger)
            guard try await Self.collect("changing rollout \(rollout.id)", rows.decode(Int64.self)).count == 1 else { return false }
            try await Self.insertAudit(rollout.auditEntry(action), connection: connection, logger: logger)
            return true
        }
    }

    public func modelUpdateReports(sha256: String, device: String?) async throws(HubError) -> [ModelUpdateReport] {
        let action = "reading model-update reports of \(sha256)"
        let rows = try await statement(action, """
            SELECT device, body, received_at FROM item
            WHERE kind = 'model-update' AND (\(device)::text IS NULL OR device = \(device))
              AND convert_from(body, 'UTF8')::jsonb ->> 'sha256' = \(sha256)
            """)
        return try await Self.collect(action, rows.decode((String, ByteBuffer, Date).self)).compactMap { device, body, at in
            ModelUpdateReport(device: device, body: Array(buffer: body), receivedAt: at)
        }
    }

    public func revokedDevices() async throws(HubError) -> Set<String> {
        let action = "reading revoked devices"
        let rows = try await statement(action, "SELECT device FROM device_credential WHERE revoked_at IS NOT NULL")
        return Set(try await Self.collect(action, rows.decode(String.self)))
    }

    static func stagesText(_ stages: [Int]) -> String { stages.map(String.init).joined(separator: ",") }

    private static func rollout(_ row: PostgresRow) throws -> ModelRollout {
        let r = row.makeRandomAccess()
        let replacedID = try r["replaces_assignment_id"].decode(Int64?.self)
        let replacedFile = try r["replaces_file"].decode(String?.self)
        let replacedSHA = try r["replaces_sha256"].decode(String?.self)
        let stateText = try r["state"].decode(String.self)
        guard let state = ModelRollout.State(rawValue: stateText) else { throw HubError(.storage, "a rollout in the unknown state \(stateText)") }
        return ModelRollout(
            id: try r["id"].decode(Int64.self), assignmentID: try r["assignment_id"].decode(Int64.self), file: try r["file"].decode(String.self),
            sha256: try r["sha256"].decode(String.self),
            replaces: replacedID.flatMap { id in replacedFile.flatMap { file in replacedSHA.map { .init(assignmentID: id, file: file, sha256: $0) } } },
            stages: try r["stages"].decode(String.self).split(separator: ",").compactMap { Int($0) },
            thresholds: .init(
                installFailurePercent: try r["install_failure_percent"].decode(Double.self),
                referenceFailurePercent: try r["reference_failure_percent"].decode(Double.self),
                disagreePercent: try r["disagree_percent"].decode(Double.self), minimumReviewed: try r["minimum_reviewed"].decode(Int.self)),
            state: state, stage: try r["stage"].decode(Int.self), reason: try r["reason"].decode(String?.self),
            countingSince: try r["counting_since"].decode(Date.self), createdBy: try r["created_by"].decode(String.self),
            createdAt: try r["created_at"].decode(Date.self), changedBy: try r["changed_by"].decode(String.self),
            changedAt: try r["changed_at"].decode(Date.self), revision: try r["revision"].decode(Int64.self))
    }
}

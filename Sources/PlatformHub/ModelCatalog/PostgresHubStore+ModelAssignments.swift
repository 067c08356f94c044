import Foundation
import PostgresNIO

extension PostgresHubStore {
    /// Migration 9: which model packages of the catalog folder each region or list of
    /// institutions is offered, each pinned by the size and SHA-256 its file had when assigned.
    /// A row's id lasts while it does (assigning the same file to the same target again re-pins
    /// it), for staged rollouts to refer to.
    static let modelAssignmentMigration = Migration(version: 9, name: "model-assignment", statements: [
        """
        CREATE TABLE model_assignment (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            file text NOT NULL,
            size bigint NOT NULL CHECK (size >= 0),
            sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
            target_kind text NOT NULL CONSTRAINT model_assignment_target_kind CHECK (target_kind IN ('region', 'institutions')),
            target text NOT NULL,
            assigned_by text NOT NULL,
            assigned_at timestamptz NOT NULL,
            CONSTRAINT model_assignment_file_target UNIQUE (file, target_kind, target)
        )
        """,
    ])

    /// Migration 11: an assignment's role, `active` (every one made before) or `shadow` (the
    /// devices run the package in shadow beside the active one); at most one shadow per target.
    static let modelAssignmentRoleMigration = Migration(version: 11, name: "model-assignment-role", statements: [
        """
        ALTER TABLE model_assignment ADD COLUMN role text NOT NULL DEFAULT 'active'
            CONSTRAINT model_assignment_role CHECK (role IN ('active', 'shadow'))
        """,
        "CREATE UNIQUE INDEX model_assignment_shadow ON model_assignment (target_kind, target) WHERE role = 'shadow'",
    ])

    private static let assignmentColumns = "id, file, size, sha256, target_kind, target, role, assigned_by, assigned_at"

    public func assignModel(_ assignment: ModelAssignment) async throws(HubError) -> ModelAssignment {
        let logger = logger
        let action = "assigning \(assignment.file) to \(assignment.target.description)"
        do {
            return try await insertModelAssignment(assignment, action: action)
        } catch where error.code == .conflict && error.detail.contains("model_assignment_shadow") {
            // Two replicas assigning the first shadow of a target at once: both found none, the
            // index let one in.
            throw HubError(.conflict, "\(action) as shadow: one shadow per target, and another request assigned one to it at the same moment")
        }
    }

    private func insertModelAssignment(_ assignment: ModelAssignment, action: String) async throws(HubError) -> ModelAssignment {
        let logger = logger
        return try await transaction(action) { connection in
            // The target's rows locked: replicas changing one target at once queue here and the
            // second reads the first's row (a target with none yet: the shadow index refuses the second).
            let held = try await connection.query("""
                SELECT \(unescaped: Self.assignmentColumns) FROM model_assignment
                WHERE target_kind = \(assignment.target.kind) AND target = \(assignment.target.text) FOR UPDATE
                """, logger: logger)
            if let conflict = assignment.conflict(with: try await Self.modelAssignments(action, held)) { throw conflict }
            let rows = try await connection.query("""
                INSERT INTO model_assignment (file, size, sha256, target_kind, target, role, assigned_by, assigned_at)
                VALUES (\(assignment.file), \(assignment.size), \(assignment.sha256), \(assignment.target.kind), \(assignment.target.text),
                    \(assignment.role.rawValue), \(assignment.assignedBy), \(assignment.assignedAt))
                ON CONFLICT (file, target_kind, target) DO UPDATE SET size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
                    assigned_by = EXCLUDED.assigned_by, assigned_at = EXCLUDED.assigned_at
                RETURNING id
                """, logger: logger)
            var stored = assignment
            for try await id in rows.decode(Int64.self) { stored.id = id }
            guard stored.id != 0 else { throw HubError(.storage, "assigning \(assignment.file): the database returned no id") }
            try await Self.insertAudit(
                stored.auditEntry(ConsoleAuditEntry.Action.modelAssigned, by: stored.assignedBy, at: stored.assignedAt),
                connection: connection, logger: logger)
            return stored
        }
    }

    public func unassignModel(id: Int64, by actor: String, at: Date) async throws(HubError) -> ModelAssignment? {
        let logger = logger
        return try await transaction("taking back model assignment \(id)") { connection in
            let deleted = try await connection.query(
                "DELETE FROM model_assignment WHERE id = \(id) RETURNING \(unescaped: Self.assignmentColumns)", logger: logger)
            guard let assignment = try await Self.modelAssignments("taking back model assignment \(id)", deleted).first else { return nil }
            try await Self.insertAudit(
                assignment.auditEntry(ConsoleAuditEntry.Action.modelUnassigned, by: actor, at: at), connection: connection, logger: logger)
            return assignment
        }
    }

    public func modelAssignments() async throws(HubError) -> [ModelAssignment] {
        let rows = try await statement(
            "reading model assignments", "SELECT \(unescaped: Self.assignmentColumns) FROM model_assignment ORDER BY file, id")
        return try await Self.modelAssignments("reading model assignments", rows)
    }

    public func modelAssignments(device: String) async throws(HubError) -> [ModelAssignment] {
        // One statement: the device's institution beside each assignment that may reach it;
        // ModelAssignment.Target decides, as it does for the console's counts.
        let action = "reading the packages assigned to \(device)"
        let rows = try await statement(action, """
            SELECT a.id, a.file, a.size, a.sha256, a.target_kind, a.target, a.role, a.assigned_by, a.assigned_at, i.region, i.name, i.tax_id, i.oid
            FROM device_institution i JOIN model_assignment a
                ON (a.target_kind = 'region' AND a.target = i.region) OR a.target_kind = 'institutions'
            WHERE i.device = \(device) ORDER BY a.file, a.id
            """)
        var reaching: [ModelAssignment] = []
        for (id, file, size, sha256, kind, target, role, by, at, region, name, taxID, oid) in try await Self.collect(
            action, rows.decode((Int64, String, Int64, String, String, String, String, String, Date, String, String, String?, String?).self)
        ) {
            let assignment = ModelAssignment(
                id: id, file: file, size: size, sha256: sha256, target: try ModelAssignment.Target(kind: kind, text: target),
                role: try ModelAssignment.Role(stored: role), assignedBy: by, assignedAt: at)
            if assignment.target.reaches(DeviceInstitution(region: region, name: name, taxID: taxID, oid: oid)) { reaching.append(assignment) }
        }
        return reaching
    }

    private static func modelAssignments<S: AsyncSequence>(_ action: String, _ rows: S) async throws(HubError) -> [ModelAssignment] where S.Element == PostgresRow {
        var assignments: [ModelAssignment] = []
        for (id, file, size, sha256, kind, target, role, by, at) in try await collect(
            action, rows.decode((Int64, String, Int64, String, String, String, String, String, Date).self)
        ) {
            assignments.append(ModelAssignment(
                id: id, file: file, size: size, sha256: sha256, target: try ModelAssignment.Target(kind: kind, text: target),
                role: try ModelAssignment.Role(stored: role), assignedBy: by, assignedAt: at))
        }
        return assignments
    }
}

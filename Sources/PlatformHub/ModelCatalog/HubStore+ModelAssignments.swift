import Foundation
import GRDB

extension HubStore {
    /// The single-machine twin of PostgreSQL's migration 9 (model-assignment).
    static func registerModelAssignmentMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-model-assignment") { db in
            try db.create(table: "modelAssignment") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("file", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("targetKind", .text).notNull().check(sql: "targetKind IN ('region', 'institutions')")
                t.column("target", .text).notNull()
                t.column("assignedBy", .text).notNull()
                t.column("assignedAt", .datetime).notNull()
                t.uniqueKey(["file", "targetKind", "target"])
            }
        }
    }

    /// The single-machine twin of PostgreSQL's migration 11 (model-assignment-role): an
    /// assignment's role, `active` for every one made before; one shadow per target.
    static func registerModelAssignmentRoleMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v11-model-assignment-role") { db in
            try db.alter(table: "modelAssignment") { t in
                t.add(column: "role", .text).notNull().defaults(to: "active").check(sql: "role IN ('active', 'shadow')")
            }
            try db.execute(sql: "CREATE UNIQUE INDEX modelAssignmentShadow ON modelAssignment (targetKind, target) WHERE role = 'shadow'")
        }
    }

    public func assignModel(_ assignment: ModelAssignment) async throws(HubError) -> ModelAssignment {
        try await blocking {
            try self.run("assigning \(assignment.file) to \(assignment.target.description)") { db in
                let held = try Self.modelAssignments(
                    db, where: "WHERE targetKind = ? AND target = ?", [assignment.target.kind, assignment.target.text])
                if let conflict = assignment.conflict(with: held) { throw conflict }
                let id = try Int64.fetchOne(db, sql: """
                    INSERT INTO modelAssignment (file, size, sha256, targetKind, target, role, assignedBy, assignedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (file, targetKind, target) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256,
                        assignedBy = excluded.assignedBy, assignedAt = excluded.assignedAt
                    RETURNING id
                    """, arguments: [
                        assignment.file, assignment.size, assignment.sha256, assignment.target.kind, assignment.target.text,
                        assignment.role.rawValue, assignment.assignedBy, assignment.assignedAt,
                    ])
                guard let id else { throw HubError(.storage, "assigning \(assignment.file): the database returned no id") }
                var stored = assignment
                stored.id = id
                try Self.insertAudit(stored.auditEntry(ConsoleAuditEntry.Action.modelAssigned, by: stored.assignedBy, at: stored.assignedAt), db)
                return stored
            }
        }
    }

    public func unassignModel(id: Int64, by actor: String, at: Date) async throws(HubError) -> ModelAssignment? {
        try await blocking {
            try self.run("taking back model assignment \(id)") { db in
                guard let assignment = try Self.modelAssignments(db, where: "WHERE id = ?", [id]).first else { return nil }
                try db.execute(sql: "DELETE FROM modelAssignment WHERE id = ?", arguments: [id])
                try Self.insertAudit(assignment.auditEntry(ConsoleAuditEntry.Action.modelUnassigned, by: actor, at: at), db)
                return assignment
            }
        }
    }

    public func modelAssignments() async throws(HubError) -> [ModelAssignment] {
        try await blocking {
            try self.run("reading model assignments") { db in try Self.modelAssignments(db, where: "", []) }
        }
    }

    public func modelAssignments(device: String) async throws(HubError) -> [ModelAssignment] {
        try await blocking {
            // One read transaction: the institution and the assignments as of one moment.
            try self.run("reading the packages assigned to \(device)") { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT region, name, taxID, oid FROM deviceInstitution WHERE device = ?", arguments: [device])
                else { return [] }
                let institution = DeviceInstitution(region: row["region"], name: row["name"], taxID: row["taxID"], oid: row["oid"])
                return try Self.modelAssignments(db, where: "", []).filter { $0.target.reaches(institution) }
            }
        }
    }

    private static func modelAssignments(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [ModelAssignment] {
        try Row.fetchAll(db, sql: """
            SELECT id, file, size, sha256, targetKind, target, role, assignedBy, assignedAt FROM modelAssignment \(condition) ORDER BY file, id
            """, arguments: arguments).map {
            ModelAssignment(
                id: $0["id"], file: $0["file"], size: $0["size"], sha256: $0["sha256"],
                target: try ModelAssignment.Target(kind: $0["targetKind"], text: $0["target"]), role: try ModelAssignment.Role(stored: $0["role"]),
                assignedBy: $0["assignedBy"],
                assignedAt: $0["assignedAt"])
        }
    }
}

import Foundation
import GRDB

extension HubStore {
    /// The single-machine twin of PostgreSQL's migration 8 (os-assignment).
    static func registerOSAssignmentMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8-os-assignment") { db in
            try db.create(table: "osAssignment") { t in
                t.primaryKey("device", .text)
                t.column("file", .text).notNull()
                t.column("version", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("assignedBy", .text).notNull()
                t.column("assignedAt", .datetime).notNull()
            }
        }
    }

    public func assignOSBundle(_ assignment: OSBundleAssignment, device: String) async throws(HubError) {
        try await blocking {
            try self.run("assigning an OS bundle to \(device)") { db in
                try db.execute(sql: """
                    INSERT INTO osAssignment (device, file, version, size, sha256, assignedBy, assignedAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (device) DO UPDATE SET file = excluded.file, version = excluded.version, size = excluded.size,
                        sha256 = excluded.sha256, assignedBy = excluded.assignedBy, assignedAt = excluded.assignedAt
                    """, arguments: [
                        device, assignment.file, assignment.version, assignment.size, assignment.sha256, assignment.assignedBy,
                        assignment.assignedAt,
                    ])
                try Self.insertAudit(
                    assignment.auditEntry(ConsoleAuditEntry.Action.osBundleAssigned, device: device, by: assignment.assignedBy, at: assignment.assignedAt), db)
            }
        }
    }

    public func unassignOSBundle(device: String, by actor: String, at: Date) async throws(HubError) -> OSBundleAssignment? {
        try await blocking {
            try self.run("taking back \(device)'s OS bundle") { db in
                guard let assignment = try Self.osAssignment(device: device, db) else { return nil }
                try db.execute(sql: "DELETE FROM osAssignment WHERE device = ?", arguments: [device])
                try Self.insertAudit(assignment.auditEntry(ConsoleAuditEntry.Action.osBundleUnassigned, device: device, by: actor, at: at), db)
                return assignment
            }
        }
    }

    public func osAssignment(device: String) async throws(HubError) -> OSBundleAssignment? {
        try await blocking {
            try self.run("reading \(device)'s OS bundle") { db in try Self.osAssignment(device: device, db) }
        }
    }

    private static func osAssignment(device: String, _ db: Database) throws -> OSBundleAssignment? {
        try Row.fetchOne(
            db, sql: "SELECT file, version, size, sha256, assignedBy, assignedAt FROM osAssignment WHERE device = ?", arguments: [device]
        ).map {
            OSBundleAssignment(
                file: $0["file"], version: $0["version"], size: $0["size"], sha256: $0["sha256"], assignedBy: $0["assignedBy"],
                assignedAt: $0["assignedAt"])
        }
    }
}

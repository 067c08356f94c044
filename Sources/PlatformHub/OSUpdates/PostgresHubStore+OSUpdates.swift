import Foundation
import PostgresNIO

extension PostgresHubStore {
    /// Migration 8: the OS bundle each device is to install, as the operator assigned it. A
    /// table of its own: a device may be named before it first calls.
    static let osAssignmentMigration = Migration(version: 8, name: "os-assignment", statements: [
        """
        CREATE TABLE os_assignment (
            device text PRIMARY KEY,
            file text NOT NULL,
            version text NOT NULL,
            size bigint NOT NULL CHECK (size >= 0),
            sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
            assigned_by text NOT NULL,
            assigned_at timestamptz NOT NULL
        )
        """,
    ])

    public func assignOSBundle(_ assignment: OSBundleAssignment, device: String) async throws(HubError) {
        let logger = logger
        try await transaction("assigning an OS bundle to \(device)") { connection in
            try await connection.query("""
                INSERT INTO os_assignment (device, file, version, size, sha256, assigned_by, assigned_at)
                VALUES (\(device), \(assignment.file), \(assignment.version), \(assignment.size), \(assignment.sha256),
                    \(assignment.assignedBy), \(assignment.assignedAt))
                ON CONFLICT (device) DO UPDATE SET file = EXCLUDED.file, version = EXCLUDED.version, size = EXCLUDED.size,
                    sha256 = EXCLUDED.sha256, assigned_by = EXCLUDED.assigned_by, assigned_at = EXCLUDED.assigned_at
                """, logger: logger)
            try await Self.insertAudit(
                assignment.auditEntry(ConsoleAuditEntry.Action.osBundleAssigned, device: device, by: assignment.assignedBy, at: assignment.assignedAt),
                connection: connection, logger: logger)
        }
    }

    public func unassignOSBundle(device: String, by actor: String, at: Date) async throws(HubError) -> OSBundleAssignment? {
        let logger = logger
        return try await transaction("taking back \(device)'s OS bundle") { connection in
            let deleted = try await connection.query("""
                DELETE FROM os_assignment WHERE device = \(device) RETURNING file, version, size, sha256, assigned_by, assigned_at
                """, logger: logger)
            guard let assignment = try await Self.assignments("taking back \(device)'s OS bundle", deleted).first else { return nil }
            try await Self.insertAudit(
                assignment.auditEntry(ConsoleAuditEntry.Action.osBundleUnassigned, device: device, by: actor, at: at), connection: connection, logger: logger)
            return assignment
        }
    }

    public func osAssignment(device: String) async throws(HubError) -> OSBundleAssignment? {
        let rows = try await statement(
            "reading \(device)'s OS bundle",
            "SELECT file, version, size, sha256, assigned_by, assigned_at FROM os_assignment WHERE device = \(device)")
        return try await Self.assignments("reading \(device)'s OS bundle", rows).first
    }

    private static func assignments<S: AsyncSequence>(_ action: String, _ rows: S) async throws(HubError) -> [OSBundleAssignment] where S.Element == PostgresRow {
        try await collect(action, rows.decode((String, String, Int64, String, String, Date).self)).map {
            OSBundleAssignment(file: $0.0, version: $0.1, size: $0.2, sha256: $0.3, assignedBy: $0.4, assignedAt: $0.5)
        }
    }
}

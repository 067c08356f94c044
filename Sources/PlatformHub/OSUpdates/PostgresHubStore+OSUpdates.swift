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
        _ = try await statement("assigning an OS bundle to \(device)", """
            INSERT INTO os_assignment (device, file, version, size, sha256, assigned_by, assigned_at)
            VALUES (\(device), \(assignment.file), \(assignment.version), \(assignment.size), \(assignment.sha256),
                \(assignment.assignedBy), \(assignment.assignedAt))
            ON CONFLICT (device) DO UPDATE SET file = EXCLUDED.file, version = EXCLUDED.version, size = EXCLUDED.size,
                sha256 = EXCLUDED.sha256, assigned_by = EXCLUDED.assigned_by, assigned_at = EXCLUDED.assigned_at
            """)
    }

    public func osAssignment(device: String) async throws(HubError) -> OSBundleAssignment? {
        let rows = try await statement(
            "reading \(device)'s OS bundle",
            "SELECT file, version, size, sha256, assigned_by, assigned_at FROM os_assignment WHERE device = \(device)")
        return try await Self.collect(
            "reading \(device)'s OS bundle", rows.decode((String, String, Int64, String, String, Date).self)
        ).first.map { OSBundleAssignment(file: $0.0, version: $0.1, size: $0.2, sha256: $0.3, assignedBy: $0.4, assignedAt: $0.5) }
    }
}

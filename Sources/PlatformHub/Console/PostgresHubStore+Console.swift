import Foundation
import Logging
import PostgresNIO

extension PostgresHubStore {
    /// Migration 6: the console's operator accounts and the audit of every change made through
    /// the console or the operator's commands (append-only: the hub never updates or deletes it).
    static let consoleMigration = Migration(version: 6, name: "console-operators-audit", statements: [
        """
        CREATE TABLE console_operator (
            name text PRIMARY KEY,
            role text NOT NULL CONSTRAINT console_operator_role CHECK (role IN ('viewer', 'operator', 'admin')),
            password_hash text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE console_audit (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL,
            action text NOT NULL,
            subject text NOT NULL,
            detail text
        )
        """,
    ])

    public func addOperator(_ account: ConsoleOperator, audit: ConsoleAuditEntry) async throws(HubError) {
        let logger = logger
        let hash = try account.encodedHash()
        try await transaction("adding operator \(account.name)") { connection in
            let inserted = try await connection.query("""
                INSERT INTO console_operator (name, role, password_hash) VALUES (\(account.name), \(account.role.rawValue), \(hash))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """, logger: logger)
            guard try await Self.collect("adding operator \(account.name)", inserted.decode(String.self)).count == 1 else {
                throw HubError(.conflict, "operator \(account.name) already exists")
            }
            try await Self.insertAudit(audit, connection: connection, logger: logger)
        }
    }

    public func operators() async throws(HubError) -> [ConsoleOperator] {
        let rows = try await statement("reading operators", "SELECT name, role, password_hash, created_at FROM console_operator ORDER BY name")
        return try await Self.operators(rows)
    }

    public func consoleOperator(name: String) async throws(HubError) -> ConsoleOperator? {
        let rows = try await statement("reading operator \(name)", """
            SELECT name, role, password_hash, created_at FROM console_operator WHERE name = \(name)
            """)
        return try await Self.operators(rows).first
    }

    public func setOperatorRole(name: String, role: OperatorRole, audit: ConsoleAuditEntry) async throws(HubError) {
        let logger = logger
        try await transaction("setting \(name)'s role") { connection in
            let updated = try await connection.query("""
                UPDATE console_operator SET role = \(role.rawValue), updated_at = now() WHERE name = \(name) RETURNING name
                """, logger: logger)
            guard try await Self.collect("setting \(name)'s role", updated.decode(String.self)).count == 1 else {
                throw HubError(.notFound, "no operator \(name)")
            }
            try await Self.requireAnAdmin(connection: connection, logger: logger)
            try await Self.insertAudit(audit, connection: connection, logger: logger)
        }
    }

    public func removeOperator(name: String, audit: ConsoleAuditEntry) async throws(HubError) {
        let logger = logger
        try await transaction("removing operator \(name)") { connection in
            let deleted = try await connection.query("DELETE FROM console_operator WHERE name = \(name) RETURNING name", logger: logger)
            guard try await Self.collect("removing operator \(name)", deleted.decode(String.self)).count == 1 else {
                throw HubError(.notFound, "no operator \(name)")
            }
            try await Self.requireAnAdmin(connection: connection, logger: logger)
            try await Self.insertAudit(audit, connection: connection, logger: logger)
        }
    }

    public func recordAudit(_ entry: ConsoleAuditEntry) async throws(HubError) {
        let logger = logger
        try await transaction("recording \(entry.action) in the audit") { connection in
            try await Self.insertAudit(entry, connection: connection, logger: logger)
        }
    }

    public func auditEntries(limit: Int) async throws(HubError) -> [ConsoleAuditEntry] {
        let rows = try await statement("reading the audit", """
            SELECT at, actor, action, subject, detail FROM console_audit ORDER BY id DESC LIMIT \(limit)
            """)
        return try await Self.collect("reading the audit", rows.decode((Date, String, String, String, String?).self)).map {
            ConsoleAuditEntry(at: $0.0, actor: $0.1, action: $0.2, subject: $0.3, detail: $0.4)
        }
    }

    static func insertAudit(_ entry: ConsoleAuditEntry, connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO console_audit (at, actor, action, subject, detail)
            VALUES (\(entry.at), \(entry.actor), \(entry.action), \(entry.subject), \(entry.detail))
            """, logger: logger)
    }

    /// Inside the transaction that removed or demoted someone: the console must keep an admin.
    /// The lock makes two admins demoting each other at once queue, so one of them stays.
    private static func requireAnAdmin(connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("LOCK TABLE console_operator IN SHARE ROW EXCLUSIVE MODE", logger: logger)
        let admins = try await connection.query("SELECT count(*) FROM console_operator WHERE role = 'admin'", logger: logger)
        guard try await collect("counting admins", admins.decode(Int.self)).first ?? 0 > 0 else {
            throw HubError(.conflict, "that would leave the console without an admin")
        }
    }

    private static func operators(_ rows: AsyncThrowingStream<PostgresRow, any Error>) async throws(HubError) -> [ConsoleOperator] {
        var accounts: [ConsoleOperator] = []
        for (name, role, hash, createdAt) in try await collect("reading operators", rows.decode((String, String, String, Date).self)) {
            guard let role = OperatorRole(rawValue: role) else { throw HubError(.storage, "operator \(name) has an unknown role \(role)") }
            accounts.append(ConsoleOperator(name: name, role: role, passwordHash: try ConsoleOperator.decodeHash(hash, name: name), createdAt: createdAt))
        }
        return accounts
    }
}

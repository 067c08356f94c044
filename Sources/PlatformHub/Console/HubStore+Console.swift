import Foundation
import GRDB

extension HubStore {
    /// The single-machine twin of PostgreSQL's migration 6 (console-operators-audit).
    static func registerConsoleMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6-console-operators-audit") { db in
            try db.create(table: "consoleOperator") { t in
                t.primaryKey("name", .text)
                t.column("role", .text).notNull().check(sql: "role IN ('viewer', 'operator', 'admin')")
                t.column("passwordHash", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "consoleAudit") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .datetime).notNull()
                t.column("actor", .text).notNull()
                t.column("action", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("detail", .text)
            }
        }
    }

    public func addOperator(_ account: ConsoleOperator, audit: ConsoleAuditEntry) async throws(HubError) {
        let hash = try account.encodedHash()
        try await blocking {
            try self.run("adding operator \(account.name)") { db in
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM consoleOperator WHERE name = ?", arguments: [account.name]) == 0 else {
                    throw HubError(.conflict, "operator \(account.name) already exists")
                }
                try db.execute(
                    sql: "INSERT INTO consoleOperator (name, role, passwordHash, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)",
                    arguments: [account.name, account.role.rawValue, hash, account.createdAt, account.createdAt]
                )
                try Self.insertAudit(audit, db)
            }
        }
    }

    public func operators() async throws(HubError) -> [ConsoleOperator] {
        try await readOperators(sql: "SELECT name, role, passwordHash, createdAt FROM consoleOperator ORDER BY name", arguments: [])
    }

    public func consoleOperator(name: String) async throws(HubError) -> ConsoleOperator? {
        try await readOperators(sql: "SELECT name, role, passwordHash, createdAt FROM consoleOperator WHERE name = ?", arguments: [name]).first
    }

    public func setOperatorRole(name: String, role: OperatorRole, audit: ConsoleAuditEntry) async throws(HubError) {
        try await blocking {
            try self.run("setting \(name)'s role") { db in
                try db.execute(sql: "UPDATE consoleOperator SET role = ?, updatedAt = ? WHERE name = ?", arguments: [role.rawValue, Date(), name])
                guard db.changesCount == 1 else { throw HubError(.notFound, "no operator \(name)") }
                try Self.requireAnAdmin(db)
                try Self.insertAudit(audit, db)
            }
        }
    }

    public func removeOperator(name: String, audit: ConsoleAuditEntry) async throws(HubError) {
        try await blocking {
            try self.run("removing operator \(name)") { db in
                try db.execute(sql: "DELETE FROM consoleOperator WHERE name = ?", arguments: [name])
                guard db.changesCount == 1 else { throw HubError(.notFound, "no operator \(name)") }
                try Self.requireAnAdmin(db)
                try Self.insertAudit(audit, db)
            }
        }
    }

    public func recordAudit(_ entry: ConsoleAuditEntry) async throws(HubError) {
        try await blocking {
            try self.run("recording \(entry.action) in the audit") { db in try Self.insertAudit(entry, db) }
        }
    }

    public func auditEntries(limit: Int) async throws(HubError) -> [ConsoleAuditEntry] {
        try await blocking {
            try self.run("reading the audit") { db in
                try Row.fetchAll(db, sql: "SELECT at, actor, action, subject, detail FROM consoleAudit ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                    ConsoleAuditEntry(at: $0["at"], actor: $0["actor"], action: $0["action"], subject: $0["subject"], detail: $0["detail"])
                }
            }
        }
    }

    static func insertAudit(_ entry: ConsoleAuditEntry, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO consoleAudit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            arguments: [entry.at, entry.actor, entry.action, entry.subject, entry.detail]
        )
    }

    /// Inside the write transaction (SQLite serialises writers): the console must keep an admin.
    private static func requireAnAdmin(_ db: Database) throws {
        guard try Int.fetchOne(db, sql: "SELECT count(*) FROM consoleOperator WHERE role = 'admin'") ?? 0 > 0 else {
            throw HubError(.conflict, "that would leave the console without an admin")
        }
    }

    private func readOperators(sql: String, arguments: StatementArguments) async throws(HubError) -> [ConsoleOperator] {
        let rows = try await blocking {
            try self.run("reading operators") { db in
                try Row.fetchAll(db, sql: sql, arguments: arguments).map {
                    (name: $0["name"] as String, role: $0["role"] as String, hash: $0["passwordHash"] as String, createdAt: $0["createdAt"] as Date)
                }
            }
        }
        var accounts: [ConsoleOperator] = []
        for row in rows {
            guard let role = OperatorRole(rawValue: row.role) else { throw HubError(.storage, "operator \(row.name) has an unknown role \(row.role)") }
            accounts.append(ConsoleOperator(name: row.name, role: role, passwordHash: try ConsoleOperator.decodeHash(row.hash, name: row.name), createdAt: row.createdAt))
        }
        return accounts
    }
}

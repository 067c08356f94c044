import ArgumentParser
import BrowserAccess
import Foundation
import PlatformHub

/// `fluorobox-hub operator …`: the console's accounts, from the command line (the first admin
/// is made here). Every change is audited as `cli:$USER`.
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator", abstract: "The console's operator accounts (viewer, operator, admin).",
        subcommands: [Add.self, ListOperators.self, Remove.self, SetRole.self]
    )

    /// Who made a change from the command line, for the audit.
    static var actor: String { "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown") }

    struct StoreChoice: ParsableArguments {
        @Option(help: "Folder of the hub's SQLite store.") var dataDir: String?
        @Option(help: "PostgreSQL of the region (as for serve; or FLUOROBOX_HUB_DATABASE).") var database: String?

        var options: StoreOptions { StoreOptions(dataDir: dataDir, database: database, staging: nil, connections: 2) }
    }

    static func checkName(_ name: String) throws {
        guard ConsoleOperator.isValidName(name) else { throw ValidationError("\"\(name)\" is not an operator name (1 to 64 of letters, digits and ._-)") }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an account; its password is read from standard input with --password-stdin, else made and printed once."
        )

        @Argument(help: "The login name.") var name: String
        @Option(help: "viewer, operator or admin.") var role: OperatorRole
        @Flag(help: "Read the password (one line, at least \(ConsoleOperator.minimumPasswordLength) characters) from standard input.") var passwordStdin = false
        @OptionGroup var store: StoreChoice

        func run() async throws {
            try OperatorCommand.checkName(name)
            var password = RandomToken.password()
            if passwordStdin {
                guard let line = readLine(strippingNewline: true), line.count >= ConsoleOperator.minimumPasswordLength else {
                    throw ValidationError("the password on standard input must be at least \(ConsoleOperator.minimumPasswordLength) characters")
                }
                password = line
            }
            let account = ConsoleOperator(name: name, role: role, passwordHash: try PasswordHash.make(password: password))
            let audit = ConsoleAuditEntry(actor: OperatorCommand.actor, action: ConsoleAuditEntry.Action.operatorAdded, subject: name, detail: "role \(role.rawValue)")
            try await store.options.withStore { store in try await store.addOperator(account, audit: audit) }
            if passwordStdin {
                print("operator \(name) added as \(role.rawValue)")
            } else {
                print(password)
                FileHandle.standardError.write(Data("operator \(name) added as \(role.rawValue); the password above is shown only now\n".utf8))
            }
        }
    }

    struct ListOperators: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every account and its role.")

        @OptionGroup var store: StoreChoice

        func run() async throws {
            let accounts = try await store.options.withStore { store in try await store.operators() }
            let format = ISO8601DateFormatter()
            for account in accounts { print("\(account.name)\t\(account.role.rawValue)\tsince \(format.string(from: account.createdAt))") }
            print("\(accounts.count) operators")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an account (not the last admin); its sessions end at their next request.")

        @Argument(help: "The login name.") var name: String
        @OptionGroup var store: StoreChoice

        func run() async throws {
            try OperatorCommand.checkName(name)
            let audit = ConsoleAuditEntry(actor: OperatorCommand.actor, action: ConsoleAuditEntry.Action.operatorRemoved, subject: name)
            let name = name
            try await store.options.withStore { store in try await store.removeOperator(name: name, audit: audit) }
            print("operator \(name) removed")
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change an account's role (the console keeps at least one admin).")

        @Argument(help: "The login name.") var name: String
        @Argument(help: "viewer, operator or admin.") var role: OperatorRole
        @OptionGroup var store: StoreChoice

        func run() async throws {
            try OperatorCommand.checkName(name)
            let audit = ConsoleAuditEntry(actor: OperatorCommand.actor, action: ConsoleAuditEntry.Action.operatorRoleSet, subject: name, detail: "role \(role.rawValue)")
            let name = name, role = role
            try await store.options.withStore { store in try await store.setOperatorRole(name: name, role: role, audit: audit) }
            print("operator \(name) is now \(role.rawValue)")
        }
    }
}

extension OperatorRole: ExpressibleByArgument {}

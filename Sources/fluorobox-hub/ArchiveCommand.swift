import ArgumentParser
import Foundation
import PlatformHub
import POSIXSupport

/// `fluorobox-hub archive status|retry`: the operator's view of the archive queue.
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "What waits for the image archive, what failed and why; retry failed rows.",
        subcommands: [Status.self, Retry.self]
    )

    /// The region's store; the SQLite store has no archive queue.
    static func withQueue<T: Sendable>(
        database: String?, _ body: @escaping @Sendable (PostgresHubStore) async throws -> T
    ) async throws -> T {
        try await StoreOptions(dataDir: nil, database: database, staging: nil, connections: 2).withStore { store in
            guard let store = store as? PostgresHubStore else {
                throw ValidationError("the archive queue lives in PostgreSQL: name it with --database or \(StoreOptions.databaseVariable)")
            }
            return try await body(store)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rows per state, the oldest waiting, failures with their last error.")

        @Option(help: "PostgreSQL of the region (or FLUOROBOX_HUB_DATABASE).") var database: String?
        @Flag(help: "One JSON object: counts, oldestWaiting, archivedNotReleased, problems.") var json = false

        func run() async throws {
            let status = try await ArchiveCommand.withQueue(database: database) { try await $0.archiveStatus() }
            if json {
                print(String(decoding: try JSONEncoder.compact().encode(status), as: UTF8.self))
                return
            }
            let dates = ISO8601DateFormatter()
            print(["waiting", "sending", "archived", "failed"].map { "\($0) \(status.count($0))" }.joined(separator: "  "))
            if let oldest = status.oldestWaiting {
                print("oldest not archived: queued \(dates.string(from: oldest)) (\(Int(Date().timeIntervalSince(oldest))) s ago)")
            }
            if status.archivedNotReleased > 0 {
                print("archived, staged bytes still kept: \(status.archivedNotReleased)")
            }
            for problem in status.problems {
                let next = problem.nextAttemptAt.map { "next attempt \(dates.string(from: $0))" } ?? "waits for archive retry"
                print("\(problem.state)\t\(problem.device)\t\(problem.key)\tattempts \(problem.attempts)\t\(next)\t\(problem.lastError)")
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make rows due now: one key's, or every failed one.")

        @Option(help: "PostgreSQL of the region (or FLUOROBOX_HUB_DATABASE).") var database: String?
        @Option(help: "The item's key (failed or waiting rows).") var key: String?
        @Option(help: "With --key: only this device's item.") var device: String?
        @Flag(help: "Every failed row.") var failed = false

        func validate() throws {
            guard (key != nil) != failed else { throw ValidationError("name --key KEY or --failed") }
            if device != nil, key == nil { throw ValidationError("--device goes with --key") }
        }

        func run() async throws {
            let (key, device) = (key, device)
            let count = try await ArchiveCommand.withQueue(database: database) { try await $0.retryArchive(key: key, device: device) }
            print("\(count) rows due now")
            if count == 0, key != nil { throw ExitCode(1) }
        }
    }
}

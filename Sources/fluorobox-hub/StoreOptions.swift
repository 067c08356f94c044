import ArgumentParser
import Foundation
import Logging
import PlatformHub
import ServiceLifecycle

/// Which store the command line (or the environment) names: PostgreSQL with `--database`
/// (FLUOROBOX_HUB_DATABASE), else SQLite in `--data-dir`.
struct StoreOptions {
    static let databaseVariable = "FLUOROBOX_HUB_DATABASE"
    static let stagingVariable = "FLUOROBOX_HUB_STAGING"

    var dataDir: String?
    var database: String?
    var staging: String?
    var connections: Int

    init(dataDir: String?, database: String?, staging: String?, connections: Int) {
        let environment = ProcessInfo.processInfo.environment
        self.dataDir = dataDir
        // The environment keeps a password out of `ps`; an option given wins.
        self.database = database ?? environment[Self.databaseVariable].flatMap { $0.isEmpty ? nil : $0 }
        self.staging = staging ?? environment[Self.stagingVariable].flatMap { $0.isEmpty ? nil : $0 }
        self.connections = connections
    }

    /// `serving`: a replica, which needs the staging folder; the operator's commands only read.
    func open(logger: Logger, serving: Bool = true) throws -> any HubStoring {
        if let database {
            guard let staging = staging ?? (serving ? nil : "") else {
                throw ValidationError("--database needs --staging DIR (or \(Self.stagingVariable)): the folder every replica shares for upload parts")
            }
            guard connections >= 2 else { throw ValidationError("--database-connections must be at least 2") }
            var settings = try PostgresHubStore.Settings(url: database, staging: staging)
            settings.maximumConnections = connections
            settings.applicationName = "fluorobox-hub pid \(getpid())"
            return PostgresHubStore(settings: settings, logger: logger)
        }
        guard let dataDir else {
            throw ValidationError("name the store: --data-dir DIR (one SQLite file) or --database postgres://… (or \(Self.databaseVariable))")
        }
        return try HubStore(directory: dataDir)
    }

    /// Opens the store, runs its services for the length of `body` (a one-off command that
    /// reads: it migrates nothing and needs no staging folder), stops.
    func withStore<T: Sendable>(_ body: @escaping @Sendable (any HubStoring) async throws -> T) async throws -> T {
        var logger = Logger(label: "fluorobox-hub")
        logger.logLevel = .warning
        let store = try open(logger: logger, serving: false)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            for service in store.services {
                group.addTask {
                    try await service.run()
                    return nil
                }
            }
            defer { group.cancelAll() }
            return try await body(store)
        }
    }
}

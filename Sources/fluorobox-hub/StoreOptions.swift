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

    /// Opens the store, runs its services for the length of `body`, stops. A one-off command
    /// needs no staging folder; it brings the schema up to date (under the migration lock, so
    /// beside running replicas too), because an operator may make tokens before the first start.
    func withStore<T: Sendable>(_ body: @escaping @Sendable (any HubStoring) async throws -> T) async throws -> T {
        var logger = Logger(label: "fluorobox-hub")
        logger.logLevel = .warning
        let store = try open(logger: logger, serving: false)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            // The body leases a connection only once every service has entered `run()`: the
            // pool warns about a lease before its run, and a one-off command prints only its answer.
            let (started, starting) = AsyncStream.makeStream(of: Void.self)
            for service in store.services {
                group.addTask {
                    starting.yield()
                    try await service.run()
                    return nil
                }
            }
            var waiting = store.services.count
            var signals = started.makeAsyncIterator()
            while waiting > 0, await signals.next() != nil { waiting -= 1 }
            defer { group.cancelAll() }
            try await store.prepareSchema()
            return try await body(store)
        }
    }
}

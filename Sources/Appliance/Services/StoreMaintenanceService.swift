import Logging
import POSIXSupport
import ServiceLifecycle
import StudyStore

/// Runs the retention pass on a timer: evicts synced blobs below the soft limit and logs the
/// storage level when it changes.
public struct StoreMaintenanceService: Service {
    let store: StudyStore
    let interval: Duration
    let gate: ReadinessGate
    let logger: Logger

    public init(store: StudyStore, interval: Duration, gate: ReadinessGate, logger: Logger) {
        self.store = store
        self.interval = interval
        self.gate = gate
        self.logger = logger
    }

    public static let name = "maintenance"

    public func run() async throws {
        await gate.ready(Self.name)
        try? await cancelWhenGracefulShutdown {
            while true {
                do {
                    try await BlockingIO.run {
                        _ = try store.enforceRetention()
                        try store.enforceQuarantineBounds()
                    }
                } catch {
                    logger.error("retention pass failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}

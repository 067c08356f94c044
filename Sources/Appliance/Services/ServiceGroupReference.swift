import ServiceLifecycle
import Synchronization

/// Lets a service (the panel's restart button) reach the group that runs it, which is made after
/// the services. A restart is a graceful stop of the group with a request noted here; the agent
/// then builds and runs a fresh group in the same process (the store and its lock stay open).
final class ServiceGroupReference: Sendable {
    private let stored = Mutex<ServiceGroup?>(nil)
    private let restartRequested = Mutex(false)
    private let stopRequested = Mutex(false)

    var group: ServiceGroup? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }

    /// Stops the running group gracefully and asks the agent to start its services again.
    func requestRestart() async {
        restartRequested.withLock { $0 = true }
        await group?.triggerGracefulShutdown()
    }

    /// True while a requested restart is under way (systemd hears RELOADING, not STOPPING).
    var isRestarting: Bool { restartRequested.withLock { $0 } }

    /// SIGTERM or SIGINT: stop for good, even when a restart is under way (the signal may come
    /// between two groups, when no group is there to hear it).
    func requestStop() async {
        stopRequested.withLock { $0 = true }
        await group?.triggerGracefulShutdown()
    }

    /// Whether to run the services again: a restart was requested since the last call and no
    /// stop was; clears the request.
    func takeRestartRequest() -> Bool {
        let restart = restartRequested.withLock { requested in
            defer { requested = false }
            return requested
        }
        return restart && !stopRequested.withLock { $0 }
    }
}

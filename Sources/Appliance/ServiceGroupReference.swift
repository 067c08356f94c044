import ServiceLifecycle
import Synchronization

/// Lets a service (the panel's restart button) reach the group that runs it, which is made after
/// the services. A restart is a graceful stop; the supervisor (systemd, Restart=always) starts
/// the agent again.
final class ServiceGroupReference: Sendable {
    private let stored = Mutex<ServiceGroup?>(nil)

    var group: ServiceGroup? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}

import Synchronization

/// Counts the kernel's address and route changes; sync compares counts to notice a new link.
/// It also tells the watching thread when to end: the sync service that owns it stops it when
/// it stops, so no thread and no netlink socket outlive their service.
public final class LinkChangeCounter: Sendable {
    private let count = Mutex(0)
    private let stopRequested = Atomic(false)
    private let watching = Atomic(false)

    public init() {}

    public var value: Int { count.withLock { $0 } }

    public func increment() {
        count.withLock { $0 += 1 }
    }

    /// Asks the watcher to end; it notices within its socket's read timeout (1 s).
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
    }

    var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    /// Whether a thread still watches for this counter.
    public var isWatching: Bool { watching.load(ordering: .acquiring) }

    func setWatching(_ value: Bool) {
        watching.store(value, ordering: .releasing)
    }
}

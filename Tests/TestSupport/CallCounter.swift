import Synchronization

/// Counts calls of a hook that stands in for something a test cannot let happen (a reboot).
public final class CallCounter: Sendable {
    private let count = Mutex(0)

    public init() {}

    public func call() {
        count.withLock { $0 += 1 }
    }

    public var calls: Int { count.withLock { $0 } }
}

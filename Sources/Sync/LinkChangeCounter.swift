import Synchronization

/// Counts the kernel's address and route changes; sync compares counts to notice a new link.
public final class LinkChangeCounter: Sendable {
    private let count = Mutex(0)

    public init() {}

    public var value: Int { count.withLock { $0 } }

    public func increment() {
        count.withLock { $0 += 1 }
    }
}

/// Collects "I am up" from each service so readiness is announced only when all are serving.
public actor ReadinessGate {
    private var pending: Set<String>
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(expecting names: Set<String>) {
        pending = names
    }

    public func ready(_ name: String) {
        pending.remove(name)
        if pending.isEmpty {
            let resumed = waiters
            waiters.removeAll()
            for waiter in resumed { waiter.resume() }
        }
    }

    public var isReady: Bool { pending.isEmpty }

    public func waitUntilReady() async {
        if pending.isEmpty { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}

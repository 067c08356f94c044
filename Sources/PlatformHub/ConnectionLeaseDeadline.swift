import Synchronization

/// Who won the race between a pooled connection arriving and the wait for it running out: once
/// one side has won, the other sees it and stands down (a connection that comes late is handed
/// back unused; a deadline that passes after the lease does nothing).
final class ConnectionLeaseDeadline: Sendable {
    private enum State { case waiting, leased, expired }
    private let state = Mutex(State.waiting)

    /// The connection arrived: true when it is in time and the body may run.
    func lease() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = .leased
            return true
        }
    }

    /// The wait ran out: true when no connection came before it.
    func expire() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = .expired
            return true
        }
    }
}

import POSIXSupport

/// Runs the deliberately slow PBKDF2 checks on threads of their own (BlockingIO), at most
/// `concurrentChecks` at once and `waitingChecks` waiting; more are turned away at once. A login
/// flood therefore costs at most `concurrentChecks` threads and never occupies the pooled threads
/// the agent's watchdog ping, /healthz and intake (or the hub's device API) run on.
public actor PasswordChecker {
    private enum State {
        case idle
        /// `running` checks hold a slot; `waiting` wait for one, oldest first.
        case busy(running: Int, waiting: [CheckedContinuation<Void, Never>])
    }

    public let concurrentChecks: Int
    public let waitingChecks: Int
    /// The blocking check itself; PBKDF2 unless a test gives one it can hold and release.
    private let check: @Sendable (String, PasswordHash?) -> Bool
    private var state = State.idle

    public init(concurrentChecks: Int = 2, waitingChecks: Int = 8,
         check: @escaping @Sendable (String, PasswordHash?) -> Bool = { password, hash in hash?.matches(password) ?? false }) {
        self.concurrentChecks = max(1, concurrentChecks)
        self.waitingChecks = max(0, waitingChecks)
        self.check = check
    }

    /// Whether `password` matches `hash` (false without a hash); nil when too many checks are
    /// already running and waiting.
    public func matches(_ password: String, hash: PasswordHash?) async -> Bool? {
        guard await takeSlot() else { return nil }
        let check = check
        let matches = (try? await BlockingIO.run { check(password, hash) }) ?? false
        releaseSlot()
        return matches
    }

    /// Checks holding a slot now.
    public var runningChecks: Int {
        if case .busy(let running, _) = state { return running }
        return 0
    }

    /// Checks waiting for a slot now.
    public var waitingCount: Int {
        if case .busy(_, let waiting) = state { return waiting.count }
        return 0
    }

    private func takeSlot() async -> Bool {
        switch state {
        case .idle:
            state = .busy(running: 1, waiting: [])
            return true
        case .busy(let running, let waiting):
            if running < concurrentChecks {
                state = .busy(running: running + 1, waiting: waiting)
                return true
            }
            guard waiting.count < waitingChecks else { return false }
            // The slot is handed over by releaseSlot(), which keeps `running` as it is.
            await withCheckedContinuation { continuation in
                state = .busy(running: running, waiting: waiting + [continuation])
            }
            return true
        }
    }

    private func releaseSlot() {
        guard case .busy(let running, var waiting) = state else { return }
        if waiting.isEmpty {
            state = running > 1 ? .busy(running: running - 1, waiting: []) : .idle
        } else {
            let next = waiting.removeFirst()
            state = .busy(running: running, waiting: waiting)
            next.resume()
        }
    }
}

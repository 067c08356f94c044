import Foundation

/// One logged-in browser: who (`principal`: the panel's role, the console's operator name), the
/// CSRF token its forms carry, when it was last seen.
public struct BrowserSession<Principal: Sendable & Hashable>: Sendable, Hashable {
    public let token: String
    public let principal: Principal
    /// Every form carries it; a POST without it is refused.
    public let csrfToken: String
    public var lastSeen: Date
}

/// Sessions in memory and the login throttle. The agent keeps one across a restart of its
/// services, so the technician stays logged in and a throttled address stays throttled; a new
/// process logs everyone out.
public actor SessionStore<Principal: Sendable & Hashable> {
    private let idleSeconds: Double
    private var sessions: [String: BrowserSession<Principal>] = [:]
    private var throttle: LoginThrottle
    private let checker: PasswordChecker
    /// The time the throttle and session expiry go by; tests pass one they move themselves.
    private let now: @Sendable () -> Date

    /// `lockoutAttempts` wrong passwords per client address are free, then a wait of
    /// `firstDelaySeconds` doubling up to `lockoutSeconds`; at most `concurrentChecks` PBKDF2
    /// checks run at once and `waitingChecks` wait.
    public init(
        idleSeconds: Double, lockoutAttempts: Int, firstDelaySeconds: Double, lockoutSeconds: Double,
        concurrentChecks: Int, waitingChecks: Int, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        now = clock
        self.idleSeconds = idleSeconds
        throttle = LoginThrottle(freeAttempts: lockoutAttempts, firstDelay: firstDelaySeconds, maximumDelay: lockoutSeconds)
        checker = PasswordChecker(concurrentChecks: concurrentChecks, waitingChecks: waitingChecks)
    }

    public enum LoginOutcome: Sendable {
        case success(BrowserSession<Principal>)
        /// `remaining`: wrong passwords this address may still try before it has to wait.
        case wrongPassword(remaining: Int)
        /// This address tried too often; it may try again after `wait` seconds.
        case throttled(wait: Double)
        /// Too many logins are being checked at once; try again in a moment.
        case busy
    }

    /// Checks a password from `client` against `hash` (nil: no such account, always wrong)
    /// unless that address is held back or the checker is full; the PBKDF2 work runs on the
    /// checker's own queue.
    public func logIn(as principal: Principal, password: String, hash: PasswordHash?, client: ClientAddress) async -> LoginOutcome {
        let started = now()
        if case .refused(let until) = throttle.admit(client, now: started) { return .throttled(wait: until.timeIntervalSince(started)) }
        guard let matches = await checker.matches(password, hash: hash) else {
            throttle.abandon(client, now: now())
            return .busy
        }
        let finished = now()
        throttle.finish(client, succeeded: matches, now: finished)
        guard matches else {
            return .wrongPassword(remaining: max(0, throttle.freeAttempts - throttle.failures(client)))
        }
        let session = BrowserSession(token: RandomToken.make(), principal: principal, csrfToken: RandomToken.make(), lastSeen: finished)
        sessions[session.token] = session
        return .success(session)
    }

    /// The live session for a cookie value, refreshed.
    public func session(token: String) -> BrowserSession<Principal>? {
        let current = now()
        guard var session = sessions[token] else { return nil }
        if current.timeIntervalSince(session.lastSeen) > idleSeconds {
            sessions[token] = nil
            return nil
        }
        session.lastSeen = current
        sessions[token] = session
        return session
    }

    public func logOut(token: String) {
        sessions[token] = nil
    }

    /// Ends every session of `principal` (an account removed).
    public func logOut(principal: Principal) {
        sessions = sessions.filter { $0.value.principal != principal }
    }

    public var count: Int { sessions.count }
}

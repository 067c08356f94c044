import Foundation

/// One logged-in browser.
public struct PanelSession: Sendable, Hashable {
    public let token: String
    public let role: PanelRole
    /// Every form carries it; a POST without it is refused.
    public let csrfToken: String
    public var lastSeen: Date
}

/// Sessions in memory and the login throttle. The agent keeps one across a restart of its
/// services, so the technician stays logged in and a throttled address stays throttled; a new
/// process logs everyone out.
public actor SessionStore {
    private let idleSeconds: Double
    private var sessions: [String: PanelSession] = [:]
    private var throttle: LoginThrottle
    private let checker: PasswordChecker
    /// The time the throttle and session expiry go by; tests pass one they move themselves.
    private let now: @Sendable () -> Date

    public init(settings: PanelSettings, clock: @escaping @Sendable () -> Date = { Date() }) {
        now = clock
        idleSeconds = settings.sessionIdleSeconds
        throttle = LoginThrottle(
            freeAttempts: settings.lockoutAttempts, firstDelay: settings.loginFirstDelaySeconds, maximumDelay: settings.lockoutSeconds
        )
        checker = PasswordChecker(concurrentChecks: settings.concurrentPasswordChecks, waitingChecks: settings.waitingPasswordChecks)
    }

    enum LoginOutcome: Sendable {
        case success(PanelSession)
        /// `remaining`: wrong passwords this address may still try before it has to wait.
        case wrongPassword(remaining: Int)
        /// This address tried too often; it may try again after `wait` seconds.
        case throttled(wait: Double)
        /// Too many logins are being checked at once; try again in a moment.
        case busy
    }

    /// Checks a password from `client` against the role's hash unless that address is held back
    /// or the checker is full; the PBKDF2 work runs on the checker's own queue.
    func logIn(role: PanelRole, password: String, hash: PasswordHash?, client: ClientAddress) async -> LoginOutcome {
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
        let session = PanelSession(token: RandomToken.make(), role: role, csrfToken: RandomToken.make(), lastSeen: finished)
        sessions[session.token] = session
        return .success(session)
    }

    /// The live session for a cookie value, refreshed.
    func session(token: String) -> PanelSession? {
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

    func logOut(token: String) {
        sessions[token] = nil
    }

    var count: Int { sessions.count }
}

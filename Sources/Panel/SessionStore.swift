import Foundation

/// One logged-in browser.
public struct PanelSession: Sendable, Hashable {
    public let token: String
    public let role: PanelRole
    /// Every form carries it; a POST without it is refused.
    public let csrfToken: String
    public var lastSeen: Date
}

/// Sessions in memory and the login lockout. The agent keeps one across a restart of its
/// services, so the technician stays logged in and a lockout stays in force; a new process
/// logs everyone out.
public actor SessionStore {
    private enum LockState {
        case open(failures: Int)
        case locked(until: Date)
    }

    private let idleSeconds: Double
    private let lockoutAttempts: Int
    private let lockoutSeconds: Double
    private var sessions: [String: PanelSession] = [:]
    private var locks: [PanelRole: LockState] = [:]

    public init(settings: PanelSettings) {
        idleSeconds = settings.sessionIdleSeconds
        lockoutAttempts = settings.lockoutAttempts
        lockoutSeconds = settings.lockoutSeconds
    }

    enum LoginOutcome: Sendable {
        case success(PanelSession)
        case wrongPassword(remaining: Int)
        case lockedOut(until: Date)
    }

    /// Checks a password against the role's hash unless the role is locked out; the PBKDF2 work
    /// runs off the actor.
    func logIn(role: PanelRole, password: String, hash: PasswordHash?, now: Date = Date()) async -> LoginOutcome {
        if case .locked(let until) = locks[role] {
            if until > now { return .lockedOut(until: until) }
            locks[role] = .open(failures: 0)
        }
        let matches = await Task.detached { hash?.matches(password) ?? false }.value
        if matches {
            locks[role] = .open(failures: 0)
            let session = PanelSession(token: RandomToken.make(), role: role, csrfToken: RandomToken.make(), lastSeen: now)
            sessions[session.token] = session
            return .success(session)
        }
        // The state may have changed while the hash ran.
        if case .locked(let until) = locks[role], until > now { return .lockedOut(until: until) }
        var failures = 0
        if case .open(let count) = locks[role] { failures = count }
        failures += 1
        if failures >= lockoutAttempts {
            let until = now.addingTimeInterval(lockoutSeconds)
            locks[role] = .locked(until: until)
            return .lockedOut(until: until)
        }
        locks[role] = .open(failures: failures)
        return .wrongPassword(remaining: lockoutAttempts - failures)
    }

    /// The live session for a cookie value, refreshed.
    func session(token: String, now: Date = Date()) -> PanelSession? {
        guard var session = sessions[token] else { return nil }
        if now.timeIntervalSince(session.lastSeen) > idleSeconds {
            sessions[token] = nil
            return nil
        }
        session.lastSeen = now
        sessions[token] = session
        return session
    }

    func logOut(token: String) {
        sessions[token] = nil
    }

    var count: Int { sessions.count }
}

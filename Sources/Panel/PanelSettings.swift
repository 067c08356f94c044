/// How the panel is served and how it guards logins (keys `panel.*`).
public struct PanelSettings: Sendable, Hashable {
    public var enabled = true
    /// TCP port; 0 picks a free one (tests).
    public var port = 8080
    public var bindAddress = "0.0.0.0"
    /// A session ends after this many seconds without a request.
    public var sessionIdleSeconds: Double = 8 * 3600
    /// Failed logins (per role) before that role is locked out.
    public var lockoutAttempts = 5
    /// How long a lockout lasts.
    public var lockoutSeconds: Double = 300
    /// Mark cookies Secure: browsers then send them only over HTTPS or to localhost.
    public var secureCookies = true
    /// PBKDF2-HMAC-SHA256 rounds for new password hashes.
    public var passwordHashRounds = 210_000
    /// How long one server-sent event stream lasts before the browser reconnects.
    public var eventStreamSeconds: Double = 300
    /// Seconds between live updates.
    public var eventIntervalSeconds: Double = 2

    public init() {}
}

/// How the panel is served and how it guards logins (keys `panel.*`).
public struct PanelSettings: Sendable, Hashable {
    public var enabled = true
    /// TCP port; 0 picks a free one (tests).
    public var port = 8080
    /// The address asked for; ``listenAddress`` is where the panel really listens.
    public var bindAddress = "0.0.0.0"
    /// PEM files of the panel's certificate (chain) and private key; with both the panel serves
    /// HTTPS only.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Serve plain HTTP on a LAN address too (a trusted bench network); otherwise a panel
    /// without TLS listens on 127.0.0.1 only, whatever ``bindAddress`` says.
    public var plainHTTPOnLAN = false
    /// A session ends after this many seconds without a request.
    public var sessionIdleSeconds: Double = 8 * 3600
    /// Wrong passwords from one client address before it has to wait between attempts.
    public var lockoutAttempts = 5
    /// The first wait after those attempts; it doubles with each further failure up to
    /// ``lockoutSeconds``, the longest.
    public var loginFirstDelaySeconds: Double = 1
    public var lockoutSeconds: Double = 300
    /// Password checks (PBKDF2) run at once, and how many may wait; more are answered 503.
    public var concurrentPasswordChecks = 2
    public var waitingPasswordChecks = 8
    /// Mark cookies Secure: browsers then send them only over HTTPS or to localhost.
    public var secureCookies = true
    /// PBKDF2-HMAC-SHA256 rounds for new password hashes.
    public var passwordHashRounds = 210_000
    /// How long one server-sent event stream lasts before the browser reconnects.
    public var eventStreamSeconds: Double = 300
    /// Seconds between live updates.
    public var eventIntervalSeconds: Double = 2
    /// The box trusts the demo model signing key (`inference.trustDemoKey`, whose private half
    /// is public): every page then says this is a demonstration build, not for clinical use.
    public var trustsDemoModelKey = false
    /// The language of a browser that states none the panel has (no switch cookie, no
    /// Accept-Language it can serve): the box's `language`.
    public var language: PanelLanguage = .en

    public init() {}

    /// True when both TLS files are configured.
    public var servesTLS: Bool { tlsCertificatePath != nil && tlsKeyPath != nil }

    /// Where the panel listens: ``bindAddress`` when it serves HTTPS, when plain HTTP is allowed
    /// on the LAN, or when the address is loopback anyway; otherwise 127.0.0.1.
    public var listenAddress: String {
        servesTLS || plainHTTPOnLAN || Self.isLoopback(bindAddress) ? bindAddress : "127.0.0.1"
    }

    static func isLoopback(_ address: String) -> Bool {
        address == "localhost" || address == "::1" || address.hasPrefix("127.")
    }
}

import BrowserAccess
import Foundation

/// One logged-in browser of the panel: its principal is the role.
public typealias PanelSession = BrowserSession<PanelRole>

extension BrowserSession where Principal == PanelRole {
    public var role: PanelRole { principal }
}

extension SessionStore where Principal == PanelRole {
    /// The panel's sessions and login throttle as `panel.*` configures them.
    public init(settings: PanelSettings, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.init(
            idleSeconds: settings.sessionIdleSeconds, lockoutAttempts: settings.lockoutAttempts,
            firstDelaySeconds: settings.loginFirstDelaySeconds, lockoutSeconds: settings.lockoutSeconds,
            concurrentChecks: settings.concurrentPasswordChecks, waitingChecks: settings.waitingPasswordChecks, clock: clock
        )
    }
}

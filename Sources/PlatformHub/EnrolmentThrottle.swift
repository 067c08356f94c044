import BrowserAccess
import Foundation

/// Refused enrolments counted per client address (the TCP peer, never a header), so that
/// `POST /v1/enrolment`, the one route open to a client without a certificate, cannot be used to
/// guess tokens or to make the hub verify and sign without end. The first `freeAttempts`
/// refusals cost nothing; then the address waits before each further attempt, the wait doubling
/// up to `maximumDelay`, and is answered 429 without any check; an enrolment that succeeds
/// clears the count. Per replica: behind a load balancer in TCP mode every box shares the
/// balancer's address, so a flood of bad tokens delays every box's enrolment by at most
/// `maximumDelay` (the boxes retry), which is the price of a hub that stays up.
actor EnrolmentThrottle {
    struct Limits: Sendable, Hashable {
        var freeAttempts = 10
        var firstDelay = 2.0
        var maximumDelay = 300.0
    }

    enum Admission: Equatable, Sendable {
        case admitted
        /// Whole seconds until the address may try again (at least 1).
        case refused(retryAfterSeconds: Int)
    }

    private var throttle: LoginThrottle
    private let now: @Sendable () -> Date

    init(_ limits: Limits, now: @escaping @Sendable () -> Date = Date.init) {
        throttle = LoginThrottle(freeAttempts: limits.freeAttempts, firstDelay: limits.firstDelay, maximumDelay: limits.maximumDelay)
        self.now = now
    }

    func admit(_ address: ClientAddress) -> Admission {
        let now = now()
        switch throttle.admit(address, now: now) {
        case .admitted:
            return .admitted
        case .refused(let until):
            return .refused(retryAfterSeconds: max(1, Int(until.timeIntervalSince(now).rounded(.up))))
        }
    }

    /// Ends an admitted attempt: refused by the hub's checks (`succeeded` false) or enrolled.
    func finish(_ address: ClientAddress, succeeded: Bool) {
        throttle.finish(address, succeeded: succeeded, now: now())
    }

    /// Ends an admitted attempt the hub could not judge (its database was away): not the
    /// client's failure.
    func abandon(_ address: ClientAddress) {
        throttle.abandon(address, now: now())
    }
}

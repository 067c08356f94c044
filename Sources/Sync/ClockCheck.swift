import Foundation

/// Notices a clock that cannot be right (a dead RTC battery wakes the box in 1970), so sync
/// says so instead of failing in silence. TLS verification is never relaxed for it: with a wrong
/// clock certificates fail to verify, and the status says why.
public enum ClockCheck {
    /// No box runs before this software was written (2026-01-01T00:00:00Z).
    public static let earliestPlausible = Date(timeIntervalSince1970: 1_767_225_600)
    /// How far the box's clock may be from the platform's before it is reported.
    public static let toleratedSkewSeconds: Double = 300

    /// What is wrong with `now`, if anything; `platformTime` from the hello reply when known.
    public static func problem(now: Date = Date(), platformTime: Date? = nil) -> String? {
        let formatter = ISO8601DateFormatter()
        if now < earliestPlausible {
            return "the box's clock says \(formatter.string(from: now)), before this software was written; set the time (NTP, or replace the RTC battery) — TLS certificates will not verify until then"
        }
        if let platformTime, abs(now.timeIntervalSince(platformTime)) > toleratedSkewSeconds {
            return "the box's clock (\(formatter.string(from: now))) is \(Int(abs(now.timeIntervalSince(platformTime)))) s away from the platform's (\(formatter.string(from: platformTime)))"
        }
        return nil
    }
}

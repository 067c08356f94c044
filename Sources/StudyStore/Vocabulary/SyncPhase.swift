/// What one destination's sync worker is doing (run/sync-<destination>.json, the panel,
/// `fluorobox status`); the raw values are the words in those files and pages.
public enum SyncPhase: String, Sendable, Codable, CaseIterable {
    case starting
    /// Asking the platform for the device's certificate (enrolment); the outbox waits.
    case enrolling
    case idle
    case sending
    case backoff
    case paused
    case stopped
}

/// What one destination's sync worker is doing (run/sync-<destination>.json, the panel,
/// `fluorobox status`); the raw values are the words in those files and pages.
public enum SyncPhase: String, Sendable, Codable, CaseIterable {
    case starting
    case idle
    case sending
    case backoff
    case paused
    case stopped
}

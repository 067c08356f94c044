import Foundation

/// What became of one catalog entry (by its SHA-256): activated or refused, and why. Kept in
/// sync/model-updates.json (``RunStateFiles/File/modelUpdates``) so a refused package is not fetched again and status can show it.
public struct ModelUpdateRecord: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable {
        case activated
        case refused
    }

    public var file: String
    public var sha256: String
    public var package: String?
    public var outcome: Outcome
    public var reason: String?
    public var at: Date
}

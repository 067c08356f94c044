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
    /// The step that refused it (``ModelUpdateErrorCode/step``), for the hub's staged rollouts.
    public var code: String?
    /// Installed because the catalog marked it as a roll back.
    public var rollback: Bool?
    public var at: Date

    public init(file: String, sha256: String, package: String?, outcome: Outcome, reason: String?, code: String? = nil, rollback: Bool? = nil, at: Date) {
        self.file = file
        self.sha256 = sha256
        self.package = package
        self.outcome = outcome
        self.reason = reason
        self.code = code
        self.rollback = rollback
        self.at = at
    }
}

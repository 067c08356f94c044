import Foundation

/// What became of one catalog entry (by its SHA-256): activated, designated as a shadow or
/// refused, and why. Kept in sync/model-updates.json (``RunStateFiles/File/modelUpdates``) so a
/// refused package is not fetched again and status can show it; an active entry's record under
/// its SHA-256, a shadow entry's under `shadow:<SHA-256>` (``ModelUpdateService/shadowKey(_:)``),
/// so the same package may be both in turn.
public struct ModelUpdateRecord: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable {
        case activated
        case refused
        /// A shadow entry installed and designated as its task's shadow; nothing activated.
        case shadowed
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
    /// The catalog marked the entry as a shadow (shadowed or refused).
    public var shadow: Bool?
    public var at: Date

    public init(
        file: String, sha256: String, package: String?, outcome: Outcome, reason: String?, code: String? = nil, rollback: Bool? = nil,
        shadow: Bool? = nil, at: Date
    ) {
        self.file = file
        self.sha256 = sha256
        self.package = package
        self.outcome = outcome
        self.reason = reason
        self.code = code
        self.rollback = rollback
        self.shadow = shadow
        self.at = at
    }
}

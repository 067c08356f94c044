import Foundation

/// One change made through the console or the operator's commands: who (`actor`: an operator's
/// name, or `cli:USER` for the command line), what (`action`), to what (`subject`), and details.
/// Kept in the hub's own table, never edited.
public struct ConsoleAuditEntry: Sendable, Hashable, Codable {
    public var at: Date
    public var actor: String
    public var action: String
    public var subject: String
    public var detail: String?

    public init(at: Date = Date(), actor: String, action: String, subject: String, detail: String? = nil) {
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
    }

    /// The actions the console and the commands record.
    public enum Action {
        public static let operatorAdded = "operator.add"
        public static let operatorRemoved = "operator.remove"
        public static let operatorRoleSet = "operator.set-role"
        public static let enrolmentTokenCreated = "enrolment.create"
        public static let deviceRevoked = "device.revoke"
        public static let osBundleAssigned = "device.assign-os"
        public static let osBundleUnassigned = "device.unassign-os"
        public static let modelAssigned = "model.assign"
        public static let modelUnassigned = "model.unassign"
        public static let rolloutStarted = "model.rollout.start"
        public static let rolloutAdvanced = "model.rollout.advance"
        public static let rolloutHalted = "model.rollout.halt"
        public static let rolloutResumed = "model.rollout.resume"
        public static let rolloutAborted = "model.rollout.abort"
        public static let rolloutRolledBack = "model.rollout.rollback"
        public static let screeningImported = "screening.import"
        public static let screeningRemoved = "screening.remove"
        public static let login = "login"
    }

    /// The row of a revocation (`changed` false: the device was already revoked).
    static func deviceRevoked(_ device: String, reason: String?, changed: Bool, by actor: String, at: Date) -> ConsoleAuditEntry {
        ConsoleAuditEntry(
            at: at, actor: actor, action: Action.deviceRevoked, subject: device,
            detail: (changed ? "" : "already revoked; ") + (reason ?? "no reason given")
        )
    }
}

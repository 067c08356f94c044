import Foundation

/// A box's `model-update` document as a staged rollout reads it: what became of one package on
/// one device, and when the hub received it.
public struct ModelUpdateReport: Sendable, Hashable {
    public enum Outcome: String, Sendable {
        case activated
        case refused
    }

    /// Which step refused a package (the document's `code`); older boxes send none, and their
    /// reason's words say it.
    public enum Step: String, Sendable {
        case verification
        case notNewer = "not-newer"
        case referenceCheck = "reference-check"
        case install
    }

    public var device: String
    public var sha256: String
    public var package: String?
    public var outcome: Outcome
    public var step: Step?
    public var reason: String?
    public var rollback: Bool
    public var receivedAt: Date

    /// The document's fields the hub needs; nil for one that does not decode (the hub accepted
    /// it against its schema, so only a body from before a field existed could), and for one
    /// about a shadow entry: a shadow is never activated, so no rollout counts it.
    public init?(device: String, body: [UInt8], receivedAt: Date) {
        struct Document: Decodable {
            var sha256: String
            var package: String?
            var outcome: String
            var code: String?
            var reason: String?
            var rollback: Bool?
            var shadow: Bool?
        }
        guard let document = try? JSONDecoder().decode(Document.self, from: Data(body)), document.shadow != true,
              let outcome = Outcome(rawValue: document.outcome)
        else { return nil }
        self.device = device
        self.sha256 = document.sha256
        self.package = document.package
        self.outcome = outcome
        self.reason = document.reason
        self.rollback = document.rollback ?? false
        self.receivedAt = receivedAt
        if let code = document.code {
            self.step = Step(rawValue: code)
        } else if outcome == .refused, let reason = document.reason {
            // The box's ModelUpdateError descriptions, as boxes without `code` send them.
            self.step = reason.contains("reference check") ? .referenceCheck : reason.contains("not newer") ? .notNewer : .install
        } else {
            self.step = nil
        }
    }

    public init(device: String, sha256: String, package: String?, outcome: Outcome, step: Step?, reason: String?, rollback: Bool = false, receivedAt: Date) {
        self.device = device
        self.sha256 = sha256
        self.package = package
        self.outcome = outcome
        self.step = step
        self.reason = reason
        self.rollback = rollback
        self.receivedAt = receivedAt
    }

    /// The newest report per device.
    static func latest(_ reports: [ModelUpdateReport]) -> [String: ModelUpdateReport] {
        var latest: [String: ModelUpdateReport] = [:]
        for report in reports where latest[report.device].map({ $0.receivedAt <= report.receivedAt }) ?? true {
            latest[report.device] = report
        }
        return latest
    }
}

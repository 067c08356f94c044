import Foundation
import StudyStore

/// What became of one OS bundle the platform assigned (by its SHA-256), kept in
/// sync/os-updates.json (``RunStateFiles/File/osUpdates``): a bundle refused or installed is not
/// fetched again, and an installed one is followed to its first boot (marked good or fell back).
public struct OSBundleUpdateRecord: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable {
        /// In the other slot; it boots at the next reboot the technician or a maintenance window chooses.
        case installed
        /// Refused by `fluorobox os install`'s checks before anything was written.
        case refused
        /// RAUC failed while writing the slot (it stays marked bad).
        case failed
        /// The new slot booted, the agent became ready, and it was marked good.
        case markedGood = "marked-good"
        /// The new slot never became ready within its tries: the box is back on the old slot.
        case fellBack = "fell-back"
    }

    public var file: String
    public var sha256: String
    public var version: String?
    public var slot: String?
    public var outcome: Outcome
    public var reason: String?
    public var at: Date

    public init(file: String, sha256: String, version: String?, slot: String?, outcome: Outcome, reason: String?, at: Date = Date()) {
        self.file = file
        self.sha256 = sha256
        self.version = version
        self.slot = slot
        self.outcome = outcome
        self.reason = reason
        self.at = at
    }
}

extension RunStateFiles {
    /// What became of each OS bundle the platform assigned, by its SHA-256.
    public func osUpdates() -> [String: OSBundleUpdateRecord] {
        read([String: OSBundleUpdateRecord].self, from: .osUpdates) ?? [:]
    }
}

import Foundation

/// The store's side of `fluorobox status`: counts, backlog, storage, recovery and recent errors.
public struct StoreStatus: Sendable, Codable {
    public var studies: Int
    public var instances: Int
    public var instancesByBlobState: [String: Int]
    public var instancesReceivedToday: Int
    public var analysesByStatus: [String: Int]
    /// Pending analyses per task (each task's model reads its own queue).
    public var pendingAnalysesByTask: [String: Int] = [:]
    /// Analyses that failed for good and were not dismissed, newest first (at most 20): each
    /// needs a technician's retry or dismissal.
    public var failedAnalyses: [FailedAnalysis] = []
    /// What quarantine/ holds against its bounds (nil when the folder could not be read).
    public var quarantine: QuarantineSummary? = nil
    public var destinations: [DestinationBacklog]
    public var storage: StorageReport
    public var lastRecovery: AuditEntry?
    /// Warnings and errors of the last 24 hours, newest first (at most 20).
    public var recentProblems: [AuditEntry]
    public var schemaVersion: String
    public var sqliteVersion: String
}

/// Delivery figures for one destination.
public struct DestinationBacklog: Sendable, Codable, Hashable {
    public var destination: String
    public var queued = 0
    public var sending = 0
    public var sent = 0
    public var rejected = 0
    /// Bytes not yet confirmed (queued + sending).
    public var backlogBytes: Int64 = 0
    public var oldestUnsentAt: Date?
    public var lastSentAt: Date?
    public var lastError: String?
    /// Unsent items by kind (a kind this version of sync does not deliver stays here).
    public var unsentByKind: [String: Int] = [:]
    /// Of the queued items, those the receiver stored but has not yet committed to (a `dimse`
    /// destination asked for storage commitment); they are sent again when the wait is over.
    public var awaitingCommitment = 0
    /// Sent items by how the receiver confirmed them, where it says (`storage-commitment`, `c-store`).
    public var sentByConfirmation: [String: Int] = [:]

    public init(destination: String) {
        self.destination = destination
    }
}

/// An audit event as shown to people.
public struct AuditEntry: Sendable, Codable, Hashable {
    public var at: Date
    public var kind: String
    public var severity: AuditSeverity
    public var message: String
}

import Foundation

/// A storage commitment request whose report the modality has not acknowledged yet.
public struct PendingCommitment: Sendable, Hashable {
    public var transactionUID: String
    public var callingAETitle: String
    /// The requested instances as (SOP class UID, SOP instance UID), in request order.
    public var references: [CommittedReference]
    /// Reports tried on a new association so far.
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var receivedAt: Date
}

/// One instance a storage commitment names.
public struct CommittedReference: Sendable, Hashable, Codable {
    public var sopClassUID: String
    public var sopInstanceUID: String

    public init(sopClassUID: String, sopInstanceUID: String) {
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
    }
}

/// What the store holds of one referenced instance, for a storage commitment report.
public enum InstanceHolding: Sendable, Hashable {
    /// A committed row with this SOP class whose blob is on disk: the promise's steps 1 and 2 both done.
    case durable
    /// No instance with this SOP Instance UID.
    case unknown
    /// Held, but only under another SOP class.
    case classConflict(storedClass: String)
    /// Known, but its bytes are no longer (or not) on the box: evicted or missing.
    case notHeld(String)
}

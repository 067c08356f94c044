/// The acknowledgement of an intake: given only after the blob is durable and the transaction
/// holding the instance and its outbox items has committed.
public struct IntakeReceipt: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// A new instance.
        case stored
        /// The same bytes were already stored; nothing new was added.
        case duplicate
        /// A new instance whose SOP Instance UID another instance with different bytes has too;
        /// both are kept and the conflict is in the audit log.
        case storedWithUIDConflict = "stored-uid-conflict"
    }

    public let outcome: Outcome
    public let instanceID: Int64
    public let studyID: Int64
    public let sopInstanceUID: String
    public let studyInstanceUID: String
    public let sha256: String
    public let size: Int64
}

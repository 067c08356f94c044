import Foundation
import GRDB

/// One row of `outboxItem`: one thing to deliver to one destination.
public struct OutboxItemRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "outboxItem"

    public var id: Int64?
    public var destination: Destination
    public var kind: OutboxKind
    /// Never changes across retries and restarts; the receiver deduplicates on it.
    public var idempotencyKey: String
    public var priority: OutboxPriority
    public var instanceID: Int64?
    public var resultID: Int64?
    /// Bytes to send, for backlog figures.
    public var payloadBytes: Int64
    public var state: OutboxState
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var rejectedReason: String?
    public var createdAt: Date
    public var sentAt: Date?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let destination = Column(CodingKeys.destination)
        public static let idempotencyKey = Column(CodingKeys.idempotencyKey)
        public static let instanceID = Column(CodingKeys.instanceID)
        public static let state = Column(CodingKeys.state)
        public static let priority = Column(CodingKeys.priority)
        public static let nextAttemptAt = Column(CodingKeys.nextAttemptAt)
        public static let payloadBytes = Column(CodingKeys.payloadBytes)
        public static let createdAt = Column(CodingKeys.createdAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// The key of an instance: its SOP Instance UID and the SHA-256 of its bytes.
    public static func instanceKey(sopInstanceUID: String, sha256: String) -> String {
        "instance:\(sopInstanceUID):\(sha256)"
    }

    /// The key of a result: study UID, model version and the hash of the result.
    public static func resultKey(studyInstanceUID: String, modelVersion: String, resultHash: String) -> String {
        "result:\(studyInstanceUID):\(modelVersion):\(resultHash)"
    }
}

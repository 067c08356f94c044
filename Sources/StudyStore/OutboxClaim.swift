import Foundation

/// One outbox item taken for delivery (state `sending`), with what is needed to send it.
///
/// A claim that is never settled (the process died) is re-queued by start-up recovery.
public struct OutboxClaim: Sendable, Hashable {
    public var item: OutboxItemRecord
    public var payload: OutboxPayload

    public init(item: OutboxItemRecord, payload: OutboxPayload) {
        self.item = item
        self.payload = payload
    }
}

/// What an outbox item carries, read from the store when it is claimed.
public enum OutboxPayload: Sendable, Hashable {
    /// A stored instance's bytes on disk.
    case blob(OutboxBlob)
    /// A small JSON document held in the database (a result's report).
    case document([UInt8])
    /// The bytes are gone (blob missing or damaged): the item cannot be delivered.
    case unavailable(reason: String)
}

/// A stored instance as sync sends it.
public struct OutboxBlob: Sendable, Hashable {
    /// Absolute path of the blob file.
    public var path: String
    public var size: Int64
    /// Hex SHA-256 of the bytes (also the blob's name).
    public var sha256: String
    public var sopInstanceUID: String
    public var studyInstanceUID: String?
    public var format: BlobFormat

    public init(path: String, size: Int64, sha256: String, sopInstanceUID: String, studyInstanceUID: String?, format: BlobFormat) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.sopInstanceUID = sopInstanceUID
        self.studyInstanceUID = studyInstanceUID
        self.format = format
    }
}

import Foundation
import GRDB

/// One row of `instance`: one stored object and its blob.
public struct InstanceRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "instance"

    public var id: Int64?
    public var studyID: Int64
    public var sopInstanceUID: String
    public var sopClassUID: String?
    public var seriesInstanceUID: String?
    /// True when the box generated the SOP Instance UID (JPEG/PNG input).
    public var uidGenerated: Bool
    /// Hex SHA-256 of the blob; the blob's file name and the deduplication key.
    public var sha256: String
    public var size: Int64
    /// Relative to the data folder, e.g. "blobs/3f/3f9a…".
    public var blobPath: String
    public var blobState: BlobState
    public var format: BlobFormat
    public var transferSyntaxUID: String?
    public var source: IntakeSource
    /// Free text about the source: a file path, a calling AE title, a device.
    public var sourceDetail: String?
    /// Another instance with the same SOP Instance UID but different bytes exists.
    public var uidConflict: Bool
    /// The Patient ID this instance carried when its Study Instance UID already belonged to a
    /// study of another patient (the instance is filed there, flagged, never merged silently).
    public var conflictingPatientID: String? = nil
    /// The instance's own Modality, Series Number and Instance Number: query/retrieve keys at
    /// series and image level (v8; filled at intake, older rows by the backfill).
    public var modality: String? = nil
    public var seriesNumber: String? = nil
    public var instanceNumber: String? = nil
    /// False for rows stored before v8 whose keys the backfill has not read yet.
    public var queryKeysRead: Bool = true
    public var receivedAt: Date
    public var evictedAt: Date?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let studyID = Column(CodingKeys.studyID)
        public static let sopInstanceUID = Column(CodingKeys.sopInstanceUID)
        public static let sha256 = Column(CodingKeys.sha256)
        public static let size = Column(CodingKeys.size)
        public static let blobPath = Column(CodingKeys.blobPath)
        public static let blobState = Column(CodingKeys.blobState)
        public static let receivedAt = Column(CodingKeys.receivedAt)
        public static let evictedAt = Column(CodingKeys.evictedAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

import Foundation
import GRDB

/// One row of `result`: what one analysis produced.
public struct ResultRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "result"

    public var id: Int64?
    public var analysisID: Int64
    public var instanceID: Int64
    /// At least one finding is at or above its threshold: "flagged for review".
    public var flagged: Bool
    /// "ok", or "retake" with reasons in the report.
    public var qualityVerdict: String?
    /// The versioned JSON report.
    public var report: String
    /// Hex SHA-256 of `report`; part of the result's idempotency key.
    public var resultHash: String
    public var createdAt: Date
    /// The instance holding the overlay as a DICOM Secondary Capture (nil when the model was
    /// skipped or no overlay was written). Added by migration v3-analysis.
    public var overlayInstanceID: Int64?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let analysisID = Column(CodingKeys.analysisID)
        public static let instanceID = Column(CodingKeys.instanceID)
        public static let overlayInstanceID = Column(CodingKeys.overlayInstanceID)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

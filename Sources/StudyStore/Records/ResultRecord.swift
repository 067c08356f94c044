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

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let analysisID = Column(CodingKeys.analysisID)
        public static let instanceID = Column(CodingKeys.instanceID)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

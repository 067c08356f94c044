import Foundation
import GRDB

/// One row of `analysis`: one run of one model package (or the quality check) on one instance.
public struct AnalysisRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "analysis"

    public var id: Int64?
    public var instanceID: Int64
    /// What is run, e.g. "quality" or "chest-xray".
    public var task: String
    public var modelID: String?
    public var modelVersion: String?
    public var status: AnalysisStatus
    public var attempts: Int
    public var queuedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var error: String?
    /// When and by whom a failed analysis was dismissed (it then needs nobody's attention).
    public var dismissedAt: Date? = nil
    public var dismissedBy: String? = nil

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let instanceID = Column(CodingKeys.instanceID)
        public static let status = Column(CodingKeys.status)
        public static let startedAt = Column(CodingKeys.startedAt)
        public static let task = Column(CodingKeys.task)
        public static let queuedAt = Column(CodingKeys.queuedAt)
        public static let attempts = Column(CodingKeys.attempts)
        public static let dismissedAt = Column(CodingKeys.dismissedAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

import Foundation
import GRDB

/// One row of `feedback`: a doctor's verdict on what the box flagged (or missed) in a study.
public struct FeedbackRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "feedback"

    /// What the doctor says about the box's reading.
    public enum Verdict: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        case agree
        case disagree
        /// The box did not flag a finding the doctor sees.
        case missed
    }

    public var id: Int64?
    public var studyID: Int64
    /// The result the verdict is about; nil when the study had no result yet.
    public var resultID: Int64?
    public var verdict: Verdict
    public var comment: String?
    /// The panel role that recorded it (doctor).
    public var role: String
    public var createdAt: Date

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let studyID = Column(CodingKeys.studyID)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

import Foundation
import GRDB

/// One row of `study`: a DICOM study, or the study the box makes for a non-DICOM capture.
public struct StudyRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "study"

    public var id: Int64?
    public var studyInstanceUID: String
    /// True when the box generated the UID (non-DICOM input, or a data set without one).
    public var uidGenerated: Bool
    public var patientID: String?
    public var patientName: String?
    public var patientBirthDate: String?
    public var patientSex: String?
    public var studyDate: String?
    public var studyTime: String?
    public var accessionNumber: String?
    public var modality: String?
    public var studyDescription: String?
    public var createdAt: Date
    public var updatedAt: Date

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let studyInstanceUID = Column(CodingKeys.studyInstanceUID)
        public static let createdAt = Column(CodingKeys.createdAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

import Foundation
import GRDB

/// One row of `screeningEntry`: a person due for screening at the box's institution, from the
/// list the platform sends (`GET /v1/devices/{device}/screening-list`). It is a modality
/// worklist item under the hub's Accession Number from `dicom.worklistDays` days before its due
/// date until an instance with that accession arrives (linked). A new list replaces the rows,
/// but a linked row stays (`listed` false once the list no longer holds it).
public struct ScreeningEntryRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "screeningEntry"

    /// Made by the hub, unique in the region.
    public var accessionNumber: String
    public var patientID: String
    /// DICOM person name, `family^given`.
    public var patientName: String
    /// YYYYMMDD.
    public var birthDate: String
    /// M, F or O.
    public var sex: String
    /// YYYYMMDD.
    public var dueDate: String
    public var note: String?
    /// Whether the platform's latest list holds it.
    public var listed: Bool
    public var receivedAt: Date
    /// The instance that arrived with this entry's accession.
    public var linkedInstanceID: Int64?
    public var linkedAt: Date?

    public enum Columns {
        public static let accessionNumber = Column(CodingKeys.accessionNumber)
        public static let dueDate = Column(CodingKeys.dueDate)
        public static let listed = Column(CodingKeys.listed)
        public static let linkedInstanceID = Column(CodingKeys.linkedInstanceID)
        public static let linkedAt = Column(CodingKeys.linkedAt)
    }

    public init(
        accessionNumber: String, patientID: String, patientName: String, birthDate: String, sex: String, dueDate: String, note: String?,
        listed: Bool = true, receivedAt: Date = Date()
    ) {
        self.accessionNumber = accessionNumber
        self.patientID = patientID
        self.patientName = patientName
        self.birthDate = birthDate
        self.sex = sex
        self.dueDate = dueDate
        self.note = note
        self.listed = listed
        self.receivedAt = receivedAt
    }
}

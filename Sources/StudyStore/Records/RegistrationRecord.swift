import Foundation
import GRDB

/// One row of `registration`: the patient the operator registered (panel or `fluorobox
/// register`) for the next USB capture. It is claimed by the capture that uses it, and consumed
/// once that capture is durable.
public struct RegistrationRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "registration"

    public var id: Int64?
    public var patientID: String?
    /// DICOM person name, e.g. "DOE^JANE".
    public var patientName: String?
    /// YYYYMMDD.
    public var patientBirthDate: String?
    /// M, F or O.
    public var patientSex: String?
    public var worklistNote: String?
    public var registeredAt: Date
    /// The SOP Instance UID of the capture being stored with it.
    public var claimedSOPInstanceUID: String?
    public var consumedAt: Date?
    public var cancelledAt: Date?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let claimedSOPInstanceUID = Column(CodingKeys.claimedSOPInstanceUID)
        public static let consumedAt = Column(CodingKeys.consumedAt)
        public static let cancelledAt = Column(CodingKeys.cancelledAt)
    }

    public init(patientID: String?, patientName: String?, patientBirthDate: String?, patientSex: String?, worklistNote: String?, registeredAt: Date = Date()) {
        self.patientID = patientID
        self.patientName = patientName
        self.patientBirthDate = patientBirthDate
        self.patientSex = patientSex
        self.worklistNote = worklistNote
        self.registeredAt = registeredAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

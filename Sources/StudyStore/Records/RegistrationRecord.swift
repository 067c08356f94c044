import Foundation
import GRDB

/// One row of `registration`: the patient the operator registered (panel or `fluorobox
/// register`) for the next USB capture. It is claimed by the capture that uses it, and consumed
/// once that capture is durable. It is also a modality worklist item (its Accession Number),
/// open until an instance with that accession arrives (linked) or it is cancelled.
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
    /// Made by the store when the registration is added: "FB" and the row's number.
    public var accessionNumber: String?
    /// A later registration became the next USB capture's patient; this one stays on the worklist.
    public var supersededAt: Date?
    /// The instance that arrived with this registration's accession.
    public var linkedInstanceID: Int64?
    public var linkedAt: Date?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let claimedSOPInstanceUID = Column(CodingKeys.claimedSOPInstanceUID)
        public static let consumedAt = Column(CodingKeys.consumedAt)
        public static let cancelledAt = Column(CodingKeys.cancelledAt)
        public static let accessionNumber = Column(CodingKeys.accessionNumber)
        public static let supersededAt = Column(CodingKeys.supersededAt)
        public static let linkedInstanceID = Column(CodingKeys.linkedInstanceID)
        public static let registeredAt = Column(CodingKeys.registeredAt)
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

import Crypto
import DICOM
import DICOMNetwork
import Foundation
import POSIXSupport
import StudyStore

/// The modality worklist from the store's registrations: each open registration is one
/// scheduled item (SCHEDULED) with the box's Accession Number; linked, cancelled and
/// registrations older than `dicom.worklistDays` are not listed. Then the people of the
/// platform's screening list due within `dicom.worklistDays` (or overdue) and not yet imaged,
/// each under the hub's accession.
public struct StoreWorklistSource: WorklistSource {
    let store: StudyStore
    let settings: DICOMListenerSettings

    public init(store: StudyStore, settings: DICOMListenerSettings) {
        self.store = store
        self.settings = settings
    }

    public func scheduledItems() async throws -> [WorklistItem] {
        let now = Date()
        let since = now.addingTimeInterval(-Double(settings.worklistDays) * 86_400)
        let dueBy = Self.dateAndTime(now.addingTimeInterval(Double(settings.worklistDays) * 86_400)).0
        let today = Self.dateAndTime(now).0 // once per query, not per entry
        let store = self.store
        let (records, screening) = try await BlockingIO.run {
            (try store.openWorklistItems(registeredSince: since), try store.openScreeningEntries(dueBy: dueBy))
        }
        return records.map { Self.item(for: $0, aeTitle: settings.aeTitle, modality: settings.worklistModality) }
            + screening.map { Self.item(for: $0, aeTitle: settings.aeTitle, modality: settings.worklistModality, today: today) }
    }

    /// The item of a screening entry: the hub's accession as Accession Number, Requested
    /// Procedure ID and step ID; scheduled for `today` (the person may come any day up to and
    /// after the due date, and a modality asks for today's steps); the note, else "Screening
    /// fluorography", as the descriptions.
    public static func item(for entry: ScreeningEntryRecord, aeTitle: String, modality: String, today: String) -> WorklistItem {
        let note = entry.note?.trimmingCharacters(in: .whitespaces) ?? ""
        let description = String((note.isEmpty ? "Screening fluorography" : note).prefix(64))
        let digest = SHA256.hash(data: Array("fluorobox-screening|\(entry.accessionNumber)".utf8))
        return WorklistItem(
            attributes: [
                .accessionNumber: entry.accessionNumber, .patientName: entry.patientName, .patientID: entry.patientID,
                .patientBirthDate: entry.birthDate, .patientSex: entry.sex,
                .studyInstanceUID: DICOMUID.fromUUIDBytes(Array(digest), version: 5),
                WorklistKey.requestedProcedureID: entry.accessionNumber, WorklistKey.requestedProcedureDescription: description,
            ],
            scheduledProcedureStep: [
                WorklistKey.scheduledStationAETitle: aeTitle, WorklistKey.scheduledProcedureStepStartDate: today,
                WorklistKey.scheduledProcedureStepStartTime: "000000", .modality: modality,
                WorklistKey.scheduledProcedureStepID: entry.accessionNumber, WorklistKey.scheduledProcedureStepDescription: description,
                WorklistKey.scheduledProcedureStepStatus: "SCHEDULED",
            ]
        )
    }

    /// The item of a registration. Procedure and step IDs are the accession's: one requested
    /// procedure with one step per registration. The Study Instance UID is name-based on the
    /// accession and registration time, so every query answers the same one.
    public static func item(for record: RegistrationRecord, aeTitle: String, modality: String) -> WorklistItem {
        let accession = record.accessionNumber ?? ""
        // Requested Procedure Description is a type 1 return key (PS3.4 table K.6-1): a
        // registration without a note still names its examination.
        let note = record.worklistNote?.trimmingCharacters(in: .whitespaces) ?? ""
        let description = String((note.isEmpty ? "\(modality) examination" : note).prefix(64))
        let digest = SHA256.hash(data: Array("fluorobox-worklist|\(accession)|\(record.registeredAt.timeIntervalSince1970)".utf8))
        let (date, time) = dateAndTime(record.registeredAt)
        return WorklistItem(
            attributes: [
                .accessionNumber: accession, .patientName: record.patientName ?? "", .patientID: record.patientID ?? "",
                .patientBirthDate: record.patientBirthDate ?? "", .patientSex: record.patientSex ?? "",
                .studyInstanceUID: DICOMUID.fromUUIDBytes(Array(digest), version: 5),
                WorklistKey.requestedProcedureID: accession, WorklistKey.requestedProcedureDescription: description,
            ],
            scheduledProcedureStep: [
                WorklistKey.scheduledStationAETitle: aeTitle, WorklistKey.scheduledProcedureStepStartDate: date,
                WorklistKey.scheduledProcedureStepStartTime: time, .modality: modality,
                WorklistKey.scheduledProcedureStepID: accession, WorklistKey.scheduledProcedureStepDescription: description,
                WorklistKey.scheduledProcedureStepStatus: "SCHEDULED",
            ]
        )
    }

    /// DA and TM of a moment on the box's clock and time zone, as the modality beside it reads them.
    static func dateAndTime(_ date: Date) -> (String, String) {
        let parts = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return (String(format: "%04d", parts.year ?? 0) + two(parts.month) + two(parts.day), two(parts.hour) + two(parts.minute) + two(parts.second))
    }
}

import Crypto
import DICOM
import DICOMNetwork
import Foundation
import POSIXSupport
import StudyStore

/// The modality worklist from the store's registrations: each open registration is one
/// scheduled item (SCHEDULED) with the box's Accession Number; linked, cancelled and
/// registrations older than `dicom.worklistDays` are not listed.
public struct StoreWorklistSource: WorklistSource {
    let store: StudyStore
    let settings: DICOMListenerSettings

    public init(store: StudyStore, settings: DICOMListenerSettings) {
        self.store = store
        self.settings = settings
    }

    public func scheduledItems() async throws -> [WorklistItem] {
        let since = Date().addingTimeInterval(-Double(settings.worklistDays) * 86_400)
        let store = self.store
        let records = try await BlockingIO.run { try store.openWorklistItems(registeredSince: since) }
        return records.map { Self.item(for: $0, aeTitle: settings.aeTitle, modality: settings.worklistModality) }
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

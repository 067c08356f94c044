import Crypto
import DICOM
import Foundation

/// The analysis report as a DICOM Comprehensive SR (PS3.3 A.35.3) following TID 1500
/// "Measurement Report": what a PACS or viewer shows as text beside the image.
///
/// Why TID 1500 in a Comprehensive SR rather than the Chest CAD SR IOD (TID 4100): the Chest
/// CAD templates name findings only from their own context groups (nodules, masses, lesions
/// and the like) and expect a CAD processing summary the box does not have, while a model
/// package names its own findings; TID 1500 takes any finding code, carries a probability as
/// a measurement with the algorithm's identity beside it, and is the template dcmtk, highdicom,
/// OHIF and most viewers read. Comprehensive (not Enhanced) SR because the heat-map peak is
/// a SCOORD that a measurement is inferred from.
///
/// One SR per analysis: its UIDs derive from the source bytes, the model package and the
/// time the analysis was queued, so a re-run of the same analysis after a power cut writes
/// the same bytes and the store takes them as a duplicate.
public struct AnalysisStructuredReport: Sendable {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    public static let seriesDescription = "Fluorobox AI report: flagged for review, not a diagnosis"
    /// A demonstration model's report, in a PACS's series list (LO: at most 64 characters).
    public static let demonstrationSeriesDescription = "DEMONSTRATION model report: not for clinical use"
    static let seriesNumber = "9002"
    static let timezoneOffsetFromUTC = Tag(0x0008, 0x0201)

    /// What the SR says of the image it reports on, besides the patient and study.
    public struct SourceImage: Sendable, Hashable {
        public var sopClassUID: String
        public var seriesInstanceUID: String

        public init(sopClassUID: String, seriesInstanceUID: String) {
            self.sopClassUID = sopClassUID
            self.seriesInstanceUID = seriesInstanceUID
        }
    }

    public let sopInstanceUID: String
    public let seriesInstanceUID: String
    /// The content tree as written (the root container and everything below it).
    public let content: SRContentItem
    public let part10: [UInt8]

    /// `deviceName` names the box as the observer (the device ID); `contentDate` is when the
    /// analysis was queued, the same on every run of it.
    public init(
        subject: OverlaySecondaryCapture.Subject, source: SourceImage, report: AnalysisReport, deviceName: String,
        softwareVersion: String, contentDate: Date
    ) throws(AnalysisError) {
        let seconds = Int64(contentDate.timeIntervalSince1970.rounded(.down))
        func uid(_ purpose: String) -> String {
            let digest = SHA256.hash(data: Array("\(purpose)|\(report.source.sha256)|\(report.model.packageSHA256)|\(seconds)".utf8))
            return DICOMUID.fromUUIDBytes(Array(digest), version: 8)
        }
        sopInstanceUID = uid("report-instance")
        seriesInstanceUID = uid("report-series")
        let image = SRContentItem.Value.image(sopClassUID: source.sopClassUID, sopInstanceUID: subject.sourceSOPInstanceUID)
        content = Self.contentTree(
            report: report, image: image, device: Self.observer(deviceName: deviceName, softwareVersion: softwareVersion),
            trackingUID: { uid("tracking|\($0)") }
        )

        var writer = Part10Writer()
        subject.write(
            into: &writer, sopClassUID: Self.sopClassUID, sopInstanceUID: sopInstanceUID, modality: "SR",
            seriesInstanceUID: seriesInstanceUID, seriesNumber: Self.seriesNumber,
            seriesDescription: report.isDemonstration ? Self.demonstrationSeriesDescription : Self.seriesDescription,
            softwareVersions: "Fluorobox \(softwareVersion); model \(report.model.id) \(report.model.version)"
        )
        let (date, time) = Self.dateAndTime(contentDate)
        writer.set(.contentDate, .DA, date)
        writer.set(.contentTime, .TM, time)
        writer.set(Self.timezoneOffsetFromUTC, .SH, "+0000")
        writer.set(.codingSchemeIdentificationSequence, items: [Self.localSchemeIdentification])
        writer.set(.referencedPerformedProcedureStepSequence, items: [])
        writer.set(.completionFlag, .CS, "COMPLETE")
        writer.set(.verificationFlag, .CS, "UNVERIFIED")
        writer.set(.performedProcedureCodeSequence, items: [])
        writer.set(.currentRequestedProcedureEvidenceSequence, items: [
            Self.evidence(studyInstanceUID: subject.studyInstanceUID, source: source, sopInstanceUID: subject.sourceSOPInstanceUID),
        ])
        content.write(into: &writer)
        do {
            part10 = try writer.part10Bytes()
        } catch {
            throw .output("cannot write the Structured Report: \(error)")
        }
    }

    /// The source image as the SR's evidence: study, series, instance (PS3.3 C.17.2.3).
    static func evidence(studyInstanceUID: String, source: SourceImage, sopInstanceUID: String) -> Part10Writer {
        var instance = Part10Writer()
        instance.set(.referencedSOPClassUID, .UI, source.sopClassUID)
        instance.set(.referencedSOPInstanceUID, .UI, sopInstanceUID)
        var series = Part10Writer()
        series.set(.seriesInstanceUID, .UI, source.seriesInstanceUID)
        series.set(.referencedSOPSequence, items: [instance])
        var study = Part10Writer()
        study.set(.studyInstanceUID, .UI, studyInstanceUID)
        study.set(.referencedSeriesSequence, items: [series])
        return study
    }

    /// The box's own codes (for what PS3.16 has no code) are declared in the Coding Scheme
    /// Identification Sequence, as a private scheme must be (PS3.3 C.12.1.1.5).
    static var localSchemeIdentification: Part10Writer {
        var scheme = Part10Writer()
        scheme.set(.codingSchemeDesignator, .SH, Codes.localScheme)
        scheme.set(.codingSchemeName, .ST, "Fluorobox analysis codes")
        scheme.set(.codingSchemeResponsibleOrganization, .ST, "Fluorobox project")
        return scheme
    }

    static func observer(deviceName: String, softwareVersion: String) -> (name: String, uid: String, model: String) {
        let digest = SHA256.hash(data: Array("fluorobox:device-observer:\(deviceName)".utf8))
        return (deviceName, DICOMUID.fromUUIDBytes(Array(digest), version: 8), "Fluorobox \(softwareVersion)")
    }

    /// DA and TM in UTC (the Timezone Offset From UTC says so).
    static func dateAndTime(_ date: Date) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return (String(format: "%04d", parts.year ?? 1970) + two(parts.month) + two(parts.day), two(parts.hour) + two(parts.minute) + two(parts.second))
    }
}

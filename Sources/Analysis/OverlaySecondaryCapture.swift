import Crypto
import DICOM

/// The overlay as a DICOM Secondary Capture (PS3.3 A.8.1, conversion type WSD) for a PACS: the
/// colour JPEG encapsulated in JPEG Baseline, in the source image's study, in a series of its
/// own, labelled as a second reader's marks.
///
/// Its UIDs derive from the source bytes and the model package, so running the same model on
/// the same image again (after a power cut mid-analysis) produces the same object and the
/// store takes it as a duplicate instead of a second copy.
public struct OverlaySecondaryCapture: Sendable {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.7"
    public static let seriesDescription = "Fluorobox AI overlay: flagged for review, not a diagnosis"
    /// A demonstration model's overlay, in a PACS's series list (LO: at most 64 characters).
    public static let demonstrationSeriesDescription = "DEMONSTRATION model overlay: not for clinical use"
    static let derivationDescription = Tag(0x0008, 0x2111)
    static let imageComments = Tag(0x0020, 0x4000)
    static let planarConfiguration = Tag(0x0028, 0x0006)
    static let lossyImageCompression = Tag(0x0028, 0x2110)
    static let burnedInAnnotation = Tag(0x0028, 0x0301)

    /// The patient and study the overlay belongs to, as the box has them on file.
    public struct Subject: Sendable, Hashable {
        public var studyInstanceUID: String
        public var sourceSOPInstanceUID: String
        public var patientName, patientID, patientBirthDate, patientSex: String?
        public var studyDate, studyTime, accessionNumber: String?

        public init(
            studyInstanceUID: String, sourceSOPInstanceUID: String, patientName: String? = nil, patientID: String? = nil,
            patientBirthDate: String? = nil, patientSex: String? = nil, studyDate: String? = nil, studyTime: String? = nil,
            accessionNumber: String? = nil
        ) {
            self.studyInstanceUID = studyInstanceUID
            self.sourceSOPInstanceUID = sourceSOPInstanceUID
            self.patientName = patientName
            self.patientID = patientID
            self.patientBirthDate = patientBirthDate
            self.patientSex = patientSex
            self.studyDate = studyDate
            self.studyTime = studyTime
            self.accessionNumber = accessionNumber
        }
    }

    public let sopInstanceUID: String
    public let seriesInstanceUID: String
    public let part10: [UInt8]

    /// `overlayJPEG` is the renderer's colour JPEG (YCbCr, chroma subsampled by libjpeg).
    public init(
        overlayJPEG: [UInt8], width: Int, height: Int, subject: Subject, report: AnalysisReport, softwareVersion: String
    ) throws(AnalysisError) {
        guard width > 0, height > 0, width <= Int(UInt16.max), height <= Int(UInt16.max) else {
            throw .output("an overlay of \(width)x\(height) cannot be a DICOM image")
        }
        func uid(_ purpose: String) -> String {
            let digest = SHA256.hash(data: Array("\(purpose)|\(report.source.sha256)|\(report.model.packageSHA256)".utf8))
            return DICOMUID.fromUUIDBytes(Array(digest), version: 8)
        }
        sopInstanceUID = uid("overlay-instance")
        seriesInstanceUID = uid("overlay-series")

        var writer = Part10Writer()
        writer.set(.specificCharacterSet, .CS, "ISO_IR 192")
        writer.set(.imageType, .CS, "DERIVED\\SECONDARY")
        writer.set(.sopClassUID, .UI, Self.sopClassUID)
        writer.set(.sopInstanceUID, .UI, sopInstanceUID)
        writer.set(.studyDate, .DA, subject.studyDate ?? "")
        writer.set(.studyTime, .TM, subject.studyTime ?? "")
        writer.set(.accessionNumber, .SH, subject.accessionNumber ?? "")
        writer.set(.modality, .CS, "OT")
        writer.set(.conversionType, .CS, "WSD")
        writer.set(.manufacturer, .LO, "Fluorobox")
        writer.set(.softwareVersions, .LO, "Fluorobox \(softwareVersion); model \(report.model.id) \(report.model.version)")
        writer.set(.referringPhysicianName, .PN, "")
        let demonstration = report.isDemonstration
        writer.set(.seriesDescription, .LO, demonstration ? Self.demonstrationSeriesDescription : Self.seriesDescription)
        writer.set(
            Self.derivationDescription, .ST,
            "Colour overlay of the regions \(demonstration ? "demonstration " : "")model \(report.model.id) \(report.model.version) flagged for review on image \(subject.sourceSOPInstanceUID); not a diagnosis"
        )
        writer.set(Self.imageComments, .LT, (demonstration ? AnalysisReport.demonstrationNotice + " " : "") + "\(report.summary) \(AnalysisReport.notice)")
        writer.set(.patientName, .PN, subject.patientName ?? "")
        writer.set(.patientID, .LO, subject.patientID ?? "")
        writer.set(.patientBirthDate, .DA, subject.patientBirthDate ?? "")
        writer.set(.patientSex, .CS, subject.patientSex ?? "")
        // libjpeg compresses RGB as YCbCr with subsampled chroma (PS3.5 8.2.1).
        writer.setSingleImage(
            studyInstanceUID: subject.studyInstanceUID, seriesInstanceUID: seriesInstanceUID, studyID: "", seriesNumber: "9001",
            patientOrientation: "", samplesPerPixel: 3, photometricInterpretation: "YBR_FULL_422", width: width, height: height
        )
        writer.set(Self.planarConfiguration, uint16: 0)
        writer.set(.bitsAllocated, uint16: 8)
        writer.set(.bitsStored, uint16: 8)
        writer.set(.highBit, uint16: 7)
        writer.set(.pixelRepresentation, uint16: 0)
        writer.set(Self.lossyImageCompression, .CS, "01")
        writer.set(Self.burnedInAnnotation, .CS, "NO")
        writer.setEncapsulatedPixelData([overlayJPEG], transferSyntax: .jpegBaseline)
        do {
            part10 = try writer.part10Bytes()
        } catch {
            throw .output("cannot write the Secondary Capture: \(error)")
        }
    }

    /// The overlay JPEG inside a Secondary Capture the box wrote (for the panel), or nil when
    /// the bytes are not such an object.
    public static func overlayJPEG(fromPart10 bytes: [UInt8]) -> [UInt8]? {
        guard let file = try? DICOMFile(bytes: bytes), file.transferSyntax == .jpegBaseline,
              case .encapsulated(let pixels)? = file.dataSet[.pixelData]?.value,
              pixels.fragments.count == 1 else { return nil }
        var jpeg = Array(pixels.fragments[0])
        // Drop the pad byte of an odd-length codestream (the JPEG ends at FFD9).
        if jpeg.count >= 3, jpeg[jpeg.count - 1] == 0, jpeg[jpeg.count - 3] == 0xFF, jpeg[jpeg.count - 2] == 0xD9 { jpeg.removeLast() }
        return jpeg
    }
}

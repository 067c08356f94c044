import DICOM

/// A key the query/retrieve SCP matches and returns (Study Root, PS3.4 C.6.2.1): its tag, VR
/// and the level whose entity it describes.
public struct QueryKey: Sendable, Hashable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case study, series, image

        /// Query/Retrieve Level (0008,0052) values.
        public init?(keyword: String) {
            switch keyword.uppercased() {
            case "STUDY": self = .study
            case "SERIES": self = .series
            case "IMAGE": self = .image
            default: return nil
            }
        }

        public var keyword: String {
            switch self {
            case .study: "STUDY"
            case .series: "SERIES"
            case .image: "IMAGE"
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var tag: Tag
    public var vr: ValueRepresentation
    public var level: Level

    public static let specificCharacterSet = Tag(0x0008, 0x0005)
    public static let queryRetrieveLevel = Tag(0x0008, 0x0052)
    public static let retrieveAETitle = Tag(0x0008, 0x0054)
    public static let failedSOPInstanceUIDList = Tag(0x0008, 0x0058)
    public static let modalitiesInStudy = Tag(0x0008, 0x0061)
    public static let sopClassesInStudy = Tag(0x0008, 0x0062)
    public static let numberOfStudyRelatedSeries = Tag(0x0020, 0x1206)
    public static let numberOfStudyRelatedInstances = Tag(0x0020, 0x1208)
    public static let numberOfSeriesRelatedInstances = Tag(0x0020, 0x1209)

    /// Every key answered. Patient keys are study keys in the Study Root model; the counts and
    /// the lists of modalities and SOP classes are computed over what the box holds.
    public static let supported: [Tag: QueryKey] = Dictionary(uniqueKeysWithValues: [
        QueryKey(tag: .sopClassUID, vr: .UI, level: .image),
        QueryKey(tag: .sopInstanceUID, vr: .UI, level: .image),
        QueryKey(tag: .studyDate, vr: .DA, level: .study),
        QueryKey(tag: .studyTime, vr: .TM, level: .study),
        QueryKey(tag: .accessionNumber, vr: .SH, level: .study),
        QueryKey(tag: .modality, vr: .CS, level: .series),
        QueryKey(tag: modalitiesInStudy, vr: .CS, level: .study),
        QueryKey(tag: sopClassesInStudy, vr: .UI, level: .study),
        QueryKey(tag: .referringPhysicianName, vr: .PN, level: .study),
        QueryKey(tag: .studyDescription, vr: .LO, level: .study),
        QueryKey(tag: .patientName, vr: .PN, level: .study),
        QueryKey(tag: .patientID, vr: .LO, level: .study),
        QueryKey(tag: .patientBirthDate, vr: .DA, level: .study),
        QueryKey(tag: .patientSex, vr: .CS, level: .study),
        QueryKey(tag: .studyInstanceUID, vr: .UI, level: .study),
        QueryKey(tag: .seriesInstanceUID, vr: .UI, level: .series),
        QueryKey(tag: .studyID, vr: .SH, level: .study),
        QueryKey(tag: .seriesNumber, vr: .IS, level: .series),
        QueryKey(tag: .instanceNumber, vr: .IS, level: .image),
        QueryKey(tag: numberOfStudyRelatedSeries, vr: .IS, level: .study),
        QueryKey(tag: numberOfStudyRelatedInstances, vr: .IS, level: .study),
        QueryKey(tag: numberOfSeriesRelatedInstances, vr: .IS, level: .series),
    ].map { ($0.tag, $0) })

    /// The unique key of each level.
    public static func uniqueKey(of level: Level) -> Tag {
        switch level {
        case .study: .studyInstanceUID
        case .series: .seriesInstanceUID
        case .image: .sopInstanceUID
        }
    }
}

import DICOM

extension AnalysisStructuredReport {
    /// The codes the report uses: PS3.16 (DCM), SNOMED CT (SCT), LOINC (LN), UCUM and UMLS
    /// as the templates name them, checked against pydicom's PS3.16 concept dictionary; the
    /// box's own scheme only for what the standard has no code for.
    public enum Codes {
        // TID 1500 and the templates it includes.
        public static let imagingMeasurementReport = CodedConcept("126000", "DCM", "Imaging Measurement Report")
        public static let languageOfContent = CodedConcept("121049", "DCM", "Language of Content Item and Descendants")
        public static let englishUS = CodedConcept("en-US", "RFC5646", "English (United States)")
        public static let observerType = CodedConcept("121005", "DCM", "Observer Type")
        public static let device = CodedConcept("121007", "DCM", "Device")
        public static let deviceObserverUID = CodedConcept("121012", "DCM", "Device Observer UID")
        public static let deviceObserverName = CodedConcept("121013", "DCM", "Device Observer Name")
        public static let deviceObserverManufacturer = CodedConcept("121014", "DCM", "Device Observer Manufacturer")
        public static let deviceObserverModelName = CodedConcept("121015", "DCM", "Device Observer Model Name")
        public static let procedureReported = CodedConcept("121058", "DCM", "Procedure reported")
        /// CID 100: a chest radiograph or fluorography; CID 100 has no chest-specific radiograph.
        public static let radiograph = CodedConcept("43468-8", "LN", "XR unspecified body region")
        public static let imageLibrary = CodedConcept("111028", "DCM", "Image Library")
        public static let imageLibraryGroup = CodedConcept("126200", "DCM", "Image Library Group")
        public static let imagingMeasurements = CodedConcept("126010", "DCM", "Imaging Measurements")
        public static let measurementGroup = CodedConcept("125007", "DCM", "Measurement Group")
        public static let trackingIdentifier = CodedConcept("112039", "DCM", "Tracking Identifier")
        public static let trackingUniqueIdentifier = CodedConcept("112040", "DCM", "Tracking Unique Identifier")
        public static let finding = CodedConcept("121071", "DCM", "Finding")
        // TID 4019 Algorithm Identification.
        public static let algorithmName = CodedConcept("111001", "DCM", "Algorithm Name")
        public static let algorithmVersion = CodedConcept("111003", "DCM", "Algorithm Version")
        public static let algorithmParameters = CodedConcept("111002", "DCM", "Algorithm Parameters")
        /// The model's probability of a finding, in percent, as CAD reports give it.
        public static let certaintyOfFinding = CodedConcept("111012", "DCM", "Certainty of Finding")
        public static let percent = CodedConcept("%", "UCUM", "Percent")
        /// The SCOORD of the heat-map peak: the centre of the region the overlay highlights.
        public static let center = CodedConcept("111010", "DCM", "Center")
        public static let qualitativeEvaluations = CodedConcept("C0034375", "UMLS", "Qualitative Evaluations")
        public static let comment = CodedConcept("121106", "DCM", "Comment")
        public static let yes = CodedConcept("373066001", "SCT", "Yes")
        public static let no = CodedConcept("373067005", "SCT", "No")
        // The quality verdict: CID 6044 under Quality Assessment.
        public static let qualityAssessment = CodedConcept("111050", "DCM", "Quality Assessment")
        public static let usable = CodedConcept("111237", "DCM", "Usable - Meets the quality control standard")
        public static let unusable = CodedConcept("111235", "DCM", "Unusable - Quality renders image unusable")

        /// The box's private coding scheme (a "99" prefix, PS3.16 8.2).
        public static let localScheme = "99FLUOROBOX"
        /// At or above the model's threshold: shown for a doctor's review. PS3.16 has no
        /// concept for a second reader's review flag.
        public static let flaggedForReview = CodedConcept("FLAGGED", localScheme, "Flagged for review")

        /// The finding a model label names: SNOMED CT where the label is one the box knows,
        /// else the label in the box's own scheme with the package's display name.
        public static func finding(label: String, display: String) -> CodedConcept {
            switch label.lowercased() {
            case "nodule": CodedConcept("27925004", "SCT", "Nodule")
            case "effusion", "pleural_effusion", "pleural-effusion": CodedConcept("60046008", "SCT", "Pleural effusion")
            default: CodedConcept(label, localScheme, display)
            }
        }
    }
}

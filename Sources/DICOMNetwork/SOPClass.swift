/// SOP classes the listener negotiates (PS3.4 annex B, PS3.6 annex A).
public enum SOPClass {
    public static let verification = "1.2.840.10008.1.1"
    /// Storage Commitment Push Model (PS3.4 annex J): the modality asks, the box reports.
    public static let storageCommitmentPushModel = "1.2.840.10008.1.20.1"
    /// The well-known SOP instance every N-ACTION and N-EVENT-REPORT of the push model names.
    public static let storageCommitmentPushModelInstance = "1.2.840.10008.1.20.1.1"
    /// Study Root Query/Retrieve Information Model (PS3.4 annex C): FIND, MOVE and GET.
    public static let studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1"
    public static let studyRootMove = "1.2.840.10008.5.1.4.1.2.2.2"
    public static let studyRootGet = "1.2.840.10008.5.1.4.1.2.2.3"
    public static let studyRootQueryRetrieve = [studyRootFind, studyRootMove, studyRootGet]
    /// Modality Worklist Information Model – FIND (PS3.4 annex K).
    public static let modalityWorklistFind = "1.2.840.10008.5.1.4.31"

    /// Image storage SOP classes the box stores by default: every single- and multi-frame image
    /// class a radiography or fluoroscopy unit, or a PACS forwarding to the box, sends, and the
    /// common cross-sectional ones (their frames decode with the same reader). Non-image objects
    /// (structured reports, presentation states, raw data, private classes) are refused at
    /// association time; `dicom.extraSOPClasses` adds more.
    public static let defaultStorage: [String] = [
        // Radiography and fluoroscopy.
        "1.2.840.10008.5.1.4.1.1.1",       // Computed Radiography Image Storage
        "1.2.840.10008.5.1.4.1.1.1.1",     // Digital X-Ray Image Storage - For Presentation
        "1.2.840.10008.5.1.4.1.1.1.1.1",   // Digital X-Ray Image Storage - For Processing
        "1.2.840.10008.5.1.4.1.1.1.2",     // Digital Mammography X-Ray - For Presentation
        "1.2.840.10008.5.1.4.1.1.1.2.1",   // Digital Mammography X-Ray - For Processing
        "1.2.840.10008.5.1.4.1.1.1.3",     // Digital Intra-Oral X-Ray - For Presentation
        "1.2.840.10008.5.1.4.1.1.1.3.1",   // Digital Intra-Oral X-Ray - For Processing
        "1.2.840.10008.5.1.4.1.1.12.1",    // X-Ray Angiographic Image Storage
        "1.2.840.10008.5.1.4.1.1.12.1.1",  // Enhanced XA Image Storage
        "1.2.840.10008.5.1.4.1.1.12.2",    // X-Ray Radiofluoroscopic Image Storage
        "1.2.840.10008.5.1.4.1.1.12.2.1",  // Enhanced XRF Image Storage
        "1.2.840.10008.5.1.4.1.1.13.1.3",  // Breast Tomosynthesis Image Storage
        // Secondary capture (digitised film, screen captures, converters).
        "1.2.840.10008.5.1.4.1.1.7",       // Secondary Capture Image Storage
        "1.2.840.10008.5.1.4.1.1.7.1",     // Multi-frame Single Bit SC
        "1.2.840.10008.5.1.4.1.1.7.2",     // Multi-frame Grayscale Byte SC
        "1.2.840.10008.5.1.4.1.1.7.3",     // Multi-frame Grayscale Word SC
        "1.2.840.10008.5.1.4.1.1.7.4",     // Multi-frame True Color SC
        // Cross-sectional and other images a PACS may forward.
        "1.2.840.10008.5.1.4.1.1.2",       // CT Image Storage
        "1.2.840.10008.5.1.4.1.1.2.1",     // Enhanced CT Image Storage
        "1.2.840.10008.5.1.4.1.1.4",       // MR Image Storage
        "1.2.840.10008.5.1.4.1.1.4.1",     // Enhanced MR Image Storage
        "1.2.840.10008.5.1.4.1.1.6.1",     // Ultrasound Image Storage
        "1.2.840.10008.5.1.4.1.1.3.1",     // Ultrasound Multi-frame Image Storage
        "1.2.840.10008.5.1.4.1.1.20",      // Nuclear Medicine Image Storage
        "1.2.840.10008.5.1.4.1.1.77.1.4",  // VL Photographic Image Storage
    ]
}

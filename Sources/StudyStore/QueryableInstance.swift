/// One stored DICOM instance as query/retrieve sees it: its own keys and its study's.
public struct QueryableInstance: Sendable, Hashable {
    public var instanceID: Int64
    public var sopInstanceUID: String
    public var sopClassUID: String?
    public var seriesInstanceUID: String?
    public var modality: String?
    public var seriesNumber: String?
    public var instanceNumber: String?
    public var transferSyntaxUID: String?
    /// Relative to the data folder.
    public var blobPath: String
    public var studyInstanceUID: String
    public var patientID: String?
    public var patientName: String?
    public var patientBirthDate: String?
    public var patientSex: String?
    public var studyDate: String?
    public var studyTime: String?
    public var accessionNumber: String?
    public var studyDescription: String?
}

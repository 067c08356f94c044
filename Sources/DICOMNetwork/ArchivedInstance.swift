import DICOM

/// One instance the box holds, as query/retrieve sees it: its identity and the query keys of its
/// patient, study, series and own level, by tag, as text.
public struct ArchivedInstance: Sendable, Hashable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    /// The syntax the instance is stored in and sent in, or decoded from to Explicit VR Little
    /// Endian for a receiver that refuses it (``StoreSCU/outgoing``).
    public var transferSyntaxUID: String
    /// Patient Name, Patient ID, Study Date, Modality, Instance Number and the other keys of
    /// ``QueryKey/supported``; an absent key has no value.
    public var attributes: [Tag: String]
    /// The archive's own way to find the bytes again; opaque here.
    public var locator: String

    public init(sopClassUID: String, sopInstanceUID: String, studyInstanceUID: String, seriesInstanceUID: String, transferSyntaxUID: String, attributes: [Tag: String], locator: String) {
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        self.studyInstanceUID = studyInstanceUID
        self.seriesInstanceUID = seriesInstanceUID
        self.transferSyntaxUID = transferSyntaxUID
        self.attributes = attributes
        self.locator = locator
    }
}

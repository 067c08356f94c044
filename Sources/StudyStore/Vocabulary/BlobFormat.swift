import GRDB

/// What kind of file an instance's blob is.
public enum BlobFormat: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    case dicom
    case jpeg
    case png
}

import DICOM

/// The SOP Instance UID of Part 10 bytes, read by the project's own parser.
enum DICOMFileUID {
    static func sopInstanceUID(_ bytes: [UInt8]) throws -> String? {
        try DICOMFile(bytes: bytes).dataSet.string(.sopInstanceUID)
    }
}
